#pragma once
// Element-wise functions: relu, leaky_relu, tanh, sigmoid, exp, log, softplus, square, pow.
// The backward functor reads either the saved input x or the saved output y, whichever makes
// the derivative cheaper (tanh and sigmoid from y, the rest from x).
#include "var.hpp"

namespace aigc {

namespace detail {
enum class SaveFor { input, output };

template <class T, class D, class Forward, class Grad>
Var<T, D> unary(const char* op, const Var<T, D>& x, Forward forward, Grad grad, SaveFor save) {
    Tensor<T, D> out(x.shape());
    Kernels<D>::transform(out.rows(), out.cols(), forward, out.data(), x.value().in(), false);
    Tensor<T, D> saved = save == SaveFor::input ? x.value() : out;
    return make_result(out, op, {x}, [grad, saved](Node<T, D>& self) {
        auto [g, accumulate] = self.inputs[0]->grad_destination();
        Kernels<D>::transform(g.rows(), g.cols(), grad, g.data(), self.grad.in(), saved.in(), accumulate);
    });
}
}  // namespace detail

template <class T, class D>
Var<T, D> relu(const Var<T, D>& x) {
    return detail::unary("relu", x, fn::Relu{}, fn::ReluGrad{}, detail::SaveFor::input);
}
template <class T, class D>
Var<T, D> leaky_relu(const Var<T, D>& x, std::type_identity_t<T> slope = T(0.01)) {
    return detail::unary("leaky_relu", x, fn::LeakyRelu<T>{slope}, fn::LeakyReluGrad<T>{slope},
                         detail::SaveFor::input);
}
template <class T, class D>
Var<T, D> tanh(const Var<T, D>& x) {
    return detail::unary("tanh", x, fn::Tanh{}, fn::TanhGradFromOutput{}, detail::SaveFor::output);
}
template <class T, class D>
Var<T, D> sigmoid(const Var<T, D>& x) {
    return detail::unary("sigmoid", x, fn::Sigmoid{}, fn::SigmoidGradFromOutput{}, detail::SaveFor::output);
}
template <class T, class D>
Var<T, D> exp(const Var<T, D>& x) {
    // d e^x = e^x: the gradient is g * y.
    return detail::unary("exp", x, fn::Exp{}, fn::Mul{}, detail::SaveFor::output);
}
template <class T, class D>
Var<T, D> log(const Var<T, D>& x) {
    // d log x = 1/x: the gradient is g / x.
    return detail::unary("log", x, fn::Log{}, fn::Div{}, detail::SaveFor::input);
}
template <class T, class D>
Var<T, D> softplus(const Var<T, D>& x) {
    return detail::unary("softplus", x, fn::Softplus{}, fn::SoftplusGrad{}, detail::SaveFor::input);
}
template <class T, class D>
Var<T, D> square(const Var<T, D>& x) {
    return detail::unary("square", x, fn::Square{}, fn::SquareGrad{}, detail::SaveFor::input);
}
template <class T, class D>
Var<T, D> pow(const Var<T, D>& x, std::type_identity_t<T> exponent) {
    return detail::unary("pow", x, fn::Pow<T>{exponent}, fn::PowGrad<T>{exponent}, detail::SaveFor::input);
}

}  // namespace aigc
