#pragma once
// One axis of a dense tensor seen as [outer, length, inner]: the dimensions before it multiplied
// together, its own, and those after it. Reductions, repeats, concatenation and slices along any
// axis are then loops of the backend's matrix kernels over that view -- as few calls as the view
// allows (one for the first and the last axis).
#include <vector>

#include "../cpu.hpp"

namespace aigc::detail {

struct AxisView {
    index_t outer, length, inner;
};

// PyTorch's axis convention: -1 is the last axis; anything outside [-rank, rank) is an error.
inline int normalize_axis(const char* op, const Shape& shape, int axis) {
    const int rank = shape.rank();
    AIGC_CHECK(rank > 0, op, ": a scalar ", shape, " has no axis ", axis);
    AIGC_CHECK(axis >= -rank && axis < rank, op, ": axis ", axis, " is out of range for ", shape, " (rank ", rank,
               ": axes -", rank, " to ", rank - 1, ")");
    return axis < 0 ? axis + rank : axis;
}

inline AxisView axis_view(const Shape& shape, int axis) {
    AxisView v{1, shape[axis], 1};
    for (int i = 0; i < axis; ++i) v.outer *= shape[i];
    for (int i = axis + 1; i < shape.rank(); ++i) v.inner *= shape[i];
    return v;
}

// The shape without `axis`, or with it as 1 (keepdim).
inline Shape reduced_shape(const Shape& shape, int axis, bool keepdim) {
    std::vector<index_t> dims;
    for (int i = 0; i < shape.rank(); ++i)
        if (i != axis) dims.push_back(shape[i]);
        else if (keepdim) dims.push_back(1);
    return Shape(dims.begin(), dims.end());
}

// The shape with `axis` resized to `length`.
inline Shape resized_shape(const Shape& shape, int axis, index_t length) {
    std::vector<index_t> dims;
    for (int i = 0; i < shape.rank(); ++i) dims.push_back(i == axis ? length : shape[i]);
    return Shape(dims.begin(), dims.end());
}

// y [outer, inner] (+)= the sum of x [outer, length, inner] along length.
template <class T, class D>
void sum_axis(AxisView v, const T* x, T* y, bool accumulate) {
    using K = Kernels<D>;
    if (v.outer * v.inner == 0) return;
    if (v.length == 0) {
        if (!accumulate) K::fill(v.outer * v.inner, T(0), y);
        return;
    }
    if (v.inner == 1) return K::sum_rows(v.outer, v.length, x, y, accumulate);
    if (v.outer == 1) return K::sum_cols(v.length, v.inner, x, y, accumulate);
    const index_t block = v.length * v.inner;
    if (v.outer <= v.length) {
        for (index_t o = 0; o < v.outer; ++o) K::sum_cols(v.length, v.inner, x + o * block, y + o * v.inner, accumulate);
        return;
    }
    for (index_t a = 0; a < v.length; ++a)
        K::transform(v.outer, v.inner, fn::Identity{}, y, In<T>{x + a * v.inner, block, 1}, accumulate || a > 0);
}

// y [outer, length, inner] (+)= g [outer, inner] repeated along length.
template <class T, class D>
void repeat_axis(AxisView v, const T* g, T* y, bool accumulate) {
    using K = Kernels<D>;
    if (v.outer * v.length * v.inner == 0) return;
    if (v.inner == 1) return K::transform(v.outer, v.length, fn::Identity{}, y, In<T>::col(g), accumulate);
    if (v.outer == 1) return K::transform(v.length, v.inner, fn::Identity{}, y, In<T>::row(g), accumulate);
    const index_t block = v.length * v.inner;
    if (v.length <= v.outer) {
        for (index_t a = 0; a < v.length; ++a) K::copy_block(v.outer, v.inner, g, v.inner, y + a * v.inner, block, accumulate);
        return;
    }
    for (index_t o = 0; o < v.outer; ++o)
        K::transform(v.length, v.inner, fn::Identity{}, y + o * block, In<T>::row(g + o * v.inner), accumulate);
}

}  // namespace aigc::detail
