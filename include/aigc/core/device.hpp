#pragma once
// Device tags are plain types (as in Eigen's devices): code specialises on them, no enums or
// virtual dispatch. Memory<D> is the only thing a device must provide to core/; the kernels live
// in Kernels<D> (backend/cpu.hpp, cuda/aigc/cuda/).
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#include "error.hpp"

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

template <>
struct Memory<Cpu> {
    // 64-byte alignment: whole cache lines and AVX-512 aligned loads for Eigen maps.
    static constexpr std::size_t alignment = 64;
    static std::shared_ptr<void> allocate(std::size_t bytes) {
        if (bytes == 0) return {};
        std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
        void* p = std::aligned_alloc(alignment, rounded);
        if (!p) fail(detail::concat("cpu: out of memory allocating ", bytes, " bytes"));
        return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
    }
};

}  // namespace aigc
