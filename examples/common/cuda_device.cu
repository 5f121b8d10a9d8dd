// The device check behind --device cuda, compiled with the CUDA runtime's headers.
#include <cuda_runtime.h>

#include <aigc/core/error.hpp>

namespace examples {

// Ranks of one machine take its GPUs in turn (local rank modulo the devices), before any tensor
// is allocated; one process takes the current device (0 unless the program chose another).
void require_cuda_device(int local_rank, int local_ranks) {
    int devices = 0;
    cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess || devices == 0)
        aigc::fail(aigc::detail::concat("--device cuda: no usable CUDA device (",
                                        status != cudaSuccess ? cudaGetErrorString(status) : "device count is 0",
                                        "); use --device cpu"));
    if (local_ranks <= 1) return;
    status = cudaSetDevice(local_rank % devices);
    if (status != cudaSuccess)
        aigc::fail(aigc::detail::concat("--device cuda: rank ", local_rank, " on this machine cannot use GPU ",
                                        local_rank % devices, " (", cudaGetErrorString(status), ")"));
}

}  // namespace examples
