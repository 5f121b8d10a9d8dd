#pragma once
// Single-precision GEMM for x86-64 CPUs with AVX2 and FMA (every x86 server since 2013), selected
// at run time so a build without -march=native still gets it. The layout is BLIS's: a 6 x 16
// micro-kernel keeps C's block in 12 ymm registers and, for each p, broadcasts A(i, p) against
// one packed row B(p, j..j+16):
//     C[i, j] += sum_p A(i, p) B(p, j)        6 x 16 outputs, 12 FMAs per 8 loads
// Both operands are packed per block into contiguous micro-panels -- A as [p][6], B as [p][16] --
// so the kernel reads sequential, aligned memory whatever the layout (x W^T, G W, G^T x): the
// model's row strides of 3-4 KiB would otherwise alias in L1 and defeat the prefetchers.
//   for each 128-column block of C:  for each k-block (256):  pack B [kc x 128]
//     for each 144-row block of C:  pack A [144 x kc];  micro-kernels over its 6 x 16 tiles
//
// Where the CPU has AVX-512, whole groups of 4 or 2 panels go to the zmm micro-kernel of
// gemm_avx512.hpp (same packing, same per-element arithmetic, twice the width).
//
// Every C element is the same sequence of FMAs (over p in k-blocks of kc, in order) whatever
// the tile, block, chunk or thread that computes it, so the result does not depend on the
// thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "simd_headers.hpp"

#include "../core/shape.hpp"
#include "gemm_avx512.hpp"

#define AIGC_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace aigc::detail::avx2 {

inline bool supported() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

// Whether single-precision GEMM uses this kernel: on where the CPU has AVX2 and FMA. Tests turn it
// off to check the plain-loop fallback that older CPUs run (gemm_reference.hpp).
inline bool& enabled() {
    static bool on = supported();
    return on;
}

// Whether whole groups of panels go to the AVX-512 micro-kernel (gemm_avx512.hpp): on where the
// CPU has it. Both kernels give bit-identical results; the switch exists so tests can prove that.
inline bool& use_avx512() {
    static bool on = avx512::supported();
    return on;
}

constexpr index_t mr = 6;      // rows of C per micro-kernel
constexpr index_t nr = 16;     // columns of C per micro-kernel (two ymm)
constexpr index_t kc_max = 256;  // k-block: a packed B panel is kc x 16 floats = 16 KiB, in L1
constexpr index_t mc_max = 144;  // rows per A block: 144 x 256 floats = 144 KiB, in L2
constexpr index_t nc_max = 128;  // columns per B block: 256 x 128 floats = 128 KiB, in L2

// C[0..Rows, 0..cols) (+)= alpha * sum_{p < kc} a[p][i] b[p][j]: packed micro-panels a [kc][6],
// b [kc][16]; Rows <= 6, cols <= 16.
template <int Rows>
AIGC_TARGET_AVX2 inline void micro_kernel(index_t kc, const float* a, const float* b, float* c, index_t ldc,
                                          index_t cols, float alpha, bool overwrite) {
    __m256 acc0[Rows], acc1[Rows];
#pragma GCC unroll 6
    for (int r = 0; r < Rows; ++r) {
        acc0[r] = acc1[r] = _mm256_setzero_ps();
        if (!overwrite) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);  // read at the end
    }
    for (index_t p = 0; p < kc; ++p) {
        __m256 b0 = _mm256_load_ps(b + p * nr);
        __m256 b1 = _mm256_load_ps(b + p * nr + 8);
#pragma GCC unroll 6
        for (int r = 0; r < Rows; ++r) {
            __m256 ar = _mm256_broadcast_ss(a + p * mr + r);
            acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
        }
    }
    // C = alpha acc, or C = fma(alpha, acc, C): written as explicit FMAs, because GCC may or may not
    // fuse a separate mul and add of __m256 values (it depends on -O level and inlining), and the
    // AVX-512 kernel, whose mul/add builtins are never fused, must give the same bits.
    __m256 scale = _mm256_set1_ps(alpha);
    if (cols == nr) {
#pragma GCC unroll 6
        for (int r = 0; r < Rows; ++r) {
            float* cr = c + r * ldc;
            __m256 v0 = overwrite ? _mm256_mul_ps(acc0[r], scale) : _mm256_fmadd_ps(acc0[r], scale, _mm256_loadu_ps(cr));
            __m256 v1 = overwrite ? _mm256_mul_ps(acc1[r], scale)
                                  : _mm256_fmadd_ps(acc1[r], scale, _mm256_loadu_ps(cr + 8));
            _mm256_storeu_ps(cr, v0);
            _mm256_storeu_ps(cr + 8, v1);
        }
        return;
    }
    // Right edge of C: the valid columns go through a full-width block, with the same arithmetic.
    alignas(32) float block[nr];
