#pragma once
// What every CUDA kernel family shares: error checks that become aigc::Error, the per-device
// context (one stream, the SM count), ceil_div, warp reductions and the one launch helper through
// which every kernel starts, so no launch goes unchecked.
//
// Streams: each device gets one non-blocking stream, created on first use. Every kernel, copy and
// cuBLAS call of this backend runs on it, so work is ordered without extra synchronisation;
// to_host/from_host/synchronize() wait for it. Set AIGC_CUDA_SYNC=1 to synchronise after every
// launch, so an asynchronous fault is reported with the name of the kernel that caused it.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include <aigc/core/device.hpp>
#include <aigc/core/error.hpp>
#include <aigc/core/shape.hpp>

namespace aigc::cuda {

// Throws aigc::Error naming the operation when a CUDA runtime call failed. The runtime also
// remembers the error for cudaGetLastError; it is cleared here so that the next launch's check does
// not report it a second time under another kernel's name (sticky faults stay sticky regardless).
inline void check(cudaError_t status, const char* operation) {
    if (status != cudaSuccess) {
        cudaGetLastError();
        fail(detail::concat("cuda: ", operation, " failed: ", cudaGetErrorName(status), " (",
                            cudaGetErrorString(status), ")"));
    }
}

constexpr index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }

// Everything this backend keeps per device.
struct DeviceContext {
    int device = 0;
    cudaStream_t stream = nullptr;
    int sm_count = 1;
};

namespace detail {
inline int current_device() {
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    return device;
}

inline bool sync_after_launch() {
    static const bool enabled = [] {
        const char* env = std::getenv("AIGC_CUDA_SYNC");
        return env && env[0] != '\0' && env[0] != '0';
    }();
    return enabled;
}

// One T per device: made by create() (a std::unique_ptr<T>) on first use on that device, then kept
// for the life of the process, because destroying streams and library handles during static
// destruction races with the CUDA runtime's own teardown. Each call site's lambda is its own
// type, so each call site has its own table. A create() that throws leaves the slot empty.
template <class T, class Create>
T& per_device(int device, Create create) {
    static std::mutex mutex;
    static auto* slots = new std::vector<std::unique_ptr<T>>();
    std::lock_guard<std::mutex> lock(mutex);
    if (static_cast<int>(slots->size()) <= device) slots->resize(static_cast<std::size_t>(device) + 1);
    std::unique_ptr<T>& slot = (*slots)[static_cast<std::size_t>(device)];
    if (!slot) slot = create();
    return *slot;
}
}  // namespace detail

// The context of the current device (cudaSetDevice chooses it, as everywhere in CUDA).
inline DeviceContext& context() {
    int device = detail::current_device();
    return detail::per_device<DeviceContext>(device, [device] {
        auto created = std::make_unique<DeviceContext>();
        created->device = device;
        check(cudaStreamCreateWithFlags(&created->stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
        check(cudaDeviceGetAttribute(&created->sm_count, cudaDevAttrMultiProcessorCount, device),
              "cudaDeviceGetAttribute(multiProcessorCount)");
        return created;
    });
}

inline cudaStream_t stream() { return context().stream; }

// Waits for all work of this backend on the current device; reports any asynchronous fault.
inline void synchronize() { check(cudaStreamSynchronize(stream()), "cudaStreamSynchronize"); }

// Launches kernel<<<grid, block, 0, stream()>>>(args...) and turns a failed launch (bad
// configuration, no device, an earlier sticky fault) into aigc::Error naming the kernel.
// Arguments are converted to the kernel's parameter types first, so the pointer array handed to
// cudaLaunchKernel points at objects of exactly those types.
template <class... Params, class... Args>
void launch(const char* kernel_name, void (*kernel)(Params...), dim3 grid, dim3 block, Args&&... args) {
    static_assert(sizeof...(Params) == sizeof...(Args), "launch: argument count differs from the kernel's");
    std::tuple<std::decay_t<Params>...> values(std::forward<Args>(args)...);
    cudaError_t status = std::apply(
        [&](auto&... value) {
            void* pointers[] = {static_cast<void*>(&value)...};
            return cudaLaunchKernel(kernel, grid, block, pointers, 0, stream());
        },
        values);
    if (status == cudaSuccess) status = cudaGetLastError();
    if (status == cudaSuccess && detail::sync_after_launch()) status = cudaStreamSynchronize(stream());
    if (status != cudaSuccess) {
        cudaGetLastError();  // reported here, not again by the next launch
        fail(aigc::detail::concat("cuda: kernel '", kernel_name, "' failed: ", cudaGetErrorName(status), " (",
                                  cudaGetErrorString(status), "), grid [", grid.x, ", ", grid.y, ", ", grid.z,
                                  "], block [", block.x, ", ", block.y, ", ", block.z, "]"));
    }
}

// A grid of 1-D blocks for a grid-stride loop over n items: enough blocks to fill every SM a few
// times over, never more than the items need.
inline unsigned grid_for(index_t n, int threads_per_block) {
    index_t needed = ceil_div(n, threads_per_block);
    index_t enough = static_cast<index_t>(context().sm_count) * 32;
    index_t blocks = needed < enough ? needed : enough;
    return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

// ---- warp-level reductions (all 32 lanes must take part) ------------------------------------
struct SumOp {
    template <class T>
    __device__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
    template <class T>
    __device__ T operator()(T a, T b) const { return b > a ? b : a; }
};

constexpr int warp_size = 32;
constexpr unsigned full_warp = 0xffffffffu;

// Butterfly reduction: after log2(32) xor-shuffles every lane holds op over all 32 lanes.
template <class T, class Op>
__device__ T warp_reduce(T value, Op op) {
    for (int offset = warp_size / 2; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(full_warp, value, offset));
    return value;
}

// Reduction over a whole block of Threads (a multiple of 32) threads; every thread gets the result.
template <int Threads, class T, class Op>
__device__ T block_reduce(T value, Op op, T identity) {
    static_assert(Threads % warp_size == 0 && Threads <= 1024, "block_reduce: whole warps, at most 1024 threads");
    __shared__ T warp_totals[Threads / warp_size];
    __shared__ T total;
    int lane = static_cast<int>(threadIdx.x) % warp_size, warp = static_cast<int>(threadIdx.x) / warp_size;
    value = warp_reduce(value, op);
    if (lane == 0) warp_totals[warp] = value;
    __syncthreads();
    if (warp == 0) {
        T partial = lane < Threads / warp_size ? warp_totals[lane] : identity;
        partial = warp_reduce(partial, op);
        if (lane == 0) total = partial;
    }
    __syncthreads();
    return total;
}

}  // namespace aigc::cuda
