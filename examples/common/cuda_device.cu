// The device check behind --device cuda, compiled with the CUDA runtime's headers.
#include <cuda_runtime.h>

#include <aigc/core/error.hpp>

namespace examples {

void require_cuda_device() {
    int devices = 0;
    cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess || devices == 0)
        aigc::fail(aigc::detail::concat("--device cuda: no usable CUDA device (",
                                        status != cudaSuccess ? cudaGetErrorString(status) : "device count is 0",
                                        "); use --device cpu"));
}

}  // namespace examples
