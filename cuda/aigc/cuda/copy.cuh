#pragma once
// Copies: a strided column block on the device (column slicing and concat are this kernel), whole
// buffers device to device, and the two host transfers. Host transfers wait for the stream, so the
// host buffer may be read (to_host) or reused (from_host) as soon as the call returns.
#include "common.cuh"
#include "elementwise.cuh"

namespace aigc::cuda {

namespace copy_detail {

// dst[i, j] (+)= src[i, j] for i < rows, j < cols; rows start src_pitch / dst_pitch elements apart.
template <class T>
__global__ void copy_block_kernel(index_t rows, index_t cols, const T* __restrict__ src, index_t src_pitch,
                                  T* __restrict__ dst, index_t dst_pitch, bool accumulate) {
    for (index_t i = static_cast<index_t>(blockIdx.y) * blockDim.y + threadIdx.y; i < rows;
         i += static_cast<index_t>(gridDim.y) * blockDim.y) {
        for (index_t j = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < cols;
             j += static_cast<index_t>(gridDim.x) * blockDim.x) {
            T value = src[i * src_pitch + j];
            T& out = dst[i * dst_pitch + j];
            out = accumulate ? out + value : value;
        }
    }
}

}  // namespace copy_detail

template <class T>
void copy_block(index_t rows, index_t cols, const T* src, index_t src_pitch, T* dst, index_t dst_pitch,
                bool accumulate) {
    AIGC_CHECK(rows >= 0 && cols >= 0, "copy_block: negative shape [", rows, ", ", cols, "]");
    AIGC_CHECK(rows <= 1 || (src_pitch >= cols && dst_pitch >= cols), "copy_block: pitches (src ", src_pitch, ", dst ",
               dst_pitch, ") must be at least the ", cols, " copied columns");
    if (rows == 0 || cols == 0) return;
    launch("copy_block", copy_detail::copy_block_kernel<T>, map_detail::grid_2d(rows, cols), map_detail::block_2d(),
           rows, cols, src, src_pitch, dst, dst_pitch, accumulate);
}

template <class T>
void copy(index_t n, const T* src, T* dst) {
    AIGC_CHECK(n >= 0, "copy: negative length ", n);
    if (n == 0) return;
    check(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToDevice, stream()),
          "copy (cudaMemcpyAsync device to device)");
}

template <class T>
void to_host(index_t n, const T* src, T* host) {
    AIGC_CHECK(n >= 0, "to_host: negative length ", n);
    if (n == 0) return;
    check(cudaMemcpyAsync(host, src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToHost, stream()),
          "to_host (cudaMemcpyAsync device to host)");
    check(cudaStreamSynchronize(stream()), "to_host (cudaStreamSynchronize)");
}

template <class T>
void from_host(index_t n, const T* host, T* dst) {
    AIGC_CHECK(n >= 0, "from_host: negative length ", n);
    if (n == 0) return;
    check(cudaMemcpyAsync(dst, host, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyHostToDevice, stream()),
          "from_host (cudaMemcpyAsync host to device)");
    check(cudaStreamSynchronize(stream()), "from_host (cudaStreamSynchronize)");
}

}  // namespace aigc::cuda
