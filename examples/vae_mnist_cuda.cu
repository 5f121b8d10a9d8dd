// The --device cuda half of vae_mnist: its commands (vae_mnist.hpp) compiled by nvcc for Cuda. Built only
// where CMake finds a CUDA compiler; vae_mnist.cpp declares these instantiations and calls them.
#include <aigc/cuda.cuh>

#include "common/ranks_cuda.hpp"

#include "vae_mnist.hpp"

template void train<aigc::Cuda>(const VaeOptions&);
template void eval<aigc::Cuda>(const VaeOptions&);
template void sample<aigc::Cuda>(const VaeOptions&);
template void interpolate<aigc::Cuda>(const VaeOptions&);
