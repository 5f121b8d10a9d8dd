#pragma once
// The kernel table. A backend is a specialisation Kernels<D> whose static functions are listed by
// the KernelTable concept below; autograd, layers and optimizers only call these. Every entry:
//   - takes the backend's memory (device pointers on CUDA), except the host side of to_host and
//     from_host; matrices are dense row-major, "rows x cols" with cols the fastest dimension;
//   - accepts sizes >= 0, and 0 anywhere: an empty output is not touched and an empty input is
//     not read (its pointer may be null); a negative size is an aigc::Error on CUDA and must not
//     be passed on the CPU;
//   - with `accumulate`, computes y += result instead of y = result (gradients accumulate in
//     place); without it y is only written, so it may hold anything, NaN included;
//   - must not have its output overlap an input unless the entry says so;
//   - is ordered after the calls before it: on CUDA all run asynchronously on one stream, and only
//     to_host, from_host and synchronize wait for the device.
#include <cstdint>
#include <span>

#include "functors.hpp"
#include "generator.hpp"
#include "optim_math.hpp"
#include "shape.hpp"

namespace aigc {

// An operand of `transform` as a [rows, cols] matrix: element (i, j) is p[i * row_stride +
// j * col_stride]. Strides are >= 0; with a 0 stride one stored value serves a whole row or column,
// so one kernel covers full, row-broadcast ([cols]), column-broadcast ([rows]) and scalar operands.
// p is read only; for rows * cols == 0 it may be null.
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

// The calls below spell each entry's signature with placeholder arguments.
template <class K, class T>
concept KernelTable = requires(index_t n, T* y, const T* x, T s, In<T> in, RandomStream stream,
                               std::span<const ParamSlot<T>> slots, T* host, const T* chost) {
    // gemm(trans_a, trans_b, m, n, k, alpha, A, B, beta, C): C[m, n] = alpha op(A) op(B) + beta C,
    // op(A) [m, k] is A [m, k] or, with trans_a, A^T of A [k, m]; likewise op(B) [k, n] from
    // B [k, n] or B [n, k]. beta == 0 never reads C (NaN there is overwritten); k == 0 gives
    // C = beta C. C must not overlap A or B; A and B may be the same.
    K::gemm(false, false, n, n, n, s, x, x, s, y);
    // transform(rows, cols, f, y, a[, b[, c]], accumulate): y[i, j] (+)= f(a(i, j), b(i, j), c(i, j))
    // over y [rows, cols] (dense), f an AIGC_HD functor of core/functors.hpp or core/optim_math.hpp.
    // y may be the very array of a full operand (in place: each element is read before it is
    // written); it must not overlap a broadcast or otherwise strided operand. Where f has a vector
    // form the CPU evaluates it instead (see functors.hpp for how far the two may differ).
    K::transform(n, n, fn::Neg{}, y, in, false);
    K::transform(n, n, fn::Add{}, y, in, in, false);
    K::transform(n, n, fn::BceWithLogitsGrad{}, y, in, in, in, false);
    // Reductions of x [rows, cols]; y must not overlap x. An empty sum is 0 (so cols == 0 sets
    // y = 0, or leaves it unchanged with accumulate); the summation order differs per backend.
    K::sum_rows(n, n, x, y, false);  // y[i] (+)= sum_j x[i, j],  y [rows]
    K::sum_cols(n, n, x, y, false);  // y[j] (+)= sum_i x[i, j],  y [cols]
    K::sum_all(n, x, y, false);      // y[0] (+)= sum_k x[k],     x [n], y [1]
    K::max_rows(n, n, x, y);         // y[i] = max_j x[i, j], y [rows]; rows > 0 needs cols > 0 (else Error)
    // Fills of y [n]. Random values are Philox4x32-10 (core/generator.hpp): element i depends only
    // on (seed, offset + i / 4, i % 4), so any backend or split of the work gives the same values.
    K::fill(n, s, y);                        // y[i] = value
    K::fill_uniform(n, stream, s, s, y);     // y[i] = low + (high - low) u_i,  u_i in (0, 1]
    K::fill_normal(n, stream, s, s, y);      // y[i] = mean + stddev z_i, Box-Muller on pairs (2k, 2k + 1)
    // copy_block(rows, cols, src, src_pitch, dst, dst_pitch, accumulate):
    // dst[i * dst_pitch + j] (+)= src[i * src_pitch + j] for i < rows, j < cols (concat and slice);
    // pitches >= cols when rows > 1; src and dst must not overlap.
    K::copy_block(n, n, x, n, y, n, false);
    // Copies of n elements between non-overlapping buffers: within the backend, device to host,
    // host to device. to_host and from_host return when the data is where it was asked to be.
    K::copy(n, x, y);
    K::to_host(n, x, host);
    K::from_host(n, chost, y);
    // apply_update(slots, update): one fused optimizer step over every parameter, update one of
    // AdamUpdate, SgdUpdate, RmspropUpdate (core/optim_math.hpp): update.apply_at(slot, i) for
    // each slot and i < slot.n, in any order and in parallel. Each slot's param, grad and the state
    // buffers update.needs() name have slot.n elements; no two of all the slots' buffers overlap.
    // A slot with elements lacking one of these buffers is an aigc::Error before any memory is
    // touched; an empty slot may have null buffers. The CPU runs an update's block form where it
    // has one: the same statements on SIMD arrays, within a few ulp (AdamUpdate::apply_block).
    K::apply_update(slots, AdamUpdate<T>{});
    K::apply_update(slots, SgdUpdate<T>{});
    K::apply_update(slots, RmspropUpdate<T>{});
    // Returns when all work queued on the backend is done.
    K::synchronize();
};

}  // namespace aigc
