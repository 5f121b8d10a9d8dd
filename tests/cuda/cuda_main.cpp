// Catch2 main of the CUDA tests: without a usable CUDA device the program exits 77, which CTest
// (SKIP_RETURN_CODE 77) reports as "skipped", never "passed". Listing tests needs no device, so
// catch_discover_tests can still register every test case at build time on a machine without one.
// Compiled once for test_cuda and test_cuda_emulated (Catch2's runner is the costly part); the
// device query is device_probe.cpp, compiled against the real or the emulated CUDA runtime.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "device_probe.hpp"

int main(int argc, char* argv[]) {
    Catch::Session session;
    if (int status = session.applyCommandLine(argc, argv); status != 0) return status;
    const Catch::ConfigData& config = session.configData();
    bool only_listing = config.listTests || config.listTestNamesOnly || config.listTags || config.listReporters ||
                        config.showHelp;
    if (!only_listing) {
        if (const char* reason = aigc_test::no_cuda_device_reason()) {
            std::printf("skipped: no usable CUDA device (%s)\n", reason);
            return 77;
        }
    }
    return session.run();
}
