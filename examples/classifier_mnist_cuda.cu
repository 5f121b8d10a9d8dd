// The --device cuda half of classifier_mnist: its commands (classifier_mnist.hpp) compiled by nvcc for Cuda. Built only
// where CMake finds a CUDA compiler; classifier_mnist.cpp declares these instantiations and calls them.
#include <aigc/cuda.cuh>

#include "common/ranks_cuda.hpp"

#include "classifier_mnist.hpp"

template void train<aigc::Cuda>(const ClassifierOptions&);
template void eval<aigc::Cuda>(const ClassifierOptions&);
