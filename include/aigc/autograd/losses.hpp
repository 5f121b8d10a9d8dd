#pragma once
// Losses, each an element-wise (or per-row) term followed by a reduction, as in torch.nn.functional:
//   bce                 on probabilities, logs clamped at -100 like PyTorch
//   bce_with_logits     on logits, stable for any logit (use this for a sigmoid-output D)
//   mse                 squared error
//   cross_entropy       logits [batch, classes] with integer labels, log-softmax inside
//   gaussian_kl         KL(N(mu, exp(logvar)) || N(0, I)) per element
// Targets are tensors, not Vars: no gradient flows into them.
#include <limits>
#include <vector>

#include "ops_reduce.hpp"
#include "ops_shape.hpp"

namespace aigc {

enum class Reduction { mean, sum, none };

namespace detail {
template <class T, class D>
Var<T, D> reduce(const Var<T, D>& elementwise, Reduction r) {
    switch (r) {
        case Reduction::sum: return sum(elementwise);
        case Reduction::mean: return mean(elementwise);
        case Reduction::none: break;
    }
    return elementwise;
}

// e.g. "mse: shape mismatch: prediction [4, 2], target [4, 3] (they must be equal)"
inline void check_same(const char* op, const char* input_name, const Shape& input, const char* other_name,
                       const Shape& other) {
    AIGC_CHECK(input == other, op, ": shape mismatch: ", input_name, " ", input, ", ", other_name, " ", other,
               " (they must be equal)");
}

// loss_i = f(x_i, t_i); grad_x = grad(g_i, x_i, t_i), or g * graph_derivative(x, t) as ops.
template <class T, class D, class Loss, class Grad, class GraphDerivative>
Var<T, D> pointwise_loss(const char* op, const char* input_name, const Var<T, D>& x, const Tensor<T, D>& target,
                         Loss loss, Grad grad, GraphDerivative graph_derivative) {
    check_same(op, input_name, x.shape(), "target", target.shape());
    Tensor<T, D> out(x.shape());
    Kernels<D>::transform(out.rows(), out.cols(), loss, out.data(), x.value().in(), target.in(), false);
    return make_result(
        std::move(out), op, {x},
        [grad, xv = x.value(), target](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            Kernels<D>::transform(g.rows(), g.cols(), grad, g.data(), self.grad.in(), xv.in(), target.in(), accumulate);
        },
        [graph_derivative, target](GraphGradient<T, D>& graph) {
            graph.give(0, graph.grad() * graph_derivative(graph.input(0), Var<T, D>(target)));
        });
}
}  // namespace detail

template <class T, class D>
Var<T, D> bce(const Var<T, D>& probabilities, const Tensor<T, D>& target, Reduction r = Reduction::mean) {
    return detail::reduce(
        detail::pointwise_loss("bce", "probabilities", probabilities, target, fn::Bce{}, fn::BceGrad{},
                               [](const Var<T, D>& p, const Var<T, D>& t) {
                                   // (p - t) / max(p (1 - p), 1e-12), as the tensor form
                                   return (p - t) / clamp(p - square(p), T(1e-12), std::numeric_limits<T>::max());
                               }),
        r);
}

template <class T, class D>
Var<T, D> bce_with_logits(const Var<T, D>& logits, const Tensor<T, D>& target, Reduction r = Reduction::mean) {
    return detail::reduce(
        detail::pointwise_loss("bce_with_logits", "logits", logits, target, fn::BceWithLogits{},
                               fn::BceWithLogitsGrad{},
                               [](const Var<T, D>& x, const Var<T, D>& t) { return sigmoid(x) - t; }),
        r);
}

template <class T, class D>
Var<T, D> mse(const Var<T, D>& prediction, const Tensor<T, D>& target, Reduction r = Reduction::mean) {
    return detail::reduce(
        detail::pointwise_loss("mse", "prediction", prediction, target, fn::SquaredError{}, fn::SquaredErrorGrad{},
                               [](const Var<T, D>& x, const Var<T, D>& t) { return (x - t) * T(2); }),
        r);
}

// logits [batch, classes], labels[i] in [0, classes) -> per-example loss [batch] before reduction.
template <class T, class D>
Var<T, D> cross_entropy(const Var<T, D>& logits, const std::vector<int>& labels, Reduction r = Reduction::mean) {
    const Shape& s = logits.shape();
    AIGC_CHECK(s.rank() == 2, "cross_entropy: logits must be [batch, classes], given ", s);
    index_t batch = s[0], classes = s[1];
    AIGC_CHECK(static_cast<index_t>(labels.size()) == batch, "cross_entropy: ", labels.size(),
               " labels for a batch of ", batch, " (logits ", s, ")");
    AIGC_CHECK(classes > 0, "cross_entropy: logits have no classes ", s);
    std::vector<T> onehot(static_cast<std::size_t>(batch * classes), T(0));
    for (index_t i = 0; i < batch; ++i) {
        int label = labels[static_cast<std::size_t>(i)];
        AIGC_CHECK(label >= 0 && label < classes, "cross_entropy: label ", label, " at position ", i,
                   " is outside [0, ", classes, ")");
        onehot[static_cast<std::size_t>(i * classes + label)] = T(1);
    }
    using K = Kernels<D>;
    auto target = Tensor<T, D>::from_vector(s, onehot);
    const T* x = logits.value().data();
    Tensor<T, D> row_max(Shape{batch}), row_sum(Shape{batch}), picked(Shape{batch});
    Tensor<T, D> prob(s), scratch(s);
    K::max_rows(batch, classes, x, row_max.data());
    K::transform(batch, classes, fn::ExpShifted{}, prob.data(), logits.value().in(), In<T>::col(row_max.data()), false);
    K::sum_rows(batch, classes, prob.data(), row_sum.data(), false);
    K::transform(batch, classes, fn::Mul{}, scratch.data(), logits.value().in(), target.in(), false);
    K::sum_rows(batch, classes, scratch.data(), picked.data(), false);
    Tensor<T, D> loss(Shape{batch});
    K::transform(1, batch, fn::LogSumExpMinus{}, loss.data(), In<T>::full(row_max.data(), batch),
                 In<T>::full(row_sum.data(), batch), In<T>::full(picked.data(), batch), false);
    K::transform(batch, classes, fn::Div{}, prob.data(), prob.in(), In<T>::col(row_sum.data()), false);  // softmax
    auto per_example = detail::make_result(
        std::move(loss), "cross_entropy", {logits},
        [prob, target](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            // d/dx_ij = g_i (softmax_ij - onehot_ij)
            Kernels<D>::transform(g.rows(), g.cols(), fn::ProbMinusTarget{}, g.data(), In<T>::col(self.grad.data()),
                                  prob.in(), target.in(), accumulate);
        },
        [batch, target](GraphGradient<T, D>& graph) {
            Var<T, D> g = reshape(graph.grad(), Shape{batch, 1});
            graph.give(0, g * (softmax(graph.input(0), 1) - Var<T, D>(target)));
        });
    return detail::reduce(per_example, r);
}

// Element-wise KL of N(mu, exp(logvar)) to N(0, 1); Reduction::sum gives the VAE's KL term.
template <class T, class D>
Var<T, D> gaussian_kl(const Var<T, D>& mu, const Var<T, D>& logvar, Reduction r = Reduction::sum) {
    detail::check_same("gaussian_kl", "mu", mu.shape(), "logvar", logvar.shape());
    Tensor<T, D> out(mu.shape());
    Kernels<D>::transform(out.rows(), out.cols(), fn::GaussianKl{}, out.data(), mu.value().in(), logvar.value().in(),
                          false);
    auto kl = detail::make_result(std::move(out), "gaussian_kl", {mu, logvar},
                                  [mv = mu.value(), lv = logvar.value()](Node<T, D>& self) {
        Node<T, D>& nm = *self.inputs[0];
        Node<T, D>& nl = *self.inputs[1];
        index_t rows = mv.rows(), cols = mv.cols();
        if (nm.requires_grad) {
            auto [g, accumulate] = nm.grad_destination();
            Kernels<D>::transform(rows, cols, fn::GaussianKlGradMu{}, g.data(), self.grad.in(), mv.in(), accumulate);
        }
        if (nl.requires_grad) {
            auto [g, accumulate] = nl.grad_destination();
            Kernels<D>::transform(rows, cols, fn::GaussianKlGradLogvar{}, g.data(), self.grad.in(), lv.in(),
                                  accumulate);
        }
    }, [](GraphGradient<T, D>& graph) {  // d/dmu = mu, d/dlogvar = (e^logvar - 1) / 2
        if (graph.needs(0)) graph.give(0, graph.grad() * graph.input(0));
        if (graph.needs(1)) graph.give(1, graph.grad() * ((exp(graph.input(1)) - T(1)) * T(0.5)));
    });
    return detail::reduce(kl, r);
}

}  // namespace aigc
