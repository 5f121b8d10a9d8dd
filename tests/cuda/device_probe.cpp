// The device query of cuda_main.cpp, against the real or the emulated CUDA runtime.
#include "device_probe.hpp"

#include <cuda_runtime.h>

namespace aigc_test {

const char* no_cuda_device_reason() {
    int devices = 0;
    cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess) return cudaGetErrorString(status);
    if (devices == 0) return "device count is 0";
    return nullptr;
}

}  // namespace aigc_test