#pragma GCC unroll 6
    for (int r = 0; r < Rows; ++r) {
        float* cr = c + r * ldc;
        for (index_t j = 0; j < nr; ++j) block[j] = j < cols && !overwrite ? cr[j] : 0.0f;
        __m256 v0 = overwrite ? _mm256_mul_ps(acc0[r], scale) : _mm256_fmadd_ps(acc0[r], scale, _mm256_load_ps(block));
        __m256 v1 = overwrite ? _mm256_mul_ps(acc1[r], scale)
                              : _mm256_fmadd_ps(acc1[r], scale, _mm256_load_ps(block + 8));
        _mm256_store_ps(block, v0);
        _mm256_store_ps(block + 8, v1);
        for (index_t j = 0; j < cols; ++j) cr[j] = block[j];
    }
}

// Rows this far ahead are prefetched while packing: the operands' rows are 3-4 KiB apart, a
// pattern the hardware prefetchers (which stay within a 4 KiB page) do not follow.
constexpr index_t prefetch_rows = 8;

AIGC_TARGET_AVX2 inline void prefetch_segment(const float* p, index_t floats) {
    for (index_t j = 0; j < floats; j += 16) _mm_prefetch(reinterpret_cast<const char*>(p + j), _MM_HINT_T0);
}

// B block [kc x cols] of B [k, n] (ldb = n) into 16-wide panels packed[panel][p][16], zero-padded.
AIGC_TARGET_AVX2 inline void pack_b_rows(const float* b, index_t ldb, index_t k0, index_t kc, index_t j0,
                                         index_t cols, float* packed) {
    index_t full = cols / nr, panels = (cols + nr - 1) / nr;
    for (index_t p = 0; p < kc; ++p) {
        const float* src = b + (k0 + p) * ldb + j0;
        if (p + prefetch_rows < kc) prefetch_segment(src + prefetch_rows * ldb, cols);
        for (index_t panel = 0; panel < full; ++panel) {
            float* dst = packed + (panel * kc + p) * nr;
            _mm256_store_ps(dst, _mm256_loadu_ps(src + panel * nr));
            _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + panel * nr + 8));
        }
        if (full < panels) {
            float* dst = packed + (full * kc + p) * nr;
            index_t width = cols - full * nr;
            for (index_t j = 0; j < width; ++j) dst[j] = src[full * nr + j];
            for (index_t j = width; j < nr; ++j) dst[j] = 0.0f;
        }
    }
}

// 8 x 8 transpose of rows r[0..8] (each 8 floats) in registers.
AIGC_TARGET_AVX2 inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5,
                                        __m256& r6, __m256& r7) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r0 = _mm256_permute2f128_ps(s0, s4, 0x20);
    r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
    r2 = _mm256_permute2f128_ps(s2, s6, 0x20);
    r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
    r4 = _mm256_permute2f128_ps(s0, s4, 0x31);
    r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
    r6 = _mm256_permute2f128_ps(s2, s6, 0x31);
    r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// One 16-wide panel packed[p][j] = bt[(j0 + j) * ldb + k0 + p] of B = bt^T, bt [n, k]; zero beyond `cols`.
