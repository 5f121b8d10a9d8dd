#pragma once
// The kernel table. A backend is a specialisation Kernels<D> whose static functions are listed by
// the KernelTable concept below; autograd, layers and optimizers only call these. Conventions:
//   - matrices are dense row-major; "rows x cols" with cols the fastest dimension;
//   - `accumulate` means y += result instead of y = result (gradients accumulate in place);
//   - In<T> describes an operand with strides so one kernel covers full, row-broadcast ([cols]),
//     column-broadcast ([rows]) and scalar operands: element (i, j) is p[i * row_stride + j * col_stride].
//   - outputs must not alias inputs unless the kernel says so (element-wise maps may alias fully).
#include <cstdint>
#include <span>

#include "functors.hpp"
#include "generator.hpp"
#include "optim_math.hpp"
#include "shape.hpp"

namespace aigc {

template <class T>
struct In {
    const T* p;
    index_t row_stride;
    index_t col_stride;

    static In full(const T* p, index_t cols) { return {p, cols, 1}; }
    static In row(const T* p) { return {p, 0, 1}; }      // a [cols] vector repeated on every row
    static In col(const T* p) { return {p, 1, 0}; }      // a [rows] vector repeated along each row
    static In scalar(const T* p) { return {p, 0, 0}; }   // one value everywhere
};

template <class D>
struct Kernels;  // specialised by each backend

// Minimal functors used to spell the concept's requirements.
template <class K, class T>
concept KernelTable = requires(index_t n, T* y, const T* x, T s, In<T> in, RandomStream stream,
                               std::span<const ParamSlot<T>> slots, T* host, const T* chost) {
    // C[m,n] = alpha * op(A) op(B) + beta * C, op = transpose when the flag is set.
    K::gemm(false, false, n, n, n, s, x, x, s, y);
    // y[i,j] (+)= f(a[i,j], ...) for 1..3 operands.
    K::transform(n, n, fn::Neg{}, y, in, false);
    K::transform(n, n, fn::Add{}, y, in, in, false);
    K::transform(n, n, fn::BceWithLogitsGrad{}, y, in, in, in, false);
    // Reductions of a [rows, cols] matrix.
    K::sum_rows(n, n, x, y, false);  // y[rows]
    K::sum_cols(n, n, x, y, false);  // y[cols]
    K::sum_all(n, x, y, false);      // y[1]
    K::max_rows(n, n, x, y);         // y[rows]
    // Fills.
    K::fill(n, s, y);
    K::fill_uniform(n, stream, s, s, y);
    K::fill_normal(n, stream, s, s, y);
    // Strided column-block copy: dst[i, j] (+)= src[i, j] for j < cols, with row pitches.
    K::copy_block(n, n, x, n, y, n, false);
    K::copy(n, x, y);
    K::to_host(n, x, host);
    K::from_host(n, chost, y);
    // One fused optimizer update over all parameters at once: Adam, SGD or RMSprop.
    K::apply_update(slots, AdamUpdate<T>{});
    K::apply_update(slots, SgdUpdate<T>{});
    K::apply_update(slots, RmspropUpdate<T>{});
    K::synchronize();
};

}  // namespace aigc
