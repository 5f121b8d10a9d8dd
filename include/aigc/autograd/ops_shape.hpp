#pragma once
// Shapes and pieces: reshape/view (shares storage), concat and stack along any axis, slice along
// any axis (slice_cols for a matrix's columns), and one_hot for labels. concat's gradient is
// slices and slice's is a concat with zeros: each differentiates to any order through the other.
#include <initializer_list>
#include <span>
#include <vector>

#include "axis.hpp"
#include "var.hpp"

namespace aigc {

template <class T, class D>
Var<T, D> concat(std::span<const Var<T, D>> parts, int axis = -1);
template <class T, class D>
Var<T, D> slice(const Var<T, D>& x, int axis, index_t start, index_t count);

template <class T, class D>
Var<T, D> reshape(const Var<T, D>& x, const Shape& shape) {
    Tensor<T, D> out = x.value().reshape(shape);  // checks the element count
    return detail::make_result(
        std::move(out), "reshape", {x},
        [](Node<T, D>& self) {
            auto [g, accumulate] = self.inputs[0]->grad_destination();
            index_t n = g.numel();
            Kernels<D>::transform(1, n, fn::Identity{}, g.data(), In<T>::full(self.grad.data(), n), accumulate);
        },
        [](GraphGradient<T, D>& graph) { graph.give(0, reshape(graph.grad(), graph.input(0).shape())); });
}
template <class T, class D>
Var<T, D> view(const Var<T, D>& x, const Shape& shape) { return reshape(x, shape); }

// Joins tensors of the same shape but for `axis`, along it. The default, the last axis, joins a
// batch's features ([batch, a] ++ [batch, b] -> [batch, a + b], e.g. a conditional GAN's
// [z, one_hot]); torch.cat's default is the first axis, so name it where that is meant.
template <class T, class D>
Var<T, D> concat(std::span<const Var<T, D>> parts, int axis) {
    AIGC_CHECK(!parts.empty(), "concat: needs at least one tensor");
    const Shape& first = parts[0].shape();
    const int a = detail::normalize_axis("concat", first, axis);
    index_t total = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const Shape& s = parts[i].shape();
        AIGC_CHECK(s.rank() == first.rank() && detail::resized_shape(s, a, first[a]) == first, "concat: part ", i,
                   " has shape ", s, ", part 0 has ", first, "; they may differ only along axis ", a);
        total += s[a];
    }
    const Shape shape = detail::resized_shape(first, a, total);
    const detail::AxisView whole = detail::axis_view(shape, a);
    Tensor<T, D> out(shape);
    std::vector<index_t> offsets;
    for (index_t offset = 0; const auto& p : parts) {
        offsets.push_back(offset);
        index_t width = p.shape()[a] * whole.inner;
        Kernels<D>::copy_block(whole.outer, width, p.value().data(), width, out.data() + offset * whole.inner,
                               total * whole.inner, false);
        offset += p.shape()[a];
    }
    return detail::make_result(
        std::move(out), "concat", parts,
        [whole, offsets, a](Node<T, D>& self) {
            for (std::size_t i = 0; i < self.inputs.size(); ++i) {
                Node<T, D>& in = *self.inputs[i];
                if (!in.requires_grad) continue;
                index_t width = in.value.shape()[a] * whole.inner;
                auto [g, accumulate] = in.grad_destination();
                Kernels<D>::copy_block(whole.outer, width, self.grad.data() + offsets[i] * whole.inner,
                                       whole.length * whole.inner, g.data(), width, accumulate);
            }
        },
        [offsets, a](GraphGradient<T, D>& graph) {
            for (std::size_t i = 0; i < offsets.size(); ++i)
                if (graph.needs(i)) graph.give(i, slice(graph.grad(), a, offsets[i], graph.input(i).shape()[a]));
        });
}
template <class T, class D>
Var<T, D> concat(const std::vector<Var<T, D>>& parts, int axis = -1) {
    return concat(std::span<const Var<T, D>>(parts), axis);
}
// concat({a, b}, 0): a braced list deduces T and D.
template <class T, class D>
Var<T, D> concat(std::initializer_list<Var<T, D>> parts, int axis = -1) {
    return concat(std::span<const Var<T, D>>(parts.begin(), parts.size()), axis);
}

