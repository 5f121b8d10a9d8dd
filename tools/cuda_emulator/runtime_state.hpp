#pragma once
// State the emulated runtime, kernel scheduler and cuBLAS share: one lock for everything that
// touches the device, the error the CUDA runtime would report, and pointer classification.
#include <cuda_runtime.h>

#include <mutex>
#include <string>

namespace aigc_cuda_emulator {

// Held by every call that reads or writes device memory or the runtime's tables.
std::mutex& device_mutex();

// Records a failed status as the thread's last error (cudaGetLastError) and returns it. A sticky
// status (a fault inside a kernel) is also kept for every later call, as a real context is lost.
cudaError_t record(cudaError_t status);
cudaError_t record_sticky(cudaError_t status);
// The sticky status, or cudaSuccess.
cudaError_t sticky_status();

// Device memory (a live allocation) or pinned host memory (cudaMallocHost), which kernels may
// read through unified addressing.
bool kernel_may_access(const void* pointer);

// Prints one line, prefixed "cuda emulator: ", to stderr, and keeps it for last_diagnostic().
void diagnose(const std::string& message);

}  // namespace aigc_cuda_emulator