AIGC_TARGET_AVX2 inline void pack_b_panel_transposed(const float* bt, index_t ldb, index_t k0, index_t kc, index_t j0,
                                             index_t cols, float* packed) {
    index_t p = 0;
    if (cols == nr) {
        for (; p + 8 <= kc; p += 8) {
            for (index_t half = 0; half < 2; ++half) {  // columns j0 + 8 half .. + 8
                const float* src = bt + (j0 + 8 * half) * ldb + k0 + p;
                __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ldb);
                __m256 r2 = _mm256_loadu_ps(src + 2 * ldb), r3 = _mm256_loadu_ps(src + 3 * ldb);
                __m256 r4 = _mm256_loadu_ps(src + 4 * ldb), r5 = _mm256_loadu_ps(src + 5 * ldb);
                __m256 r6 = _mm256_loadu_ps(src + 6 * ldb), r7 = _mm256_loadu_ps(src + 7 * ldb);
                transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
                float* dst = packed + p * nr + 8 * half;
                _mm256_store_ps(dst, r0);
                _mm256_store_ps(dst + nr, r1);
                _mm256_store_ps(dst + 2 * nr, r2);
                _mm256_store_ps(dst + 3 * nr, r3);
                _mm256_store_ps(dst + 4 * nr, r4);
                _mm256_store_ps(dst + 5 * nr, r5);
                _mm256_store_ps(dst + 6 * nr, r6);
                _mm256_store_ps(dst + 7 * nr, r7);
            }
        }
    }
    for (; p < kc; ++p) {  // k tail, or a right-edge panel
        float* dst = packed + p * nr;
        for (index_t j = 0; j < cols; ++j) dst[j] = bt[(j0 + j) * ldb + k0 + p];
        for (index_t j = cols; j < nr; ++j) dst[j] = 0.0f;
    }
}

inline void pack_b_transposed(const float* bt, index_t ldb, index_t k0, index_t kc, index_t j0, index_t cols,
                              float* packed) {
    for (index_t panel = 0; panel * nr < cols; ++panel)
        pack_b_panel_transposed(bt, ldb, k0, kc, j0 + panel * nr, std::min(nr, cols - panel * nr),
                                packed + panel * kc * nr);
}

// Six lanes of a ymm register to dst[0..6), with no write past them.
AIGC_TARGET_AVX2 inline void store6(float* dst, __m256 v) {
    _mm_storeu_ps(dst, _mm256_castps256_ps128(v));
    _mm_storel_pi(reinterpret_cast<__m64*>(dst + 4), _mm256_extractf128_ps(v, 1));
}

// One micro-panel dst[p][6] = A(first + r, k0 + p) for p < kc, r < height, zero for r >= height.
// A [m, k] (trans_a false, lda = k): six rows at a time through 8 x 8 transposes. A stored
// transposed [k, m] (lda = m): six consecutive floats per p.
AIGC_TARGET_AVX2 inline void pack_a_panel(bool trans_a, const float* a, index_t lda, index_t first, index_t height,
                                          index_t k0, index_t kc, float* dst) {
    if (trans_a) {
        for (index_t p = 0; p < kc; ++p) {
            const float* src = a + (k0 + p) * lda + first;
            float* d = dst + p * mr;
            if (p + prefetch_rows < kc) _mm_prefetch(reinterpret_cast<const char*>(src + prefetch_rows * lda), _MM_HINT_T0);
            if (height == mr) {
                _mm_storeu_ps(d, _mm_loadu_ps(src));
                _mm_storel_pi(reinterpret_cast<__m64*>(d + 4), _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(src + 4)));
            } else {
                for (index_t r = 0; r < height; ++r) d[r] = src[r];
                for (index_t r = height; r < mr; ++r) d[r] = 0.0f;
            }
        }
        return;
    }
    index_t p = 0;
    if (height == mr) {
        const float* row[6];
        for (index_t r = 0; r < mr; ++r) row[r] = a + (first + r) * lda + k0;
        for (; p + 8 <= kc; p += 8) {
            __m256 r0 = _mm256_loadu_ps(row[0] + p), r1 = _mm256_loadu_ps(row[1] + p);
            __m256 r2 = _mm256_loadu_ps(row[2] + p), r3 = _mm256_loadu_ps(row[3] + p);
            __m256 r4 = _mm256_loadu_ps(row[4] + p), r5 = _mm256_loadu_ps(row[5] + p);
            __m256 r6 = _mm256_setzero_ps(), r7 = _mm256_setzero_ps();
            transpose8(r0, r1, r2, r3, r4, r5, r6, r7);  // r_q = column p + q
            float* d = dst + p * mr;
            store6(d, r0);
            store6(d + mr, r1);
            store6(d + 2 * mr, r2);
            store6(d + 3 * mr, r3);
            store6(d + 4 * mr, r4);
            store6(d + 5 * mr, r5);
            store6(d + 6 * mr, r6);
            store6(d + 7 * mr, r7);
        }
    }
    for (; p < kc; ++p) {
        for (index_t r = 0; r < height; ++r) dst[p * mr + r] = a[(first + r) * lda + k0 + p];
        for (index_t r = height; r < mr; ++r) dst[p * mr + r] = 0.0f;
    }
}

