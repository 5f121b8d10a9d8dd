#pragma once
// Single-precision GEMM by plain loops: the fallback of the AVX2 kernel (gemm_avx2.hpp) on x86-64
// CPUs without AVX2/FMA (made before 2013), chosen at run time. Correct and simple, not fast: its
// job is to keep Eigen's general product out of every float program, where its four transposed
// spellings cost about 3 s of compile time per translation unit for a path today's CPUs never take.
#include "../core/shape.hpp"

namespace aigc::detail {

// Columns [j0, j1) of C[m, n] = alpha op(A) op(B) + beta C; A is [m, k] ([k, m] if trans_a), B is
// [k, n] ([n, k] if trans_b). beta == 0 overwrites C without reading it (BLAS's convention).
template <class T>
void reference_gemm_columns(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
                            const T* b, T beta, T* c, index_t j0, index_t j1) {
    for (index_t i = 0; i < m; ++i) {
        T* ci = c + i * n;
        for (index_t j = j0; j < j1; ++j) ci[j] = beta == T(0) ? T(0) : beta * ci[j];
        // i-p-j order: the inner loop runs along a row of B and of C, which the compiler vectorises.
        for (index_t p = 0; p < k; ++p) {
            T scaled_a = alpha * (trans_a ? a[p * m + i] : a[i * k + p]);
            if (trans_b)
                for (index_t j = j0; j < j1; ++j) ci[j] += scaled_a * b[j * k + p];
            else
                for (index_t j = j0; j < j1; ++j) ci[j] += scaled_a * b[p * n + j];
        }
    }
}

}  // namespace aigc::detail
