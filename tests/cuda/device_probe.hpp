#pragma once
// Whether the CUDA tests can run: null when a device is usable, else why not.
namespace aigc_test {
const char* no_cuda_device_reason();
}
