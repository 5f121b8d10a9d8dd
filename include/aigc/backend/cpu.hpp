#pragma once
// Kernels<Cpu>: the kernel table on Eigen 3.4. Matrices are Eigen::Maps over tensor storage (no
// copies); element-wise maps are plain loops over the shared functors, which the compiler
// vectorises when every operand is dense.
#include <algorithm>
#include <cstring>
#include <span>

#include <Eigen/Core>

#include "../core/kernels.hpp"
#include "threads.hpp"

namespace aigc {

template <>
struct Kernels<Cpu> {
    template <class T>
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    template <class T>
    using MapC = Eigen::Map<const Matrix<T>, Eigen::Unaligned>;
    template <class T>
    using Map = Eigen::Map<Matrix<T>, Eigen::Unaligned>;

    // C[m,n] = alpha op(A) op(B) + beta C; A is [m,k] ([k,m] if trans_a), B is [k,n] ([n,k] if trans_b).
    template <class T>
    static void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
                     const T* b, T beta, T* c) {
        detail::ensure_thread_env();
        if (m == 0 || n == 0) return;
        Map<T> C(c, m, n);
        if (k == 0) {
            if (beta == T(0)) C.setZero();
            else C *= beta;
            return;
        }
        MapC<T> A(a, trans_a ? k : m, trans_a ? m : k);
        MapC<T> B(b, trans_b ? n : k, trans_b ? k : n);
        if (beta == T(0)) C.setZero();
        else if (beta != T(1)) C *= beta;
        // Four spellings so Eigen picks its transposed GEMM kernels instead of materialising A^T.
        if (!trans_a && !trans_b) C.noalias() += alpha * A * B;
        else if (trans_a && !trans_b) C.noalias() += alpha * A.transpose() * B;
        else if (!trans_a && trans_b) C.noalias() += alpha * A * B.transpose();
        else C.noalias() += alpha * A.transpose() * B.transpose();
    }

