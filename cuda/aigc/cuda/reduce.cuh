#pragma once
// Reductions of a row-major [rows, cols] matrix x:
//   sum_rows  y[rows] (+)= sum_j x[i, j]     a warp (or a whole block for long rows) per row
//   max_rows  y[rows]  = max_j x[i, j]       same kernel, max instead of +
//   sum_cols  y[cols] (+)= sum_i x[i, j]     threads along columns (coalesced), rows split in chunks
//   sum_all   y[1]    (+)= sum_k x[k]        grid-stride partials per block, then one block
// Partial sums go to scratch memory and a second pass, never to atomics, so every result is
// deterministic: the same input on the same device gives the same bits.
#include <limits>

#include "common.cuh"
#include "memory.cuh"

namespace aigc::cuda {

namespace reduce_detail {

constexpr int threads = 256;

// block = 256 threads = 256 / ThreadsPerRow rows; grid = ceil(rows / rows per block).
// Every thread reaches the shuffles (no early exit), as warp_reduce/block_reduce require.
template <class T, class Op, int ThreadsPerRow>
__global__ void reduce_rows_kernel(index_t rows, index_t cols, const T* __restrict__ x, T* __restrict__ y,
                                   bool accumulate, Op op, T identity) {
    constexpr int rows_per_block = threads / ThreadsPerRow;
    int lane = static_cast<int>(threadIdx.x) % ThreadsPerRow, slot = static_cast<int>(threadIdx.x) / ThreadsPerRow;
    index_t row = static_cast<index_t>(blockIdx.x) * rows_per_block + slot;
    T value = identity;
    if (row < rows) {
        const T* x_row = x + row * cols;
        for (index_t j = lane; j < cols; j += ThreadsPerRow) value = op(value, x_row[j]);
    }
    if constexpr (ThreadsPerRow == warp_size) value = warp_reduce(value, op);
    else value = block_reduce<threads>(value, op, identity);
    if (row < rows && lane == 0) y[row] = accumulate ? y[row] + value : value;
}

// block [32, 8], grid [ceil(cols / 32), chunks]: out[chunk, j] (+)= sum of x[i, j] over the rows
// [chunk * rows_per_chunk, next chunk). The 8 row phases of a column meet in shared memory.
template <class T>
__global__ void sum_cols_kernel(index_t rows, index_t cols, index_t rows_per_chunk, const T* __restrict__ x,
                                T* __restrict__ out, bool accumulate) {
    __shared__ T partial[8][warp_size + 1];
    index_t col = static_cast<index_t>(blockIdx.x) * warp_size + threadIdx.x;
    index_t begin = static_cast<index_t>(blockIdx.y) * rows_per_chunk;
    index_t end = begin + rows_per_chunk < rows ? begin + rows_per_chunk : rows;
    T value = T(0);
    if (col < cols)
        for (index_t i = begin + threadIdx.y; i < end; i += 8) value += x[i * cols + col];
    partial[threadIdx.y][threadIdx.x] = value;
    __syncthreads();
    if (threadIdx.y == 0 && col < cols) {
        T total = T(0);
        for (int phase = 0; phase < 8; ++phase) total += partial[phase][threadIdx.x];
        T& o = out[static_cast<index_t>(blockIdx.y) * cols + col];
        o = accumulate ? o + total : total;
    }
}

// out[block] (+)= sum of the block's grid-stride share of x[0, n).
template <class T>
__global__ void sum_all_kernel(index_t n, const T* __restrict__ x, T* __restrict__ out, bool accumulate) {
    T value = T(0);
    index_t stride = static_cast<index_t>(gridDim.x) * threads;
    for (index_t k = static_cast<index_t>(blockIdx.x) * threads + threadIdx.x; k < n; k += stride) value += x[k];
    value = block_reduce<threads>(value, SumOp{}, T(0));
    if (threadIdx.x == 0) out[blockIdx.x] = accumulate ? out[blockIdx.x] + value : value;
}

template <class T, class Op>
void reduce_rows(const char* name, index_t rows, index_t cols, const T* x, T* y, bool accumulate, Op op, T identity) {
    // A warp per row keeps short rows (the usual [batch, features]) cheap; long rows get a block.
    if (cols <= 1024) {
        constexpr int per_row = warp_size;
        launch(name, reduce_rows_kernel<T, Op, per_row>, dim3(static_cast<unsigned>(ceil_div(rows, threads / per_row))),
               dim3(threads), rows, cols, x, y, accumulate, op, identity);
    } else {
        launch(name, reduce_rows_kernel<T, Op, threads>, dim3(static_cast<unsigned>(rows)), dim3(threads), rows, cols,
               x, y, accumulate, op, identity);
    }
}

}  // namespace reduce_detail

template <class T>
void sum_rows(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
    AIGC_CHECK(rows >= 0 && cols >= 0, "sum_rows: negative shape [", rows, ", ", cols, "]");
    if (rows == 0) return;
    reduce_detail::reduce_rows("sum_rows", rows, cols, x, y, accumulate, SumOp{}, T(0));
}

template <class T>
void max_rows(index_t rows, index_t cols, const T* x, T* y) {
    AIGC_CHECK(rows >= 0 && cols >= 0, "max_rows: negative shape [", rows, ", ", cols, "]");
    if (rows == 0) return;
    AIGC_CHECK(cols > 0, "max_rows: a row maximum of zero columns is undefined");
    reduce_detail::reduce_rows("max_rows", rows, cols, x, y, false, MaxOp{}, -std::numeric_limits<T>::infinity());
}

template <class T>
void sum_cols(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
    using namespace reduce_detail;
    AIGC_CHECK(rows >= 0 && cols >= 0, "sum_cols: negative shape [", rows, ", ", cols, "]");
    if (cols == 0) return;
    index_t col_blocks = ceil_div(cols, warp_size);
    // Few columns and many rows leave most SMs idle: split the rows into chunks (each at least 128
    // rows) until there are about 4 blocks per SM, then add the chunk sums in a second pass.
    index_t chunks = 1;
    if (rows > 256) {
        index_t wanted = ceil_div(4 * static_cast<index_t>(context().sm_count), col_blocks);
        index_t most = ceil_div(rows, 128);
        most = most < 65535 ? most : 65535;
        chunks = wanted < most ? wanted : most;
        chunks = chunks < 1 ? 1 : chunks;
    }
    index_t rows_per_chunk = rows == 0 ? 1 : ceil_div(rows, chunks);
    chunks = rows == 0 ? 1 : ceil_div(rows, rows_per_chunk);
    if (chunks == 1) {
        launch("sum_cols", sum_cols_kernel<T>, dim3(static_cast<unsigned>(col_blocks)), dim3(warp_size, 8), rows, cols,
               rows_per_chunk, x, y, accumulate);
        return;
    }
    auto scratch = Memory<Cuda>::allocate(static_cast<std::size_t>(chunks * cols) * sizeof(T));  // [chunks, cols]
    T* partial = static_cast<T*>(scratch.get());
    launch("sum_cols (chunks)", sum_cols_kernel<T>,
           dim3(static_cast<unsigned>(col_blocks), static_cast<unsigned>(chunks)), dim3(warp_size, 8), rows, cols,
           rows_per_chunk, x, partial, false);
    launch("sum_cols (chunk totals)", sum_cols_kernel<T>, dim3(static_cast<unsigned>(col_blocks)), dim3(warp_size, 8),
           chunks, cols, chunks, static_cast<const T*>(partial), y, accumulate);
}

// y is one device value: y[0] (+)= sum of x[0, n).
template <class T>
void sum_all(index_t n, const T* x, T* y, bool accumulate) {
    using namespace reduce_detail;
    AIGC_CHECK(n >= 0, "sum_all: negative length ", n);
    unsigned blocks = grid_for(n, threads);
    blocks = blocks < 1024 ? blocks : 1024;
    if (blocks == 1) {
        launch("sum_all", sum_all_kernel<T>, dim3(1), dim3(threads), n, x, y, accumulate);
        return;
    }
    auto scratch = Memory<Cuda>::allocate(blocks * sizeof(T));
    T* partial = static_cast<T*>(scratch.get());
    launch("sum_all (blocks)", sum_all_kernel<T>, dim3(blocks), dim3(threads), n, x, partial, false);
    launch("sum_all (block totals)", sum_all_kernel<T>, dim3(1), dim3(threads), static_cast<index_t>(blocks),
           static_cast<const T*>(partial), y, accumulate);
}

}  // namespace aigc::cuda
