// examples/common/cuda_device.cu compiled as C++ against the CUDA emulator.
#include "common/cuda_device.cu"
