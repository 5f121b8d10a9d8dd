#pragma once
// Kernels<Cuda>: the kernel table (core/kernels.hpp) on our CUDA kernels. Each entry forwards to
// the kernel family's launcher; pointers are device pointers except the host side of
// to_host/from_host. Calls are asynchronous on the device's stream except to_host, from_host
// and synchronize, which return when the data is where it was asked to be.
#include <span>

#include <aigc/core/kernels.hpp>

#include "common.cuh"
#include "copy.cuh"
#include "elementwise.cuh"
#include "fill.cuh"
#include "gemm.cuh"
#include "memory.cuh"
#include "optim.cuh"
#include "reduce.cuh"

namespace aigc {

template <>
struct Kernels<Cuda> {
    // C[m,n] = alpha op(A) op(B) + beta C; A is [m,k] ([k,m] if trans_a), B is [k,n] ([n,k] if trans_b).
    template <class T>
    static void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a, const T* b,
                     T beta, T* c) {
        cuda::gemm(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
    }

    // y[i,j] (+)= f(a[i,j], b[i,j], ...), operands broadcast by their strides.
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, bool accumulate) {
        cuda::transform(rows, cols, f, y, accumulate, a);
    }
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, In<T> b, bool accumulate) {
        cuda::transform(rows, cols, f, y, accumulate, a, b);
    }
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, In<T> b, In<T> c, bool accumulate) {
        cuda::transform(rows, cols, f, y, accumulate, a, b, c);
    }

    template <class T>
    static void sum_rows(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
        cuda::sum_rows(rows, cols, x, y, accumulate);
    }
    template <class T>
    static void sum_cols(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
        cuda::sum_cols(rows, cols, x, y, accumulate);
    }
    template <class T>
    static void sum_all(index_t n, const T* x, T* y, bool accumulate) { cuda::sum_all(n, x, y, accumulate); }
    template <class T>
    static void max_rows(index_t rows, index_t cols, const T* x, T* y) { cuda::max_rows(rows, cols, x, y); }

    template <class T>
    static void fill(index_t n, T value, T* y) { cuda::fill(n, value, y); }
    template <class T>
    static void fill_uniform(index_t n, RandomStream s, T low, T high, T* y) { cuda::fill_uniform(n, s, low, high, y); }
    template <class T>
    static void fill_normal(index_t n, RandomStream s, T mean, T stddev, T* y) {
        cuda::fill_normal(n, s, mean, stddev, y);
    }

    template <class T>
    static void copy_block(index_t rows, index_t cols, const T* src, index_t src_pitch, T* dst, index_t dst_pitch,
                           bool accumulate) {
        cuda::copy_block(rows, cols, src, src_pitch, dst, dst_pitch, accumulate);
    }
    template <class T>
    static void copy(index_t n, const T* src, T* dst) { cuda::copy(n, src, dst); }
    template <class T>
    static void to_host(index_t n, const T* src, T* host) { cuda::to_host(n, src, host); }
    template <class T>
    static void from_host(index_t n, const T* host, T* dst) { cuda::from_host(n, host, dst); }

    // One launch over all slots; update is AdamUpdate, SgdUpdate or RmspropUpdate.
    template <class T, class Update>
    static void apply_update(std::span<const ParamSlot<T>> slots, Update update) { cuda::apply_update(slots, update); }

    static void synchronize() { cuda::synchronize(); }
};

static_assert(KernelTable<Kernels<Cuda>, float>);
static_assert(KernelTable<Kernels<Cuda>, double>);

}  // namespace aigc
