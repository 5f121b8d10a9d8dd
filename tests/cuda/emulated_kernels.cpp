// test_cuda_kernels.cu compiled as C++ against the CUDA emulator.
#include "test_cuda_kernels.cu"
