#pragma once
// The size classes of both caching allocators (cpu/allocator.hpp for the CPU,
// cuda/aigc/cuda/memory.cuh for CUDA): multiples of `granule` up to `small_limit`, above that
// the next multiple of 1/8 of the power of two below the request, so a bucket wastes at most
// 12.5% and a few dozen buckets cover a whole model. Only the two constants differ per device.
#include <cstddef>

namespace aigc::detail {

constexpr std::size_t size_bucket(std::size_t bytes, std::size_t granule, std::size_t small_limit) {
    if (bytes <= small_limit) return (bytes + granule - 1) / granule * granule;
    std::size_t power = small_limit;
    while (power * 2 <= bytes) power *= 2;
    std::size_t large_granule = power / 8;
    return (bytes + large_granule - 1) / large_granule * large_granule;
}

}  // namespace aigc::detail
