# Sanitized builds of this repository's own programs (tests, examples, benchmarks) and of the
# aigc_compiled library they link. Included from the root CMakeLists.txt before aigc_compiled is
# added, so the flags reach every target defined after it; the exported aigc::aigc (an INTERFACE
# target) never carries them.
#
#   cmake -S . -B build-asan -DAIGC_SANITIZE="address;undefined" -DAIGC_ENABLE_CUDA=OFF
#   cmake --preset asan          (the same, from CMakePresets.json)
#
# Every report is fatal (-fno-sanitize-recover=all): a test that trips UBSan fails instead of
# printing a line nobody reads. Only C++ sources are instrumented: nvcc does not take these flags,
# which is why the preset turns the CUDA backend off.
set(AIGC_SANITIZE "" CACHE STRING
  "Sanitizers for the tests, examples and benchmarks, as a list: address;undefined, or thread; empty for none")

if(AIGC_SANITIZE)
  list(JOIN AIGC_SANITIZE "," aigc_sanitizer_list)
  if("thread" IN_LIST AIGC_SANITIZE AND "address" IN_LIST AIGC_SANITIZE)
    message(FATAL_ERROR "AIGC_SANITIZE: thread and address sanitizers cannot be combined")
  endif()
  message(STATUS "aigc: building tests and examples with -fsanitize=${aigc_sanitizer_list}")
  add_compile_options(
    "$<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${aigc_sanitizer_list};-fno-sanitize-recover=all;-fno-omit-frame-pointer;-g>")
  add_link_options("$<$<LINK_LANGUAGE:CXX>:-fsanitize=${aigc_sanitizer_list}>")
endif()
