#pragma once
// The machine's single-precision FMA peak, measured rather than taken from a datasheet: a clock
// under a hypervisor, turbo and AVX-512 down-clocking make the nominal figure unreliable. Each
// thread runs 16 independent FMA chains (enough to cover a 4-cycle latency on two FMA ports) on
// registers only, so nothing but the FMA units limits it. bench_kernels reports it as peak/fma/*
// next to the GEMMs, and docs/performance.md divides by it.
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#define AIGC_BENCH_HAVE_PEAK_FMA 1

namespace aigc::bench {

constexpr int peak_chains = 16;

// Returns a value that depends on every FMA, so the compiler must run them all.
__attribute__((target("avx512f"))) inline float fma_chains_avx512(std::int64_t iterations) {
    __m512 acc[peak_chains];
    for (int c = 0; c < peak_chains; ++c) acc[c] = _mm512_set1_ps(0.001f * static_cast<float>(c));
    const __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
    for (std::int64_t i = 0; i < iterations; ++i)
#pragma GCC unroll 16
        for (int c = 0; c < peak_chains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
    __m512 sum = acc[0];
    for (int c = 1; c < peak_chains; ++c) sum = _mm512_add_ps(sum, acc[c]);
    return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) inline float fma_chains_avx2(std::int64_t iterations) {
    __m256 acc[peak_chains];
    for (int c = 0; c < peak_chains; ++c) acc[c] = _mm256_set1_ps(0.001f * static_cast<float>(c));
    const __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
    for (std::int64_t i = 0; i < iterations; ++i)
#pragma GCC unroll 16
        for (int c = 0; c < peak_chains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
    __m256 sum = acc[0];
    for (int c = 1; c < peak_chains; ++c) sum = _mm256_add_ps(sum, acc[c]);
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum);
    float total = 0;
    for (float lane : lanes) total += lane;
    return total;
}

}  // namespace aigc::bench
#endif  // __x86_64__
