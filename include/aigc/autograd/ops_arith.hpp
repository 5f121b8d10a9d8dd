#pragma once
// Arithmetic with broadcasting: add, sub, mul, div, minimum, maximum between Vars (same shape, row
// [cols], column [rows, 1] or scalar operands) and with plain numbers; neg, lerp. Each op: forward,
// then its backward on tensors and its differentiable form (the gradient at the result's shape,
// summed down to each operand's shape by sum_to).
#include "broadcast.hpp"

namespace aigc {

namespace detail {
template <class T, class D, class Forward, class GradA, class GradB, class GraphGrads>
Var<T, D> binary(const char* op, const Var<T, D>& a, const Var<T, D>& b, Forward forward, GradA grad_a,
                 GradB grad_b, GraphGrads graph_grads) {
    BinaryLayout layout = binary_layout(op, a.shape(), b.shape());
    index_t rows = layout.out.rows(), cols = layout.out.cols();
    Tensor<T, D> out(layout.out);
    Kernels<D>::transform(rows, cols, forward, out.data(), operand(a.value().data(), layout.a, cols),
                          operand(b.value().data(), layout.b, cols), false);
    return make_result(std::move(out), op, {a, b}, [=, av = a.value(), bv = b.value()](Node<T, D>& self) {
        In<T> g = self.grad.in();
        In<T> ai = operand(av.data(), layout.a, cols), bi = operand(bv.data(), layout.b, cols);
        Node<T, D>& na = *self.inputs[0];
        Node<T, D>& nb = *self.inputs[1];
        if (na.requires_grad) grad_a(na.grad_destination(), layout.a, rows, cols, g, ai, bi);
        if (nb.requires_grad) grad_b(nb.grad_destination(), layout.b, rows, cols, g, ai, bi);
    }, [layout, graph_grads](GraphGradient<T, D>& graph) {
        Var<T, D> a = graph.input(0), b = graph.input(1);
        auto [ga, gb] = graph_grads(graph.grad(), a, b, graph.output());
        if (graph.needs(0)) graph.give(0, sum_to(ga, layout.a, layout.out, a.shape()));
        if (graph.needs(1)) graph.give(1, sum_to(gb, layout.b, layout.out, b.shape()));
    });
}

// The differentiable gradients of the binary ops at the result's shape: (g, a, b, out) -> {da, db}.
struct AddGraph {
    template <class V> std::pair<V, V> operator()(const V& g, const V&, const V&, const V&) const { return {g, g}; }
};
struct SubGraph {
    template <class V> std::pair<V, V> operator()(const V& g, const V&, const V&, const V&) const { return {g, -g}; }
};
struct MulGraph {
    template <class V> std::pair<V, V> operator()(const V& g, const V& a, const V& b, const V&) const {
        return {g * b, g * a};
    }
};
struct DivGraph {  // d(a/b) = g/b, -g (a/b)/b
    template <class V> std::pair<V, V> operator()(const V& g, const V&, const V& b, const V& out) const {
        V g_over_b = g / b;
        return {g_over_b, -(g_over_b * out)};
    }
};
// minimum/maximum: the derivative is a mask of 0, 1/2 and 1, a constant (piecewise linear).
template <class Grad>
struct SelectGraph {
    template <class T, class D>
    std::pair<Var<T, D>, Var<T, D>> operator()(const Var<T, D>& g, const Var<T, D>& a, const Var<T, D>& b,
                                               const Var<T, D>&) const {
        return {g * Var<T, D>(mask(a, b)), g * Var<T, D>(mask(b, a))};
    }
    // Grad(1, x, y) at the result's shape: the derivative of the result by x.
    template <class T, class D>
    static Tensor<T, D> mask(const Var<T, D>& x, const Var<T, D>& y) {
        BinaryLayout layout = binary_layout("mask", x.shape(), y.shape());
        Tensor<T, D> one = Tensor<T, D>::ones(Shape{}), m(layout.out);
        index_t cols = layout.out.cols();
        Kernels<D>::transform(layout.out.rows(), cols, Grad{}, m.data(), In<T>::scalar(one.data()),
                              operand(x.value().data(), layout.a, cols), operand(y.value().data(), layout.b, cols),
                              false);
        return m;
    }
};

// Gradients of the four binary ops, written as (destination, layout, rows, cols, g, a, b).
struct PassThrough {  // d(a+b)/da = 1
    template <class T, class D>
    void operator()(GradDestination<T, D> grad, Broadcast b, index_t r, index_t c, In<T> g, In<T>,
                    In<T>) const {
        accumulate_reduced(grad, b, r, c, fn::Identity{}, g);
    }
};
struct Negated {  // d(a-b)/db = -1
    template <class T, class D>
    void operator()(GradDestination<T, D> grad, Broadcast b, index_t r, index_t c, In<T> g, In<T>,
                    In<T>) const {
        accumulate_reduced(grad, b, r, c, fn::Neg{}, g);
    }
};
struct TimesOther {  // d(ab)/da = b, d(ab)/db = a
    bool for_a;
    template <class T, class D>
    void operator()(GradDestination<T, D> grad, Broadcast b, index_t r, index_t c, In<T> g, In<T> a,
                    In<T> bb) const {
        accumulate_reduced(grad, b, r, c, fn::Mul{}, g, for_a ? bb : a);
    }
};
struct DivNumerator {  // d(a/b)/da = 1/b
    template <class T, class D>
    void operator()(GradDestination<T, D> grad, Broadcast b, index_t r, index_t c, In<T> g, In<T>,
                    In<T> bb) const {
        accumulate_reduced(grad, b, r, c, fn::Div{}, g, bb);
    }
};
struct DivDenominator {  // d(a/b)/db = -a/b^2
    template <class T, class D>
    void operator()(GradDestination<T, D> grad, Broadcast b, index_t r, index_t c, In<T> g, In<T> a,
                    In<T> bb) const {
        accumulate_reduced(grad, b, r, c, fn::DivGradDenominator{}, g, a, bb);
    }
};

template <class F, bool ForA>
struct SelectGrad {  // minimum/maximum: F(g, this operand, the other)
    template <class T, class D>
    void operator()(GradDestination<T, D> grad, Broadcast b, index_t r, index_t c, In<T> g, In<T> a,
                    In<T> bb) const {
        if (ForA) accumulate_reduced(grad, b, r, c, F{}, g, a, bb);
        else accumulate_reduced(grad, b, r, c, F{}, g, bb, a);
    }
};

// y = alpha x + beta: the scalar forms of add/sub/mul/div.
template <class T, class D>
Var<T, D> affine(const char* op, const Var<T, D>& x, T alpha, T beta) {
    Tensor<T, D> out(x.shape());
    Kernels<D>::transform(out.rows(), out.cols(), fn::Affine<T>{alpha, beta}, out.data(), x.value().in(), false);
    return make_result(
        std::move(out), op, {x},
        [alpha](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            Kernels<D>::transform(g.rows(), g.cols(), fn::Affine<T>{alpha, T(0)}, g.data(), self.grad.in(), accumulate);
        },
        [alpha](GraphGradient<T, D>& graph) { graph.give(0, affine("mul", graph.grad(), alpha, T(0))); });
}
}  // namespace detail

template <class T, class D>
Var<T, D> add(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("add", a, b, fn::Add{}, detail::PassThrough{}, detail::PassThrough{}, detail::AddGraph{});
}
template <class T, class D>
Var<T, D> sub(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("sub", a, b, fn::Sub{}, detail::PassThrough{}, detail::Negated{}, detail::SubGraph{});
}
template <class T, class D>
Var<T, D> mul(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("mul", a, b, fn::Mul{}, detail::TimesOther{true}, detail::TimesOther{false},
                          detail::MulGraph{});
}
template <class T, class D>
Var<T, D> div(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("div", a, b, fn::Div{}, detail::DivNumerator{}, detail::DivDenominator{}, detail::DivGraph{});
}
// Element-wise minimum and maximum (PyTorch's torch.minimum/maximum): on a tie each operand gets
// half the gradient.
template <class T, class D>
Var<T, D> minimum(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("minimum", a, b, fn::Minimum{}, detail::SelectGrad<fn::MinimumGrad, true>{},
                          detail::SelectGrad<fn::MinimumGrad, false>{},
                          detail::SelectGraph<fn::MinimumGrad>{});
}
template <class T, class D>
Var<T, D> maximum(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("maximum", a, b, fn::Maximum{}, detail::SelectGrad<fn::MaximumGrad, true>{},
                          detail::SelectGrad<fn::MaximumGrad, false>{},
                          detail::SelectGraph<fn::MaximumGrad>{});
}

template <class T, class D>
Var<T, D> neg(const Var<T, D>& x) { return detail::affine("neg", x, T(-1), T(0)); }
template <class T, class D>
Var<T, D> add(const Var<T, D>& x, T s) { return detail::affine("add", x, T(1), s); }
template <class T, class D>
Var<T, D> sub(const Var<T, D>& x, T s) { return detail::affine("sub", x, T(1), -s); }
template <class T, class D>
Var<T, D> rsub(T s, const Var<T, D>& x) { return detail::affine("sub", x, T(-1), s); }
template <class T, class D>
Var<T, D> mul(const Var<T, D>& x, T s) { return detail::affine("mul", x, s, T(0)); }
template <class T, class D>
Var<T, D> div(const Var<T, D>& x, T s) {
    AIGC_CHECK(s != T(0), "div: division of a ", x.shape(), " tensor by the scalar 0");
    return detail::affine("div", x, T(1) / s, T(0));
}

// start + weight (end - start), PyTorch's lerp, with a number or a Var (broadcast) as weight.
template <class T, class D>
Var<T, D> lerp(const Var<T, D>& start, const Var<T, D>& end, std::type_identity_t<T> weight) {
    return add(mul(start, T(1) - weight), mul(end, weight));
}
template <class T, class D>
Var<T, D> lerp(const Var<T, D>& start, const Var<T, D>& end, const Var<T, D>& weight) {
    return add(start, mul(weight, sub(end, start)));
}

template <class T, class D> Var<T, D> operator+(const Var<T, D>& a, const Var<T, D>& b) { return add(a, b); }
template <class T, class D> Var<T, D> operator-(const Var<T, D>& a, const Var<T, D>& b) { return sub(a, b); }
template <class T, class D> Var<T, D> operator*(const Var<T, D>& a, const Var<T, D>& b) { return mul(a, b); }
template <class T, class D> Var<T, D> operator/(const Var<T, D>& a, const Var<T, D>& b) { return div(a, b); }
template <class T, class D> Var<T, D> operator-(const Var<T, D>& x) { return neg(x); }
template <class T, class D> Var<T, D> operator+(const Var<T, D>& x, std::type_identity_t<T> s) { return add(x, s); }
template <class T, class D> Var<T, D> operator+(std::type_identity_t<T> s, const Var<T, D>& x) { return add(x, s); }
template <class T, class D> Var<T, D> operator-(const Var<T, D>& x, std::type_identity_t<T> s) { return sub(x, s); }
template <class T, class D> Var<T, D> operator-(std::type_identity_t<T> s, const Var<T, D>& x) { return rsub(s, x); }
template <class T, class D> Var<T, D> operator*(const Var<T, D>& x, std::type_identity_t<T> s) { return mul(x, s); }
template <class T, class D> Var<T, D> operator*(std::type_identity_t<T> s, const Var<T, D>& x) { return mul(x, s); }
template <class T, class D> Var<T, D> operator/(const Var<T, D>& x, std::type_identity_t<T> s) { return div(x, s); }

}  // namespace aigc
