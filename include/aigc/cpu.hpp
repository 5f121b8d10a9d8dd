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
