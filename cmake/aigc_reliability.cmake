# Reliability builds and checks, included once from the root CMakeLists.txt before the tests:
#   - AIGC_SANITIZE (cmake/aigc_sanitizers.cmake) is included by the root earlier, before aigc_compiled;
#   - AIGC_BUILD_FUZZERS: the libFuzzer targets in fuzz/ (clang only; scripts/fuzz.sh runs them).
# The SIGKILL checkpoint test lives in tests/reliability (added by tests/).

option(AIGC_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/ (clang only; see scripts/fuzz.sh)" OFF)
if(AIGC_BUILD_FUZZERS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/fuzz ${PROJECT_BINARY_DIR}/fuzz)
endif()