// Joins tensors of one shape along a new axis: n parts [a, b] -> [n, a, b] (axis 0) or [a, n, b].
template <class T, class D>
Var<T, D> stack(std::span<const Var<T, D>> parts, int axis = 0) {
    AIGC_CHECK(!parts.empty(), "stack: needs at least one tensor");
    const Shape& first = parts[0].shape();
    AIGC_CHECK(first.rank() < Shape::max_rank, "stack: ", first, " already has the maximum rank ", Shape::max_rank);
    const int rank = first.rank() + 1;
    AIGC_CHECK(axis >= -rank && axis < rank, "stack: axis ", axis, " is out of range for ", parts.size(),
               " parts of ", first, " (axes -", rank, " to ", rank - 1, ")");
    const int a = axis < 0 ? axis + rank : axis;
    std::vector<index_t> dims;
    for (int i = 0; i < first.rank(); ++i) dims.push_back(first[i]);
    dims.insert(dims.begin() + a, 1);
    const Shape with_axis(dims.begin(), dims.end());
    std::vector<Var<T, D>> lifted;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        AIGC_CHECK(parts[i].shape() == first, "stack: part ", i, " has shape ", parts[i].shape(), ", part 0 has ",
                   first, " (they must be equal)");
        lifted.push_back(reshape(parts[i], with_axis));
    }
    return concat(std::span<const Var<T, D>>(lifted), a);
}
template <class T, class D>
Var<T, D> stack(const std::vector<Var<T, D>>& parts, int axis = 0) {
    return stack(std::span<const Var<T, D>>(parts), axis);
}
template <class T, class D>
Var<T, D> stack(std::initializer_list<Var<T, D>> parts, int axis = 0) {
    return stack(std::span<const Var<T, D>>(parts.begin(), parts.size()), axis);
}

// Elements [start, start + count) along `axis`.
template <class T, class D>
Var<T, D> slice(const Var<T, D>& x, int axis, index_t start, index_t count) {
    const int a = detail::normalize_axis("slice", x.shape(), axis);
    const index_t length = x.shape()[a];
    AIGC_CHECK(start >= 0 && count >= 0 && start + count <= length, "slice: [", start, ", ", start + count,
               ") is out of range for axis ", a, " of ", x.shape());
    const detail::AxisView v = detail::axis_view(x.shape(), a);
    Tensor<T, D> out(detail::resized_shape(x.shape(), a, count));
    const index_t width = count * v.inner, pitch = length * v.inner;
    Kernels<D>::copy_block(v.outer, width, x.value().data() + start * v.inner, pitch, out.data(), width, false);
    return detail::make_result(
        std::move(out), "slice", {x},
        [v, start, width, pitch](Node<T, D>& self) {
            Kernels<D>::copy_block(v.outer, width, self.grad.data(), width,
                                   self.inputs[0]->grad_buffer().data() + start * v.inner, pitch, true);
        },
        [a, start, count, length](GraphGradient<T, D>& graph) {
            const Shape& shape = graph.input(0).shape();
            std::vector<Var<T, D>> pieces;
            if (start > 0) pieces.emplace_back(Tensor<T, D>::zeros(detail::resized_shape(shape, a, start)));
            pieces.push_back(graph.grad());
            if (start + count < length)
                pieces.emplace_back(Tensor<T, D>::zeros(detail::resized_shape(shape, a, length - start - count)));
            graph.give(0, concat(std::span<const Var<T, D>>(pieces), a));
        });
}

// Columns [start, start + count) of a [rows, cols] matrix.
template <class T, class D>
Var<T, D> slice_cols(const Var<T, D>& x, index_t start, index_t count) {
    AIGC_CHECK(x.shape().rank() == 2, "slice_cols: expected a matrix [rows, cols], given ", x.shape());
    AIGC_CHECK(start >= 0 && count >= 0 && start + count <= x.shape()[1], "slice_cols: columns [", start, ", ",
               start + count, ") are out of range for ", x.shape());
    return slice(x, 1, start, count);
}

// Labels as rows of a [labels, classes] matrix, 1 at each label's column: a constant, e.g.
// concatenated to a conditional GAN's noise. A label outside [0, classes) is an error.
template <class T, class D = Cpu>
Tensor<T, D> one_hot(std::span<const int> labels, index_t classes) {
    AIGC_CHECK(classes > 0, "one_hot: needs at least one class, given ", classes);
    std::vector<T> rows(labels.size() * static_cast<std::size_t>(classes), T(0));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        AIGC_CHECK(labels[i] >= 0 && labels[i] < classes, "one_hot: label ", labels[i], " at position ", i,
                   " is outside [0, ", classes, ")");
        rows[i * static_cast<std::size_t>(classes) + static_cast<std::size_t>(labels[i])] = T(1);
    }
    return Tensor<T, D>::from_vector(Shape{static_cast<index_t>(labels.size()), classes}, rows);
}
template <class T, class D = Cpu>
Tensor<T, D> one_hot(const std::vector<int>& labels, index_t classes) {
    return one_hot<T, D>(std::span<const int>(labels), classes);
}

}  // namespace aigc
