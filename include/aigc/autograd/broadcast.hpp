#pragma once
// How a binary op's operand lines up with the [rows, cols] result: the same shape, a row vector
// [cols] repeated on every row, a column [rows, 1] repeated along each row, or a scalar. The
// backward pass sums the result-shaped gradient back down to the operand's shape.
#include "var.hpp"

namespace aigc::detail {

enum class Broadcast { full, row, col, scalar };

template <class T>
In<T> operand(const T* p, Broadcast b, index_t cols) {
    switch (b) {
        case Broadcast::full: return In<T>::full(p, cols);
        case Broadcast::row: return In<T>::row(p);
        case Broadcast::col: return In<T>::col(p);
        case Broadcast::scalar: return In<T>::scalar(p);
    }
    return In<T>::full(p, cols);
}

inline bool is_row_of(const Shape& v, const Shape& m) {
    if (m.rank() < 2) return false;
    return (v.rank() == 1 && v[0] == m.cols()) || (v.rank() == 2 && v[0] == 1 && v[1] == m.cols());
}
inline bool is_col_of(const Shape& v, const Shape& m) {
    return m.rank() == 2 && v.rank() == 2 && v[1] == 1 && v[0] == m[0];
}

struct BinaryLayout {
    Shape out;
    Broadcast a, b;
};

// Decides the layout of `a op b` or names the shapes that do not fit.
inline BinaryLayout binary_layout(const char* op, const Shape& a, const Shape& b) {
    if (a == b) return {a, Broadcast::full, Broadcast::full};
    if (b.numel() == 1) return {a, Broadcast::full, Broadcast::scalar};
    if (a.numel() == 1) return {b, Broadcast::scalar, Broadcast::full};
    if (is_row_of(b, a)) return {a, Broadcast::full, Broadcast::row};
    if (is_row_of(a, b)) return {b, Broadcast::row, Broadcast::full};
    if (is_col_of(b, a)) return {a, Broadcast::full, Broadcast::col};
    if (is_col_of(a, b)) return {b, Broadcast::col, Broadcast::full};
    fail(concat(op, ": shapes ", a, " and ", b,
                " do not broadcast (expected equal shapes, a row [cols], a column [rows, 1] or a scalar)"));
}

// grad (+)= reduce(f(operands...)) where the reduction sums the result shape down to `b`
// (added to the destination's gradient, or written to a new one: see Node::grad_destination).
template <class T, class D, class F, class... Ins>
void accumulate_reduced(GradDestination<T, D> destination, Broadcast b, index_t rows, index_t cols, F f,
                        Ins... ins) {
    using K = Kernels<D>;
    T* grad = destination.grad.data();
    bool accumulate = destination.accumulate;
    if (b == Broadcast::full) {
        K::transform(rows, cols, f, grad, ins..., accumulate);
        return;
    }
    Tensor<T, D> full(Shape{rows, cols});
    K::transform(rows, cols, f, full.data(), ins..., false);
    switch (b) {
        case Broadcast::row: K::sum_cols(rows, cols, full.data(), grad, accumulate); break;
        case Broadcast::col: K::sum_rows(rows, cols, full.data(), grad, accumulate); break;
        default: K::sum_all(rows * cols, full.data(), grad, accumulate); break;
    }
}

// The differentiable form of the reduction above: `full`, an operand's gradient at the result's
// shape `out`, summed down to the operand's layout and shape (sum and reshape are found by ADL
// where this is instantiated: autograd.hpp includes them).
template <class T, class D>
Var<T, D> sum_to(const Var<T, D>& full, Broadcast b, const Shape& out, const Shape& operand) {
    if (b == Broadcast::full) return full;
    if (b == Broadcast::scalar) return reshape(sum(full), operand);
    Var<T, D> matrix = reshape(full, Shape{out.rows(), out.cols()});
    return reshape(sum(matrix, b == Broadcast::row ? 0 : 1), operand);
}

}  // namespace aigc::detail