    // y[i,j] (+)= f(a[i,j], b[i,j], ...), operands broadcast by their strides.
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, bool accumulate) {
        apply(rows, cols, accumulate, y, [&](index_t i, index_t j) { return f(at(a, i, j)); },
              [&](index_t k) { return f(a.p[k]); }, dense(a, cols));
    }
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, In<T> b, bool accumulate) {
        apply(rows, cols, accumulate, y, [&](index_t i, index_t j) { return f(at(a, i, j), at(b, i, j)); },
              [&](index_t k) { return f(a.p[k], b.p[k]); }, dense(a, cols) && dense(b, cols));
    }
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, In<T> b, In<T> c, bool accumulate) {
        apply(rows, cols, accumulate, y,
              [&](index_t i, index_t j) { return f(at(a, i, j), at(b, i, j), at(c, i, j)); },
              [&](index_t k) { return f(a.p[k], b.p[k], c.p[k]); },
              dense(a, cols) && dense(b, cols) && dense(c, cols));
    }

    template <class T>
    static void sum_rows(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
        if (rows == 0) return;
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> Y(y, rows);
        if (cols == 0) {
            if (!accumulate) Y.setZero();
            return;
        }
        if (accumulate) Y += MapC<T>(x, rows, cols).rowwise().sum();
        else Y = MapC<T>(x, rows, cols).rowwise().sum();
    }
    template <class T>
    static void sum_cols(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
        if (cols == 0) return;
        Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> Y(y, cols);
        if (rows == 0) {
            if (!accumulate) Y.setZero();
            return;
        }
        if (accumulate) Y += MapC<T>(x, rows, cols).colwise().sum();
        else Y = MapC<T>(x, rows, cols).colwise().sum();
    }
    template <class T>
    static void sum_all(index_t n, const T* x, T* y, bool accumulate) {
        T total = n == 0 ? T(0) : Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).sum();
        *y = accumulate ? *y + total : total;
    }
    template <class T>
    static void max_rows(index_t rows, index_t cols, const T* x, T* y) {
        if (rows == 0) return;
        AIGC_CHECK(cols > 0, "max_rows: a row maximum of zero columns is undefined");
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(y, rows) = MapC<T>(x, rows, cols).rowwise().maxCoeff();
    }

    template <class T>
    static void fill(index_t n, T value, T* y) { std::fill(y, y + n, value); }
    template <class T>
    static void fill_uniform(index_t n, RandomStream s, T low, T high, T* y) {
        for (index_t i = 0; i < n; ++i) y[i] = low + (high - low) * philox::uniform_at<T>(s.seed, s.offset, i);
    }
    template <class T>
    static void fill_normal(index_t n, RandomStream s, T mean, T stddev, T* y) {
        for (index_t i = 0; i < n; ++i) y[i] = mean + stddev * philox::normal_at<T>(s.seed, s.offset, i);
    }

    template <class T>
    static void copy_block(index_t rows, index_t cols, const T* src, index_t src_pitch, T* dst, index_t dst_pitch,
                           bool accumulate) {
        for (index_t i = 0; i < rows; ++i) {
            const T* s = src + i * src_pitch;
            T* d = dst + i * dst_pitch;
            if (accumulate) for (index_t j = 0; j < cols; ++j) d[j] += s[j];
            else std::copy(s, s + cols, d);
        }
    }
    template <class T>
    static void copy(index_t n, const T* src, T* dst) { if (n) std::memcpy(dst, src, n * sizeof(T)); }
    template <class T>
    static void to_host(index_t n, const T* src, T* host) { copy(n, src, host); }
    template <class T>
    static void from_host(index_t n, const T* host, T* dst) { copy(n, host, dst); }

    template <class T>
    static void adam_step(std::span<const ParamSlot<T>> slots, AdamUpdate<T> update) {
        for (const auto& s : slots)
            for (index_t i = 0; i < s.n; ++i) update(s.param[i], s.grad[i], s.state0[i], s.state1[i]);
    }
    template <class T>
    static void sgd_step(std::span<const ParamSlot<T>> slots, SgdUpdate<T> update) {
        for (const auto& s : slots)
            for (index_t i = 0; i < s.n; ++i) update(s.param[i], s.grad[i], s.state0 ? s.state0 + i : nullptr);
    }
    template <class T>
    static void rmsprop_step(std::span<const ParamSlot<T>> slots, RmspropUpdate<T> update) {
        for (const auto& s : slots)
            for (index_t i = 0; i < s.n; ++i)
                update(s.param[i], s.grad[i], s.state0[i], s.state1 ? s.state1 + i : nullptr,
                       s.state2 ? s.state2 + i : nullptr);
    }

    static void synchronize() {}

private:
    template <class T>
    static T at(const In<T>& in, index_t i, index_t j) { return in.p[i * in.row_stride + j * in.col_stride]; }
    template <class T>
    static bool dense(const In<T>& in, index_t cols) { return in.col_stride == 1 && in.row_stride == cols; }

    // One loop for all arities: a flat loop when every operand is dense (vectorises), else 2-D.
    template <class T, class At, class Flat>
    static void apply(index_t rows, index_t cols, bool accumulate, T* y, At at2d, Flat flat, bool all_dense) {
        if (all_dense) {
            index_t n = rows * cols;
            if (accumulate) for (index_t k = 0; k < n; ++k) y[k] += flat(k);
            else for (index_t k = 0; k < n; ++k) y[k] = flat(k);
            return;
        }
        for (index_t i = 0; i < rows; ++i) {
            T* yr = y + i * cols;
            if (accumulate) for (index_t j = 0; j < cols; ++j) yr[j] += at2d(i, j);
            else for (index_t j = 0; j < cols; ++j) yr[j] = at2d(i, j);
        }
    }
};

static_assert(KernelTable<Kernels<Cpu>, float>);
static_assert(KernelTable<Kernels<Cpu>, double>);

}  // namespace aigc
