#pragma once
// aigc with the CUDA backend: include this (from a .cu file compiled by nvcc, linked to
// aigc::cuda) instead of <aigc/aigc.hpp> (what it includes, and the CUDA backend), then use Tensor<float, Cuda> / Var<float, Cuda>.
// Memory<Cuda> and Kernels<Cuda> come first so they are declared before anything could use them.
#include "cuda/common.cuh"
#include "cuda/memory.cuh"
#include "cuda/gemm.cuh"
#include "cuda/elementwise.cuh"
#include "cuda/reduce.cuh"
#include "cuda/fill.cuh"
#include "cuda/copy.cuh"
#include "cuda/optim.cuh"
#include "cuda/kernels.cuh"

#include <aigc/aigc.hpp>
