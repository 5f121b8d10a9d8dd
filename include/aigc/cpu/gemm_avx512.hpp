#pragma once
// The AVX-512 micro-kernel of the single-precision GEMM (gemm_avx2.hpp owns the blocking and
// the packing). It computes 2 or 4 adjacent 16-wide B panels at once, one zmm per panel and row:
// 6 x 64 outputs in 24 accumulators, 24 FMAs per 4 + 6 loads. On cores with full-width AVX-512
// units (AMD Zen 5, Intel Xeon) that is twice the FLOPs per instruction of the AVX2 kernel.
//
// Each C element gets exactly the AVX2 kernel's arithmetic -- acc = fma(a_p, b_p, acc) over p in
// order, then C = alpha acc or C = fma(alpha, acc, C), explicit FMAs in both -- so both kernels, and any mix of them along C's columns, give
// bit-identical results: which one a machine runs never changes a training run's numbers.
#include "simd_headers.hpp"

#include "../core/shape.hpp"

#define AIGC_TARGET_AVX512 __attribute__((target("avx512f")))

namespace aigc::detail::avx512 {

inline bool supported() {
    static const bool yes = __builtin_cpu_supports("avx512f");
    return yes;
}

// C[0..Rows, 0..16 Panels) (+)= alpha * sum_{p < kc} a[p][r] b_j[p][c] where panel j of B starts
// at b + j * panel_stride (packed [kc][16]) and A's micro-panel is packed [kc][a_stride].
template <int Rows, int Panels>
AIGC_TARGET_AVX512 inline void micro_kernel(index_t kc, const float* a, index_t a_stride, const float* b,
                                            index_t panel_stride, float* c, index_t ldc, float alpha,
                                            bool overwrite) {
    constexpr index_t width = 16;
    __m512 acc[Rows][Panels];
#pragma GCC unroll 6
    for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
        for (int j = 0; j < Panels; ++j) acc[r][j] = _mm512_setzero_ps();
    for (index_t p = 0; p < kc; ++p) {
        __m512 bj[Panels];
#pragma GCC unroll 4
        for (int j = 0; j < Panels; ++j) bj[j] = _mm512_load_ps(b + j * panel_stride + p * width);
#pragma GCC unroll 6
        for (int r = 0; r < Rows; ++r) {
            __m512 ar = _mm512_set1_ps(a[p * a_stride + r]);
#pragma GCC unroll 4
            for (int j = 0; j < Panels; ++j) acc[r][j] = _mm512_fmadd_ps(ar, bj[j], acc[r][j]);
        }
    }
    __m512 scale = _mm512_set1_ps(alpha);
#pragma GCC unroll 6
    for (int r = 0; r < Rows; ++r) {
        float* cr = c + r * ldc;
#pragma GCC unroll 4
        for (int j = 0; j < Panels; ++j) {
            __m512 v = overwrite ? _mm512_mul_ps(acc[r][j], scale)
                                 : _mm512_fmadd_ps(acc[r][j], scale, _mm512_loadu_ps(cr + j * width));
            _mm512_storeu_ps(cr + j * width, v);
        }
    }
}

// Rows (1..6) of C by `Panels` (2 or 4) whole panels.
template <int Panels>
AIGC_TARGET_AVX512 inline void tile(index_t rows, index_t kc, const float* a, index_t a_stride, const float* b,
                                    index_t panel_stride, float* c, index_t ldc, float alpha, bool overwrite) {
    switch (rows) {
        case 6: micro_kernel<6, Panels>(kc, a, a_stride, b, panel_stride, c, ldc, alpha, overwrite); break;
        case 5: micro_kernel<5, Panels>(kc, a, a_stride, b, panel_stride, c, ldc, alpha, overwrite); break;
        case 4: micro_kernel<4, Panels>(kc, a, a_stride, b, panel_stride, c, ldc, alpha, overwrite); break;
        case 3: micro_kernel<3, Panels>(kc, a, a_stride, b, panel_stride, c, ldc, alpha, overwrite); break;
        case 2: micro_kernel<2, Panels>(kc, a, a_stride, b, panel_stride, c, ldc, alpha, overwrite); break;
        default: micro_kernel<1, Panels>(kc, a, a_stride, b, panel_stride, c, ldc, alpha, overwrite); break;
    }
}

}  // namespace aigc::detail::avx512
