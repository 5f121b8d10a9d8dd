#pragma once
// reshape/view (shares storage), concat along features and slices of columns.
#include <vector>

#include "var.hpp"

namespace aigc {

template <class T, class D>
Var<T, D> reshape(const Var<T, D>& x, const Shape& shape) {
    Tensor<T, D> out = x.value().reshape(shape);  // checks the element count
    return detail::make_result(std::move(out), "reshape", {x}, [](Node<T, D>& self) {
        auto [g, accumulate] = self.inputs[0]->grad_destination();
        index_t n = g.numel();
        Kernels<D>::transform(1, n, fn::Identity{}, g.data(), In<T>::full(self.grad.data(), n), accumulate);
    });
}
template <class T, class D>
Var<T, D> view(const Var<T, D>& x, const Shape& shape) { return reshape(x, shape); }

// [batch, a] ++ [batch, b] ++ ... -> [batch, a + b + ...] (e.g. a conditional GAN's [z, onehot]).
template <class T, class D>
Var<T, D> concat(const std::vector<Var<T, D>>& parts) {
    AIGC_CHECK(!parts.empty(), "concat: needs at least one tensor");
    index_t rows = parts[0].shape().rank() == 2 ? parts[0].shape()[0] : -1, total = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const Shape& s = parts[i].shape();
        AIGC_CHECK(s.rank() == 2, "concat: part ", i, " must be a matrix [batch, features], given ", s);
        AIGC_CHECK(s[0] == rows, "concat: part ", i, " has ", s[0], " rows, part 0 has ", rows, " (", s, ")");
        total += s[1];
    }
    Tensor<T, D> out(Shape{rows, total});
    std::vector<index_t> offsets;
    for (index_t offset = 0; const auto& p : parts) {
        offsets.push_back(offset);
        index_t c = p.shape()[1];
        Kernels<D>::copy_block(rows, c, p.value().data(), c, out.data() + offset, total, false);
        offset += c;
    }
    return detail::make_result(std::move(out), "concat", std::span<const Var<T, D>>(parts),
                               [rows, total, offsets](Node<T, D>& self) {
                                   for (std::size_t i = 0; i < self.inputs.size(); ++i) {
                                       Node<T, D>& in = *self.inputs[i];
                                       if (!in.requires_grad) continue;
                                       index_t c = in.value.shape()[1];
                                       Kernels<D>::copy_block(rows, c, self.grad.data() + offsets[i], total,
                                                              in.grad_buffer().data(), c, true);
                                   }
                               });
}

// Columns [start, start + count) of a [rows, cols] matrix.
template <class T, class D>
Var<T, D> slice_cols(const Var<T, D>& x, index_t start, index_t count) {
    AIGC_CHECK(x.shape().rank() == 2, "slice_cols: expected a matrix [rows, cols], given ", x.shape());
    index_t rows = x.shape()[0], cols = x.shape()[1];
    AIGC_CHECK(start >= 0 && count >= 0 && start + count <= cols, "slice_cols: columns [", start, ", ", start + count,
               ") are out of range for ", x.shape());
    Tensor<T, D> out(Shape{rows, count});
    Kernels<D>::copy_block(rows, count, x.value().data() + start, cols, out.data(), count, false);
    return detail::make_result(std::move(out), "slice_cols", {x}, [rows, cols, start, count](Node<T, D>& self) {
        Kernels<D>::copy_block(rows, count, self.grad.data(), count, self.inputs[0]->grad_buffer().data() + start, cols,
                               true);
    });
}

}  // namespace aigc
