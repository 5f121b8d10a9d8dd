#pragma once
// Dropout (inverted): in training, zero each element with probability p and scale the survivors
// by 1/(1-p); in evaluation, the identity.
#include "ops_arith.hpp"

namespace aigc {

template <class T, class D>
Var<T, D> dropout(const Var<T, D>& x, double p, bool training, Generator& gen) {
    AIGC_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability must be in [0, 1], given ", p);
    if (!training || p == 0.0) return x;
    // A mask row per sample: under data parallelism each rank draws its rows of the whole batch's mask.
    Tensor<T, D> mask = Tensor<T, D>::uniform(x.shape(), gen);
    index_t rows = mask.rows(), cols = mask.cols();
    T keep = static_cast<T>(1.0 - p);
    T scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
    // uniform values are in (0, 1]: u <= keep survives (keep = 1 - p).
    Kernels<D>::transform(rows, cols, fn::DropoutMask<T>{keep, scale}, mask.data(), mask.in(), false);
    Tensor<T, D> out(x.shape());
    Kernels<D>::transform(rows, cols, fn::Mul{}, out.data(), x.value().in(), mask.in(), false);
    return detail::make_result(
        std::move(out), "dropout", {x},
        [mask](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            Kernels<D>::transform(g.rows(), g.cols(), fn::Mul{}, g.data(), self.grad.in(), mask.in(), accumulate);
        },
        [mask](GraphGradient<T, D>& graph) { graph.give(0, graph.grad() * Var<T, D>(mask)); });
}

}  // namespace aigc