// All of A packed once per GEMM and shared by every column chunk: k-block by k-block, each a
// run of 6-row micro-panels [p][6]. Block k0 starts at k0 * m_pad (earlier blocks hold kc_max
// columns of m_pad rows each).
struct PackedA {
    float* data;
    index_t m, k, m_pad;
    static index_t padded_rows(index_t m) { return (m + mr - 1) / mr * mr; }
    index_t panels() const { return m_pad / mr; }
    index_t k_blocks() const { return (k + kc_max - 1) / kc_max; }
    // Micro-panel of rows [i, i + 6) in the k-block starting at k0.
    const float* panel(index_t k0, index_t i) const { return data + k0 * m_pad + i * std::min(kc_max, k - k0); }
};

// Packs items [begin, end) of the (k-block, micro-panel) list, k-block major.
AIGC_TARGET_AVX2 inline void pack_a_items(bool trans_a, const float* a, const PackedA& packed, index_t begin,
                                          index_t end) {
    index_t lda = trans_a ? packed.m : packed.k;
    for (index_t item = begin; item < end; ++item) {
        index_t k0 = item / packed.panels() * kc_max, i = item % packed.panels() * mr;
        index_t kc = std::min(kc_max, packed.k - k0);
        pack_a_panel(trans_a, a, lda, i, std::min(mr, packed.m - i), k0, kc,
                     const_cast<float*>(packed.panel(k0, i)));
    }
}

// 64-byte aligned scratch of at least `floats` floats, one per (thread, purpose); grows, never
// shrinks, so steady-state training allocates nothing here.
inline float* scratch(int purpose, index_t floats) {
    thread_local std::vector<float> storage[2];
    std::vector<float>& s = storage[purpose];
    std::size_t need = static_cast<std::size_t>(floats) + 16;
    if (s.size() < need) s.resize(need);
    auto address = reinterpret_cast<std::uintptr_t>(s.data());
    return reinterpret_cast<float*>((address + 63) & ~std::uintptr_t(63));
}
constexpr int scratch_a = 0, scratch_b = 1;

AIGC_TARGET_AVX2 inline void tile(index_t rows, index_t kc, const float* a, const float* b, float* c, index_t ldc,
                                   index_t cols, float alpha, bool overwrite) {
    switch (rows) {
        case 6: micro_kernel<6>(kc, a, b, c, ldc, cols, alpha, overwrite); break;
        case 5: micro_kernel<5>(kc, a, b, c, ldc, cols, alpha, overwrite); break;
        case 4: micro_kernel<4>(kc, a, b, c, ldc, cols, alpha, overwrite); break;
        case 3: micro_kernel<3>(kc, a, b, c, ldc, cols, alpha, overwrite); break;
        case 2: micro_kernel<2>(kc, a, b, c, ldc, cols, alpha, overwrite); break;
        default: micro_kernel<1>(kc, a, b, c, ldc, cols, alpha, overwrite); break;
    }
}

