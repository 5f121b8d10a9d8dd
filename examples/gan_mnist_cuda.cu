// The --device cuda half of gan_mnist: its commands (gan_mnist.hpp) compiled by nvcc for Cuda. Built only
// where CMake finds a CUDA compiler; gan_mnist.cpp declares these instantiations and calls them.
#include <aigc/cuda.cuh>

#include "common/ranks_cuda.hpp"

#include "gan_mnist.hpp"

template void train<aigc::Cuda>(const GanOptions&);
template void sample<aigc::Cuda>(const GanOptions&);
