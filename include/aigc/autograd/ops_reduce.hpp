#pragma once
// sum and mean over all elements or along one axis of a matrix.
#include "ops_arith.hpp"

namespace aigc {

// Sum of all elements -> scalar (rank 0).
template <class T, class D>
Var<T, D> sum(const Var<T, D>& x) {
    Tensor<T, D> out(Shape{});
    Kernels<D>::sum_all(x.numel(), x.value().data(), out.data(), false);
    return detail::make_result(std::move(out), "sum", {x}, [](Node<T, D>& self) {
        auto [g, accumulate] = self.inputs[0]->grad_destination();
        Kernels<D>::transform(g.rows(), g.cols(), fn::Identity{}, g.data(), In<T>::scalar(self.grad.data()),
                              accumulate);
    });
}

namespace detail {
// Axis reductions see x as a matrix [rows, cols]; -1 names the last axis (1).
inline void check_axis(const char* op, const Shape& x, int axis) {
    AIGC_CHECK(x.rank() == 2, op, ": axis reductions need a matrix [rows, cols], given ", x);
    AIGC_CHECK(axis == 0 || axis == 1 || axis == -1, op, ": axis must be 0 or 1 (or -1) for ", x, ", given ", axis);
}
}  // namespace detail

// Sum along `axis` of a [rows, cols] matrix: axis 0 -> [cols], axis 1 -> [rows]; keepdim keeps a 1.
template <class T, class D>
Var<T, D> sum(const Var<T, D>& x, int axis, bool keepdim = false) {
    detail::check_axis("sum", x.shape(), axis);
    bool over_rows = axis == 0;
    index_t rows = x.shape()[0], cols = x.shape()[1];
    Shape shape = over_rows ? (keepdim ? Shape{1, cols} : Shape{cols}) : (keepdim ? Shape{rows, 1} : Shape{rows});
    Tensor<T, D> out(shape);
    if (over_rows) Kernels<D>::sum_cols(rows, cols, x.value().data(), out.data(), false);
    else Kernels<D>::sum_rows(rows, cols, x.value().data(), out.data(), false);
    return detail::make_result(std::move(out), "sum", {x}, [over_rows, rows, cols](Node<T, D>& self) {
        auto [g, accumulate] = self.inputs[0]->grad_destination();
        In<T> spread = over_rows ? In<T>::row(self.grad.data()) : In<T>::col(self.grad.data());
        Kernels<D>::transform(rows, cols, fn::Identity{}, g.data(), spread, accumulate);
    });
}

template <class T, class D>
Var<T, D> mean(const Var<T, D>& x) {
    AIGC_CHECK(x.numel() > 0, "mean: the mean of an empty tensor ", x.shape(), " is undefined");
    return detail::affine("mean", sum(x), T(1) / static_cast<T>(x.numel()), T(0));
}

template <class T, class D>
Var<T, D> mean(const Var<T, D>& x, int axis, bool keepdim = false) {
    detail::check_axis("mean", x.shape(), axis);
    index_t count = axis == 0 ? x.shape()[0] : x.shape()[1];
    AIGC_CHECK(count > 0, "mean: axis ", axis, " of ", x.shape(), " is empty");
    Var<T, D> total = sum(x, axis, keepdim);
    return detail::affine("mean", total, T(1) / static_cast<T>(count), T(0));
}

}  // namespace aigc
