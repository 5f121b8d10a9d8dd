#pragma once
// The CPU backend's entry header: core/ (Tensor, Shape, errors, RNG, functors, the kernel table)
// and Kernels<Cpu> / Memory<Cpu> from cpu/. Everything above the backends includes this, so a
// Tensor<T, Cpu> is usable wherever a header of a higher layer is.
#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/device.hpp"
#include "core/generator.hpp"
#include "core/functors.hpp"
#include "core/kernels.hpp"
#include "core/tensor.hpp"
#include "cpu/allocator.hpp"
#include "cpu/kernels.hpp"
#include "core/compiled.hpp"

// Compiled mode (core/compiled.hpp): the tensor and the CPU kernels that carry the most code.
#define AIGC_INSTANTIATE_CPU(EXTERN, T)                                                                     \
    EXTERN template class Tensor<T, Cpu>;                                                                   \
    EXTERN template void Kernels<Cpu>::gemm<T>(bool, bool, index_t, index_t, index_t, T, const T*, const T*, \
                                               T, T*);                                                      \
    EXTERN template void Kernels<Cpu>::fill_uniform<T>(index_t, RandomStream, T, T, T*);                    \
    EXTERN template void Kernels<Cpu>::fill_normal<T>(index_t, RandomStream, T, T, T*);
AIGC_EXTERN_INSTANTIATIONS(AIGC_INSTANTIATE_CPU)
