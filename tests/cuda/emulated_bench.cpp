// bench/bench_cuda.cu compiled as C++ against the CUDA emulator.
#include "../../bench/bench_cuda.cu"
