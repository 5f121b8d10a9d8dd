#pragma once
// Reductions: sum, mean and var over all elements or along any axis of a tensor of rank <= 4
// (negative axes count from the end, as in PyTorch); logsumexp, softmax and log_softmax along an
// axis. sum's gradient repeats the incoming one along the axis (detail::repeat), and repeat's is a
// sum: each is the other's differentiable backward. The rest are written with these and
// element-wise ops, so they differentiate to any order.
#include "axis.hpp"
#include "ops_arith.hpp"
#include "ops_unary.hpp"

namespace aigc {

template <class T, class D>
Var<T, D> reshape(const Var<T, D>& x, const Shape& shape);

namespace detail {
// g [outer, inner] (g's own shape may keep the axis as a 1) repeated `length` times along `axis`,
// giving `full` -- the gradient of sum(x, axis) as an op.
template <class T, class D>
Var<T, D> repeat(const Var<T, D>& g, const Shape& full, int axis) {
    AxisView v = axis_view(full, axis);
    AIGC_CHECK(g.numel() == v.outer * v.inner, "repeat: ", g.shape(), " does not fill ", full, " without axis ",
               axis);
    Tensor<T, D> out(full);
    repeat_axis<T, D>(v, g.value().data(), out.data(), false);
    return make_result(
        std::move(out), "repeat", {g},
        [v](Node<T, D>& self) {
            auto [gg, accumulate] = self.inputs[0]->grad_destination();
            sum_axis<T, D>(v, self.grad.data(), gg.data(), accumulate);
        },
        [axis](GraphGradient<T, D>& graph) {
            graph.give(0, reshape(sum(graph.grad(), axis), graph.input(0).shape()));
        });
}

// The maximum along `axis`, [outer, inner] as a constant (log-sum-exp's shift; no gradient).
template <class T, class D>
Tensor<T, D> max_along(const char* op, const Tensor<T, D>& x, int axis) {
    AxisView v = axis_view(x.shape(), axis);
    AIGC_CHECK(v.length > 0 || v.outer * v.inner == 0, op, ": axis ", axis, " of ", x.shape(), " is empty");
    Tensor<T, D> m(Shape{v.outer * v.inner});
    if (m.numel() == 0) return m;
    if (v.inner == 1) {
        Kernels<D>::max_rows(v.outer, v.length, x.data(), m.data());
        return m;
    }
    const index_t pitch = v.length * v.inner;
    Kernels<D>::transform(v.outer, v.inner, fn::Identity{}, m.data(), In<T>{x.data(), pitch, 1}, false);
    for (index_t a = 1; a < v.length; ++a)
        Kernels<D>::transform(v.outer, v.inner, fn::Maximum{}, m.data(), In<T>::full(m.data(), v.inner),
                              In<T>{x.data() + a * v.inner, pitch, 1}, false);
    return m;
}
}  // namespace detail

// Sum of all elements -> scalar (rank 0).
template <class T, class D>
Var<T, D> sum(const Var<T, D>& x) {
    Tensor<T, D> out(Shape{});
    Kernels<D>::sum_all(x.numel(), x.value().data(), out.data(), false);
    return detail::make_result(
        std::move(out), "sum", {x},
        [](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            Kernels<D>::transform(g.rows(), g.cols(), fn::Identity{}, g.data(), In<T>::scalar(self.grad.data()),
                                  accumulate);
        },
        [](GraphGradient<T, D>& graph) {
            const Shape& shape = graph.input(0).shape();
            Var<T, D> spread = detail::repeat(reshape(graph.grad(), Shape{1}), Shape{shape.numel()}, 0);
            graph.give(0, reshape(spread, shape));
        });
}

// Sum along `axis`: [2, 3, 4] along 1 -> [2, 4], or [2, 1, 4] with keepdim.
template <class T, class D>
Var<T, D> sum(const Var<T, D>& x, int axis, bool keepdim = false) {
    const int a = detail::normalize_axis("sum", x.shape(), axis);
    detail::AxisView v = detail::axis_view(x.shape(), a);
    Tensor<T, D> out(detail::reduced_shape(x.shape(), a, keepdim));
    detail::sum_axis<T, D>(v, x.value().data(), out.data(), false);
    return detail::make_result(
        std::move(out), "sum", {x},
        [v](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            detail::repeat_axis<T, D>(v, self.grad.data(), g.data(), accumulate);
        },
        [a](GraphGradient<T, D>& graph) { graph.give(0, detail::repeat(graph.grad(), graph.input(0).shape(), a)); });
}

template <class T, class D>
Var<T, D> mean(const Var<T, D>& x) {
    AIGC_CHECK(x.numel() > 0, "mean: the mean of an empty tensor ", x.shape(), " is undefined");
    return detail::affine("mean", sum(x), T(1) / static_cast<T>(x.numel()), T(0));
}

template <class T, class D>
Var<T, D> mean(const Var<T, D>& x, int axis, bool keepdim = false) {
    const int a = detail::normalize_axis("mean", x.shape(), axis);
    index_t count = x.shape()[a];
    AIGC_CHECK(count > 0, "mean: axis ", axis, " of ", x.shape(), " is empty");
    return detail::affine("mean", sum(x, a, keepdim), T(1) / static_cast<T>(count), T(0));
}

// Variance along `axis` with Bessel's correction by default (torch.var: sum of squared deviations
// over count - correction).
template <class T, class D>
Var<T, D> var(const Var<T, D>& x, int axis, bool keepdim = false, int correction = 1) {
    const int a = detail::normalize_axis("var", x.shape(), axis);
    index_t count = x.shape()[a];
    AIGC_CHECK(count - correction > 0, "var: axis ", axis, " of ", x.shape(), " has ", count,
               " elements, too few for correction ", correction);
    Var<T, D> centred = x - detail::repeat(mean(x, a, true), x.shape(), a);
    return sum(square(centred), a, keepdim) * (T(1) / static_cast<T>(count - correction));
}

// Variance of all elements, with Bessel's correction (torch.var(x)); for another correction,
// var(reshape(x, {x.numel()}), 0, false, correction).
template <class T, class D>
Var<T, D> var(const Var<T, D>& x) {
    return var(reshape(x, Shape{x.numel()}), 0);
}

// log(sum(exp(x), axis)), shifted by the maximum along the axis so it never overflows.
template <class T, class D>
Var<T, D> logsumexp(const Var<T, D>& x, int axis, bool keepdim = false) {
    const int a = detail::normalize_axis("logsumexp", x.shape(), axis);
    Tensor<T, D> shift = detail::max_along("logsumexp", x.value(), a);
    Shape kept = detail::reduced_shape(x.shape(), a, true);
    Var<T, D> shift_full(Tensor<T, D>(x.shape()));
    detail::repeat_axis<T, D>(detail::axis_view(x.shape(), a), shift.data(), shift_full.value().data(), false);
    Var<T, D> total = sum(exp(x - shift_full), a, true);
    Var<T, D> result = log(total) + Var<T, D>(shift.reshape(kept));
    return keepdim ? result : reshape(result, detail::reduced_shape(x.shape(), a, false));
}

// x - logsumexp(x) along `axis` (the last by default): log-probabilities from logits.
template <class T, class D>
Var<T, D> log_softmax(const Var<T, D>& x, int axis = -1) {
    const int a = detail::normalize_axis("log_softmax", x.shape(), axis);
    return x - detail::repeat(logsumexp(x, a, true), x.shape(), a);
}

// exp(x) / sum(exp(x)) along `axis` (the last by default).
template <class T, class D>
Var<T, D> softmax(const Var<T, D>& x, int axis = -1) {
    return exp(log_softmax(x, axis));
}

}  // namespace aigc
