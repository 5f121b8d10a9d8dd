// Catch2 main of the CUDA tests: without a usable CUDA device the program exits 77, which CTest
// (SKIP_RETURN_CODE 77) reports as "skipped", never "passed". Listing tests needs no device, so
// catch_discover_tests can still register every test case at build time on a machine without one.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include <cuda_runtime.h>

int main(int argc, char* argv[]) {
    Catch::Session session;
    if (int status = session.applyCommandLine(argc, argv); status != 0) return status;
    const Catch::ConfigData& config = session.configData();
    bool only_listing = config.listTests || config.listTestNamesOnly || config.listTags || config.listReporters ||
                        config.showHelp;
    if (!only_listing) {
        int devices = 0;
        cudaError_t status = cudaGetDeviceCount(&devices);
        if (status != cudaSuccess || devices == 0) {
            std::printf("skipped: no usable CUDA device (%s)\n",
                        status != cudaSuccess ? cudaGetErrorString(status) : "device count is 0");
            return 77;
        }
    }
    return session.run();
}
