#pragma once
// transform: y[i,j] (+)= f(a[i,j], ...) for 1..3 operands, f one of the shared AIGC_HD functors
// (core/functors.hpp, core/optim_math.hpp), so the CUDA and Eigen backends evaluate one formula.
// An operand In<T> reads element (i, j) at p[i * row_stride + j * col_stride]: full, row-broadcast,
// column-broadcast and scalar operands are the same kernel. Fused bias + activation, the losses
// (BCE with logits, KL) and dropout masks are all this kernel with the matching functor.
#include <type_traits>

#include <aigc/core/kernels.hpp>

#include "common.cuh"

namespace aigc::cuda {

namespace map_detail {

template <class T>
__device__ T at(const In<T>& in, index_t i, index_t j) {
    return in.p[i * in.row_stride + j * in.col_stride];
}

// All operands dense [rows, cols]: one flat grid-stride loop over n = rows * cols elements.
// y may be one of the operands: each element is read and then written by the same thread.
template <class T, class F, class... Operands>
__global__ void map_dense_kernel(index_t n, F f, T* y, bool accumulate, Operands... xs) {
    index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t k = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
        T value = f(xs[k]...);
        y[k] = accumulate ? y[k] + value : value;
    }
}

// Some operand broadcast: block [32, 8], x along columns (coalesced), y along rows, grid-stride in both.
template <class T, class F, class... Operands>
__global__ void map_strided_kernel(index_t rows, index_t cols, F f, T* y, bool accumulate, Operands... ins) {
    for (index_t i = static_cast<index_t>(blockIdx.y) * blockDim.y + threadIdx.y; i < rows;
         i += static_cast<index_t>(gridDim.y) * blockDim.y) {
        for (index_t j = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < cols;
             j += static_cast<index_t>(gridDim.x) * blockDim.x) {
            T value = f(at(ins, i, j)...);
            T& out = y[i * cols + j];
            out = accumulate ? out + value : value;
        }
    }
}

// Dense means element (i, j) is at p[i * cols + j] (a single row only needs unit column stride).
template <class T>
bool dense(const In<T>& in, index_t rows, index_t cols) {
    return in.col_stride == 1 && (in.row_stride == cols || rows == 1);
}

constexpr const char* kernel_names[] = {"", "transform (1 operand)", "transform (2 operands)",
                                        "transform (3 operands)"};

// Launch shape of the 2-D grid-stride kernels (map_strided_kernel, copy_block_kernel).
inline dim3 block_2d() { return dim3(32, 8); }
inline dim3 grid_2d(index_t rows, index_t cols) {
    index_t gx = ceil_div(cols, 32), gy = ceil_div(rows, 8);
    return dim3(static_cast<unsigned>(gx < 65535 ? gx : 65535), static_cast<unsigned>(gy < 65535 ? gy : 65535));
}

}  // namespace map_detail

// y [rows, cols] (+)= f(ins(i, j)...)
template <class T, class F, class... Ins>
void transform(index_t rows, index_t cols, F f, T* y, bool accumulate, Ins... ins) {
    static_assert((std::is_same_v<Ins, In<T>> && ...), "transform: operands are In<T>");
    static_assert(sizeof...(Ins) >= 1 && sizeof...(Ins) <= 3, "transform: 1 to 3 operands");
    AIGC_CHECK(rows >= 0 && cols >= 0, "transform: negative shape [", rows, ", ", cols, "]");
    index_t n = rows * cols;
    if (n == 0) return;
    const char* name = map_detail::kernel_names[sizeof...(Ins)];
    if ((map_detail::dense(ins, rows, cols) && ...)) {
        launch(name, map_detail::map_dense_kernel<T, F, decltype(ins.p)...>, dim3(grid_for(n, 256)), dim3(256), n, f,
               y, accumulate, ins.p...);
    } else {
        launch(name, map_detail::map_strided_kernel<T, F, Ins...>, map_detail::grid_2d(rows, cols),
               map_detail::block_2d(), rows, cols, f, y, accumulate, ins...);
    }
}

}  // namespace aigc::cuda
