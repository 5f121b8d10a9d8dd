#pragma once
// Arithmetic with broadcasting: add, sub, mul, div between Vars (same shape, row [cols], column
// [rows, 1] or scalar operands) and with plain numbers; neg. Each op: forward, then its backward.
#include "broadcast.hpp"

namespace aigc {

namespace detail {
template <class T, class D, class Forward, class GradA, class GradB>
Var<T, D> binary(const char* op, const Var<T, D>& a, const Var<T, D>& b, Forward forward, GradA grad_a,
                 GradB grad_b) {
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
    });
}

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

// y = alpha x + beta: the scalar forms of add/sub/mul/div.
template <class T, class D>
Var<T, D> affine(const char* op, const Var<T, D>& x, T alpha, T beta) {
    Tensor<T, D> out(x.shape());
    Kernels<D>::transform(out.rows(), out.cols(), fn::Affine<T>{alpha, beta}, out.data(), x.value().in(), false);
    return make_result(std::move(out), op, {x}, [alpha](Node<T, D>& self) {
        auto [g, accumulate] = self.inputs[0]->grad_destination();
        Kernels<D>::transform(g.rows(), g.cols(), fn::Affine<T>{alpha, T(0)}, g.data(), self.grad.in(), accumulate);
    });
}
}  // namespace detail

template <class T, class D>
Var<T, D> add(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("add", a, b, fn::Add{}, detail::PassThrough{}, detail::PassThrough{});
}
template <class T, class D>
Var<T, D> sub(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("sub", a, b, fn::Sub{}, detail::PassThrough{}, detail::Negated{});
}
template <class T, class D>
Var<T, D> mul(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("mul", a, b, fn::Mul{}, detail::TimesOther{true}, detail::TimesOther{false});
}
template <class T, class D>
Var<T, D> div(const Var<T, D>& a, const Var<T, D>& b) {
    return detail::binary("div", a, b, fn::Div{}, detail::DivNumerator{}, detail::DivDenominator{});
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