// Columns [j0, j1) of C [m, n] = alpha op(A) op(B) + beta C (j0 a multiple of 16), A packed.
// With beta = 0 the first k-block overwrites C, so C's old contents (even NaN) never matter.
AIGC_TARGET_AVX2 inline void gemm_columns(bool trans_b, const PackedA& a, index_t n, float alpha, const float* b,
                                          float beta, float* c, index_t j0, index_t j1) {
    index_t m = a.m, k = a.k;
    if (beta != 0.0f && beta != 1.0f)
        for (index_t i = 0; i < m; ++i)
            for (index_t j = j0; j < j1; ++j) c[i * n + j] *= beta;
    float* packed_b = scratch(scratch_b, nc_max * kc_max);
    const bool wide = use_avx512();
    for (index_t jc = j0; jc < j1; jc += nc_max) {
        index_t nc = std::min(nc_max, j1 - jc);
        for (index_t k0 = 0; k0 < k; k0 += kc_max) {
            index_t kc = std::min(kc_max, k - k0);
            bool overwrite = beta == 0.0f && k0 == 0;
            if (trans_b) pack_b_transposed(b, k, k0, kc, jc, nc, packed_b);
            else pack_b_rows(b, n, k0, kc, jc, nc, packed_b);
            for (index_t i0 = 0; i0 < m; i0 += mc_max) {
                index_t i1 = std::min(m, i0 + mc_max);
                // Along C's rows (six sequential streams) with the A micro-panel in L1.
                for (index_t i = i0; i < i1; i += mr) {
                    index_t rows = std::min(mr, m - i);
                    const float* a_panel = a.panel(k0, i);
                    float* c_row = c + i * n + jc;
                    index_t jr = 0;
                    if (wide) {  // whole groups of 4, then 2 panels; what is left goes to the AVX2 kernel
                        for (; jr + 4 * nr <= nc; jr += 4 * nr)
                            avx512::tile<4>(rows, kc, a_panel, mr, packed_b + jr * kc, nr * kc, c_row + jr, n, alpha,
                                            overwrite);
                        for (; jr + 2 * nr <= nc; jr += 2 * nr)
                            avx512::tile<2>(rows, kc, a_panel, mr, packed_b + jr * kc, nr * kc, c_row + jr, n, alpha,
                                            overwrite);
                    }
                    for (; jr < nc; jr += nr)
                        tile(rows, kc, a_panel, packed_b + jr * kc, c_row + jr, n, std::min(nr, nc - jr), alpha,
                             overwrite);
                }
            }
        }
    }
}

// C [m, n] = alpha op(A) op(B) + beta C (m, n, k > 0). parallel(chunks, f) runs f(0..chunks-1),
// possibly on several threads; `column_chunks` and `width` split C's columns (width % 16 == 0).
template <class Parallel>
void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a, const float* b,
          float beta, float* c, index_t column_chunks, index_t width, Parallel parallel) {
    PackedA packed{nullptr, m, k, PackedA::padded_rows(m)};
    packed.data = scratch(scratch_a, packed.m_pad * k);
    index_t items = packed.k_blocks() * packed.panels();
    // A is the small operand here (a batch of activations or gradients): packed by this thread
    // unless it is big, so the GEMM synchronises its threads once rather than twice.
    constexpr index_t serial_pack_limit = 1 << 17;  // floats
    bool small = packed.m_pad * k <= serial_pack_limit;
    index_t pack_chunks = column_chunks == 1 || small ? 1 : std::min<index_t>(items, column_chunks);
    index_t per_chunk = (items + pack_chunks - 1) / pack_chunks;
    parallel((items + per_chunk - 1) / per_chunk, [&](index_t chunk) {
        pack_a_items(trans_a, a, packed, chunk * per_chunk, std::min(items, (chunk + 1) * per_chunk));
    });
    parallel(column_chunks, [&](index_t chunk) {
        index_t j0 = chunk * width;
        gemm_columns(trans_b, packed, n, alpha, b, beta, c, j0, std::min(n, j0 + width));
    });
}

}  // namespace aigc::detail::avx2
