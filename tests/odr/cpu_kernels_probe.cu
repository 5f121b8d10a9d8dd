// tests/odr: cpu_kernels_probe.cpp compiled by nvcc (see there).
#include "cpu_kernels_probe.cpp"
