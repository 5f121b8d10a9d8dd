#pragma once
// Element-wise functions: relu, leaky_relu, abs, clamp, tanh, sigmoid, exp, log, softplus,
// square, sqrt, pow. The backward functor reads either the saved input x or the saved output y,
// whichever makes the derivative cheaper (tanh and sigmoid from y, the rest from x). The
// differentiable forms write the derivative with ops on x and y; where it is a step (relu, abs,
// clamp) it is a constant mask, whose own derivative is 0 away from the kinks.
#include "var.hpp"

namespace aigc {

namespace detail {
enum class SaveFor { input, output };

// graph_derivative(x, y) -> dy/dx as a Var of x's shape, built from ops.
template <class T, class D, class Forward, class Grad, class GraphDerivative>
Var<T, D> unary(const char* op, const Var<T, D>& x, Forward forward, Grad grad, SaveFor save,
                GraphDerivative graph_derivative) {
    Tensor<T, D> out(x.shape());
    Kernels<D>::transform(out.rows(), out.cols(), forward, out.data(), x.value().in(), false);
    Tensor<T, D> saved = save == SaveFor::input ? x.value() : out;
    return make_result(
        out, op, {x},
        [grad, saved](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            Kernels<D>::transform(g.rows(), g.cols(), grad, g.data(), self.grad.in(), saved.in(), accumulate);
        },
        [graph_derivative](GraphGradient<T, D>& graph) {
            graph.give(0, graph.grad() * graph_derivative(graph.input(0), graph.output()));
        });
}

// The derivative of a piecewise-linear function as a constant: grad(1, x).
template <class Grad>
struct StepDerivative {
    Grad grad;
    template <class T, class D>
    Var<T, D> operator()(const Var<T, D>& x, const Var<T, D>&) const {
        Tensor<T, D> one = Tensor<T, D>::ones(Shape{}), mask(x.shape());
        Kernels<D>::transform(mask.rows(), mask.cols(), grad, mask.data(), In<T>::scalar(one.data()), x.value().in(),
                              false);
        return Var<T, D>(mask);
    }
};
template <class Grad>
StepDerivative<Grad> step_derivative(Grad grad) { return {grad}; }
}  // namespace detail

template <class T, class D>
Var<T, D> relu(const Var<T, D>& x) {
    return detail::unary("relu", x, fn::Relu{}, fn::ReluGrad{}, detail::SaveFor::input,
                         detail::step_derivative(fn::ReluGrad{}));
}
template <class T, class D>
Var<T, D> leaky_relu(const Var<T, D>& x, std::type_identity_t<T> slope = T(0.01)) {
    return detail::unary("leaky_relu", x, fn::LeakyRelu<T>{slope}, fn::LeakyReluGrad<T>{slope},
                         detail::SaveFor::input, detail::step_derivative(fn::LeakyReluGrad<T>{slope}));
}
// |x|; its gradient at 0 is 0, as PyTorch's.
template <class T, class D>
Var<T, D> abs(const Var<T, D>& x) {
    return detail::unary("abs", x, fn::Abs{}, fn::AbsGrad{}, detail::SaveFor::input,
                         detail::step_derivative(fn::AbsGrad{}));
}
// min(max(x, low), high); the gradient passes where low <= x <= high.
template <class T, class D>
Var<T, D> clamp(const Var<T, D>& x, std::type_identity_t<T> low, std::type_identity_t<T> high) {
    AIGC_CHECK(!(low > high), "clamp: low ", low, " is above high ", high);
    return detail::unary("clamp", x, fn::Clamp<T>{low, high}, fn::ClampGrad<T>{low, high}, detail::SaveFor::input,
                         detail::step_derivative(fn::ClampGrad<T>{low, high}));
}
template <class T, class D>
Var<T, D> tanh(const Var<T, D>& x) {
    return detail::unary("tanh", x, fn::Tanh{}, fn::TanhGradFromOutput{}, detail::SaveFor::output,
                         [](const Var<T, D>&, const Var<T, D>& y) { return T(1) - square(y); });
}
template <class T, class D>
Var<T, D> sigmoid(const Var<T, D>& x) {
    return detail::unary("sigmoid", x, fn::Sigmoid{}, fn::SigmoidGradFromOutput{}, detail::SaveFor::output,
                         [](const Var<T, D>&, const Var<T, D>& y) { return y - square(y); });
}
template <class T, class D>
Var<T, D> exp(const Var<T, D>& x) {
    // d e^x = e^x: the gradient is g * y.
    return detail::unary("exp", x, fn::Exp{}, fn::Mul{}, detail::SaveFor::output,
                         [](const Var<T, D>&, const Var<T, D>& y) { return y; });
}
template <class T, class D>
Var<T, D> log(const Var<T, D>& x) {
    // d log x = 1/x: the gradient is g / x.
    return detail::unary("log", x, fn::Log{}, fn::Div{}, detail::SaveFor::input,
                         [](const Var<T, D>& in, const Var<T, D>&) { return pow(in, T(-1)); });
}
template <class T, class D>
Var<T, D> softplus(const Var<T, D>& x) {
    return detail::unary("softplus", x, fn::Softplus{}, fn::SoftplusGrad{}, detail::SaveFor::input,
                         [](const Var<T, D>& in, const Var<T, D>&) { return sigmoid(in); });
}
template <class T, class D>
Var<T, D> square(const Var<T, D>& x) {
    return detail::unary("square", x, fn::Square{}, fn::SquareGrad{}, detail::SaveFor::input,
                         [](const Var<T, D>& in, const Var<T, D>&) { return in * T(2); });
}
// d sqrt(x) = 1 / (2 sqrt(x)): infinite at 0, as in PyTorch (a gradient penalty adds a small
// epsilon under the root).
template <class T, class D>
Var<T, D> sqrt(const Var<T, D>& x) {
    return detail::unary("sqrt", x, fn::Sqrt{}, fn::SqrtGradFromOutput{}, detail::SaveFor::output,
                         [](const Var<T, D>&, const Var<T, D>& y) { return pow(y, T(-1)) * T(0.5); });
}
template <class T, class D>
Var<T, D> pow(const Var<T, D>& x, std::type_identity_t<T> exponent) {
    return detail::unary("pow", x, fn::Pow<T>{exponent}, fn::PowGrad<T>{exponent}, detail::SaveFor::input,
                         [exponent](const Var<T, D>& in, const Var<T, D>&) { return pow(in, exponent - T(1)) * exponent; });
}

}  // namespace aigc
