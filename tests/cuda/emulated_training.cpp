// test_cuda_training.cu compiled as C++ against the CUDA emulator.
#include "test_cuda_training.cu"
