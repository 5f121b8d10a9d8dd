#pragma once
// Fills: a constant, or values of a seeded Philox stream (core/generator.hpp). Element k of a
// random fill is philox::uniform_at/normal_at(seed, offset, k), the very function the CPU backend
// calls, so a fill on either device draws the same stream. The final affine step is the shared
// philox::affine (one fma), so uniform fills are bit-identical to the CPU's; normal fills agree to
// the last bits of log/sin/cos (CUDA's libdevice and glibc differ by an ulp or two there). set_fill_backend(FillBackend::curand) draws
// the random fills from cuRAND instead (curand_fill.cuh).
#include <type_traits>

#include <aigc/core/generator.hpp>

#include "common.cuh"
#include "curand_fill.cuh"

namespace aigc::cuda {

namespace fill_detail {

template <class T>
__global__ void fill_kernel(index_t n, T value, T* y) {
    index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t k = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) y[k] = value;
}

// y[k] = low + span * u_k, u_k uniform in (0, 1]
template <class T>
__global__ void fill_uniform_kernel(index_t n, RandomStream stream, T low, T span, T* y) {
    index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t k = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride)
        y[k] = philox::affine(philox::uniform_at<T>(stream.seed, stream.offset, static_cast<std::uint64_t>(k)), span, low);
}

// y[k] = mean + stddev * z_k, z_k standard normal (Box-Muller on Philox lane pairs)
template <class T>
__global__ void fill_normal_kernel(index_t n, RandomStream stream, T mean, T stddev, T* y) {
    index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t k = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride)
        y[k] = philox::affine(philox::normal_at<T>(stream.seed, stream.offset, static_cast<std::uint64_t>(k)), stddev, mean);
}

// y[k] = low + span * y[k]: cuRAND's (0, 1] moved to (low, high], rounded as ours is. cuRAND's
// smallest values (2^-33 and up) can round to exactly `low`; those become the next value above it,
// so the interval stays open at `low` as the fill promises (dropout compares against it).
template <class T>
__device__ T above(T low, T high) {
    if constexpr (std::is_same_v<T, float>) return nextafterf(low, high);
    else return nextafter(low, high);
}

template <class T>
__global__ void scale_shift_kernel(index_t n, T low, T high, T* y) {
    T span = high - low;
    index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t k = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
        T value = philox::affine(y[k], span, low);
        y[k] = value > low ? value : above(low, high);
    }
}

}  // namespace fill_detail

template <class T>
void fill(index_t n, T value, T* y) {
    AIGC_CHECK(n >= 0, "fill: negative length ", n);
    if (n == 0) return;
    launch("fill", fill_detail::fill_kernel<T>, dim3(grid_for(n, 256)), dim3(256), n, value, y);
}

template <class T>
void fill_uniform(index_t n, RandomStream stream, T low, T high, T* y) {
    AIGC_CHECK(n >= 0, "fill_uniform: negative length ", n);
    if (n == 0) return;
    if (fill_backend() == FillBackend::curand) {
        curand_uniform(n, stream, y);
        if (low != T(0) || high != T(1))
            launch("fill_uniform (cuRAND scale)", fill_detail::scale_shift_kernel<T>, dim3(grid_for(n, 256)), dim3(256),
                   n, low, high, y);
        return;
    }
    launch("fill_uniform", fill_detail::fill_uniform_kernel<T>, dim3(grid_for(n, 256)), dim3(256), n, stream, low,
           static_cast<T>(high - low), y);
}

template <class T>
void fill_normal(index_t n, RandomStream stream, T mean, T stddev, T* y) {
    AIGC_CHECK(n >= 0, "fill_normal: negative length ", n);
    if (n == 0) return;
    if (fill_backend() == FillBackend::curand) return curand_normal(n, stream, mean, stddev, y);
    launch("fill_normal", fill_detail::fill_normal_kernel<T>, dim3(grid_for(n, 256)), dim3(256), n, stream, mean,
           stddev, y);
}

}  // namespace aigc::cuda
