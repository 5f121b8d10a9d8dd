#pragma once
// Philox4x32-10 (core/generator.hpp) for eight counters at once with AVX2, selected at run time.
// The scalar form spends ~20 instructions per random value on its 32 x 32 -> 64-bit products;
// here one _mm256_mul_epu32 pair does eight of them. The bits are identical to philox::generate,
// so every fill keeps its values (and matches the CUDA backend's stream).
#include <cstdint>

#include "simd_headers.hpp"

#include "../core/generator.hpp"

#define AIGC_TARGET_AVX2_PHILOX __attribute__((target("avx2")))

namespace aigc::detail::avx2 {

inline bool philox_supported() {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}

// lo/hi 32-bit halves of the eight products a[i] * m.
AIGC_TARGET_AVX2_PHILOX inline void mulhilo8(__m256i a, __m256i m, __m256i& lo, __m256i& hi) {
    __m256i even = _mm256_mul_epu32(a, m);                         // lanes 0, 2, 4, 6 as 64-bit
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);   // lanes 1, 3, 5, 7
    lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// out[4 q + lane] = philox::generate(key, first + q).v[lane] for q < 8: eight consecutive
// counters whose low 32 bits do not wrap (the caller checks).
AIGC_TARGET_AVX2_PHILOX inline void philox8(std::uint64_t key, std::uint64_t first, std::uint32_t* out) {
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first))),
                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i c1 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first >> 32)));
    __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
    std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
    const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
    const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
    for (int round = 0; round < 10; ++round) {
        __m256i lo0, hi0, lo1, hi1;
        mulhilo8(c0, m0, lo0, hi0);
        mulhilo8(c2, m1, lo1, hi1);
        __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
        __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    // Lanes are counters; memory wants counter-major order: a 4 x 8 -> 8 x 4 transpose.
    __m256i t0 = _mm256_unpacklo_epi32(c0, c1), t1 = _mm256_unpackhi_epi32(c0, c1);  // (c0 c1) pairs
    __m256i t2 = _mm256_unpacklo_epi32(c2, c3), t3 = _mm256_unpackhi_epi32(c2, c3);  // (c2 c3) pairs
    __m256i q0 = _mm256_unpacklo_epi64(t0, t2), q1 = _mm256_unpackhi_epi64(t0, t2);  // counters 0,4 | 1,5
    __m256i q2 = _mm256_unpacklo_epi64(t1, t3), q3 = _mm256_unpackhi_epi64(t1, t3);  // counters 2,6 | 3,7
    auto* dst = reinterpret_cast<__m256i*>(out);
    _mm256_storeu_si256(dst + 0, _mm256_permute2x128_si256(q0, q1, 0x20));  // counters 0, 1
    _mm256_storeu_si256(dst + 1, _mm256_permute2x128_si256(q2, q3, 0x20));  // counters 2, 3
    _mm256_storeu_si256(dst + 2, _mm256_permute2x128_si256(q0, q1, 0x31));  // counters 4, 5
    _mm256_storeu_si256(dst + 3, _mm256_permute2x128_si256(q2, q3, 0x31));  // counters 6, 7
}

}  // namespace aigc::detail::avx2
