# Reliability builds and checks, included once from the root CMakeLists.txt before the tests:
#   - AIGC_SANITIZE: tests and examples built with ASan + UBSan (cmake/aigc_sanitizers.cmake);
#   - AIGC_BUILD_FUZZERS: the libFuzzer targets in fuzz/ (clang only; scripts/fuzz.sh runs them).
# The SIGKILL checkpoint test lives in tests/reliability (added by tests/).
include(${CMAKE_CURRENT_LIST_DIR}/aigc_sanitizers.cmake)

option(AIGC_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/ (clang only; see scripts/fuzz.sh)" OFF)
if(AIGC_BUILD_FUZZERS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/fuzz ${PROJECT_BINARY_DIR}/fuzz)
endif()
