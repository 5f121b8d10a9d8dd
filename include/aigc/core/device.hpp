#pragma once
// Device tags are plain types (as in Eigen's devices): code specialises on them, no enums or
// virtual dispatch. Memory<D> is the only thing a device must provide to core/; the kernels live
// in Kernels<D> (backend/cpu.hpp, cuda/aigc/cuda/).
#include <cstddef>
#include <memory>

#include "error.hpp"
#include "host_allocator.hpp"

#if defined(__CUDACC__)
#define AIGC_HD __host__ __device__ inline
#else
#define AIGC_HD inline
#endif

namespace aigc {

struct Cpu {
    static constexpr const char* name = "cpu";
};
struct Cuda {
    static constexpr const char* name = "cuda";
};

template <class D>
struct Memory;  // specialised per device: allocate(bytes) -> shared_ptr<void>

// Tensors take their storage from the caching allocator (host_allocator.hpp): after the first
// training step, steady-state steps reach the system allocator zero times.
template <>
struct Memory<Cpu> {
    static constexpr std::size_t alignment = cpu::CachingAllocator::alignment;
    static std::shared_ptr<void> allocate(std::size_t bytes) { return cpu::CachingAllocator::instance().allocate(bytes); }
};

}  // namespace aigc
