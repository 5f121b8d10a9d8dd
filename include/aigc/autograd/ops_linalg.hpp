#pragma once
// transpose, matmul and linear (x W^T + b). linear broadcasts the bias into the output first and lets the
// GEMM accumulate onto it (beta = 1): no separate add kernel and no temporary, but not fused either --
// the bias write is one pass over the output, and the GEMM then reads what it adds to.
#include "var.hpp"

namespace aigc {

// x [rows, cols] -> [cols, rows]: a copy through a strided operand (element (i, j) read at x[j, i]).
template <class T, class D>
Var<T, D> transpose(const Var<T, D>& x) {
    AIGC_CHECK(x.shape().rank() == 2, "transpose: expected a matrix [rows, cols], given ", x.shape());
    index_t rows = x.shape()[0], cols = x.shape()[1];
    Tensor<T, D> out(Shape{cols, rows});
    Kernels<D>::transform(cols, rows, fn::Identity{}, out.data(), In<T>{x.value().data(), 1, cols}, false);
    return detail::make_result(
        std::move(out), "transpose", {x},
        [rows, cols](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            Kernels<D>::transform(rows, cols, fn::Identity{}, g.data(), In<T>{self.grad.data(), 1, rows}, accumulate);
        },
        [](GraphGradient<T, D>& graph) { graph.give(0, transpose(graph.grad())); });
}

// a [m, k] . b [k, n] -> [m, n]
template <class T, class D>
Var<T, D> matmul(const Var<T, D>& a, const Var<T, D>& b) {
    AIGC_CHECK(a.shape().rank() == 2 && b.shape().rank() == 2, "matmul: expected two matrices, given ", a.shape(),
               " and ", b.shape());
    index_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    AIGC_CHECK(b.shape()[0] == k, "matmul: inner dimensions differ: ", a.shape(), " . ", b.shape(), " (", k,
               " vs ", b.shape()[0], ")");
    Tensor<T, D> out(Shape{m, n});
    Kernels<D>::gemm(false, false, m, n, k, T(1), a.value().data(), b.value().data(), T(0), out.data());
    return detail::make_result(std::move(out), "matmul", {a, b},
                               [m, n, k, av = a.value(), bv = b.value()](Node<T, D>& self) {
        Node<T, D>& na = *self.inputs[0];
        Node<T, D>& nb = *self.inputs[1];
        // dA = G B^T, dB = A^T G (beta = 1 adds to an existing gradient, beta = 0 writes a new one)
        if (na.requires_grad) {
            auto [ga, accumulate] = na.grad_destination();
            Kernels<D>::gemm(false, true, m, k, n, T(1), self.grad.data(), bv.data(), T(accumulate), ga.data());
        }
        if (nb.requires_grad) {
            auto [gb, accumulate] = nb.grad_destination();
            Kernels<D>::gemm(true, false, k, n, m, T(1), av.data(), self.grad.data(), T(accumulate), gb.data());
        }
    }, [](GraphGradient<T, D>& graph) {
        if (graph.needs(0)) graph.give(0, matmul(graph.grad(), transpose(graph.input(1))));
        if (graph.needs(1)) graph.give(1, matmul(transpose(graph.input(0)), graph.grad()));
    });
}

// x [batch, in], weight [out, in], bias [out] (optional: pass an undefined Var) -> [batch, out]
template <class T, class D>
Var<T, D> linear(const Var<T, D>& x, const Var<T, D>& weight, const Var<T, D>& bias = Var<T, D>()) {
    AIGC_CHECK(weight.shape().rank() == 2, "linear: weight must be [out, in], given ", weight.shape());
    index_t out_features = weight.shape()[0], in_features = weight.shape()[1];
    AIGC_CHECK(x.shape().rank() == 2, "linear: input must be [batch, ", in_features, "], given ", x.shape());
    AIGC_CHECK(x.shape()[1] == in_features, "linear: input has ", x.shape()[1], " features, weight expects ",
               in_features, " (input ", x.shape(), ")");
    bool has_bias = bias.defined();
    if (has_bias)
        AIGC_CHECK(bias.shape() == Shape{out_features}, "linear: bias must be [", out_features, "], given ",
                   bias.shape());
    index_t batch = x.shape()[0];
    Tensor<T, D> out(Shape{batch, out_features});
    T beta = T(0);
    if (has_bias) {  // out = bias (broadcast), then out += x W^T
        Kernels<D>::transform(batch, out_features, fn::Identity{}, out.data(), In<T>::row(bias.value().data()), false);
        beta = T(1);
    }
    Kernels<D>::gemm(false, true, batch, out_features, in_features, T(1), x.value().data(), weight.value().data(),
                     beta, out.data());
    auto backward = [=, xv = x.value(), wv = weight.value()](Node<T, D>& self) {
        const T* g = self.grad.data();
        Node<T, D>& nx = *self.inputs[0];
        Node<T, D>& nw = *self.inputs[1];
        if (nx.requires_grad) {  // dx = G W
            auto [gx, accumulate] = nx.grad_destination();
            Kernels<D>::gemm(false, false, batch, in_features, out_features, T(1), g, wv.data(), T(accumulate),
                             gx.data());
        }
        if (nw.requires_grad) {  // dW = G^T x
            auto [gw, accumulate] = nw.grad_destination();
            Kernels<D>::gemm(true, false, out_features, in_features, batch, T(1), g, xv.data(), T(accumulate),
                             gw.data());
        }
        if (has_bias && self.inputs[2]->requires_grad) {  // db = column sums of G
            auto [gb, accumulate] = self.inputs[2]->grad_destination();
            Kernels<D>::sum_cols(batch, out_features, g, gb.data(), accumulate);
        }
    };
    auto graph_backward = [](GraphGradient<T, D>& graph) {
        const Var<T, D>& g = graph.grad();
        if (graph.needs(0)) graph.give(0, matmul(g, graph.input(1)));
        if (graph.needs(1)) graph.give(1, matmul(transpose(g), graph.input(0)));
        if (graph.given().size() > 2 && graph.needs(2)) graph.give(2, sum(g, 0));
    };
    if (has_bias) return detail::make_result(std::move(out), "linear", {x, weight, bias}, backward, graph_backward);
    return detail::make_result(std::move(out), "linear", {x, weight}, backward, graph_backward);
}

}  // namespace aigc
