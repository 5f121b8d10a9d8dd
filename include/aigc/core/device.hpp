#pragma once
// Device tags are plain types (as in Eigen's devices): code specialises on them, no enums or
// virtual dispatch. A backend provides Memory<D> (storage) and Kernels<D> (the kernel table,
// core/kernels.hpp): cpu/ for Cpu, cuda/aigc/cuda/ for Cuda. core/ only declares them.

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

}  // namespace aigc
