// test_nccl.cu compiled as C++ against the CUDA emulator (its NCCL exchanges through MPI).
#include "test_nccl.cu"
