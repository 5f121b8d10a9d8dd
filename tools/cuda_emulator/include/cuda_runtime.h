#pragma once
// The CUDA emulator's stand-in for the runtime header: enough of the CUDA runtime API, device
// built-ins and intrinsics for g++ to compile the CUDA backend (cuda/aigc/cuda/*.cuh) and its
// tests, and to run every kernel on the CPU. It exists because no GPU is at hand in CI: the
// kernels' index arithmetic, tiling, edge handling, barriers and warp shuffles then run on every
// commit, not only in the rare session with a GPU.
//
// How kernels run (tools/cuda_emulator/README.md has the whole story): a launch runs its blocks one
// after another; the threads of a block are fibers on the launching thread, switched at
// __syncthreads (every thread of the block) and at shuffles (every lane of the warp), so barrier
// and shuffle semantics are exact and a missing barrier shows up as a wrong result. __shared__
// variables are function statics, shared by the block's fibers. Streams are synchronous.
//
// What a GPU would catch that it also catches: device memory is inaccessible (PROT_NONE) whenever
// host code runs, so host code that dereferences a device pointer faults with a message; a
// pointer argument of a kernel that is not device memory, a bad launch configuration, a
// __syncthreads that not every thread reaches, and wrong memcpy directions are errors.
// What it cannot catch: timing, occupancy, shared-memory bank conflicts, resource limits, data
// races that need true parallelism, and results of fused multiply-adds (it rounds like the host).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

// ---- declaration specifiers -----------------------------------------------------------------
#define __host__
#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

// ---- vector types -----------------------------------------------------------------------------
struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(8) float2 {
    float x, y;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline float2 make_float2(float x, float y) { return {x, y}; }

// ---- errors and handles -----------------------------------------------------------------------
enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidDevicePointer = 17,
    cudaErrorInvalidMemcpyDirection = 21,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorNotReady = 600,
    cudaErrorIllegalAddress = 700,
    cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr {
    cudaDevAttrMaxThreadsPerBlock = 1,
    cudaDevAttrMultiProcessorCount = 16,
    cudaDevAttrWarpSize = 10,
    cudaDevAttrComputeCapabilityMajor = 75,
    cudaDevAttrComputeCapabilityMinor = 76,
};

struct CUstream_st;
struct CUevent_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;

constexpr unsigned int cudaStreamDefault = 0x0, cudaStreamNonBlocking = 0x1;
constexpr unsigned int cudaEventDefault = 0x0, cudaEventBlockingSync = 0x1, cudaEventDisableTiming = 0x2;

// ---- runtime API (tools/cuda_emulator/runtime.cpp) --------------------------------------------
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes);

cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
// Work is done when its call returns here, so a stream is never busy (cudaErrorNotReady never comes).
cudaError_t cudaStreamQuery(cudaStream_t stream);

cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end);

cudaError_t cudaMalloc(void** pointer, std::size_t bytes);
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMallocHost(void** pointer, std::size_t bytes);
cudaError_t cudaFreeHost(void* pointer);
cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* dst, int value, std::size_t bytes);
cudaError_t cudaMemsetAsync(void* dst, int value, std::size_t bytes, cudaStream_t stream = nullptr);

template <class T>
cudaError_t cudaMalloc(T** pointer, std::size_t bytes) {
    return cudaMalloc(reinterpret_cast<void**>(pointer), bytes);
}
template <class T>
cudaError_t cudaMallocHost(T** pointer, std::size_t bytes) {
    return cudaMallocHost(reinterpret_cast<void**>(pointer), bytes);
}

// ---- built-in variables and device intrinsics --------------------------------------------------
// Set by the scheduler before it resumes a thread's fiber. Plain globals: launches are serialised
// and every fiber of a launch runs on the launching host thread.
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;
constexpr int warpSize = 32;

namespace aigc_cuda_emulator {

// Blocks the calling fiber until every live thread of its block (barrier_block) or of its warp
// (barrier_warp) has arrived.
void barrier_block();
void barrier_warp();
// The 16-byte exchange slot of lane `lane` in the calling thread's warp (shuffles go through it).
unsigned char* warp_slot(unsigned int lane);
unsigned int lane_id();
unsigned int live_lane_mask();
// Fails the running kernel with `message` (the launch then returns cudaErrorLaunchFailure).
[[noreturn]] void kernel_fault(const char* message);

// Every lane writes its value, the warp meets, every lane reads its source lane, the warp meets
// again (so the next shuffle cannot overwrite a slot before it was read).
template <class T, class SourceLane>
T exchange(unsigned int mask, T value, SourceLane source_lane) {
    static_assert(sizeof(T) <= 16 && std::is_trivially_copyable_v<T>, "shuffle: at most 16 trivially copyable bytes");
    if (mask != live_lane_mask())
        kernel_fault("__shfl_*_sync: the mask must name exactly the warp's live lanes (this emulator "
                     "supports whole-warp shuffles only)");
    unsigned int lane = lane_id();
    std::memcpy(warp_slot(lane), &value, sizeof(T));
    barrier_warp();
    unsigned int source = source_lane(lane);
    T result = value;
    if (source < 32 && (mask >> source & 1u)) std::memcpy(&result, warp_slot(source), sizeof(T));
    barrier_warp();
    return result;
}

}  // namespace aigc_cuda_emulator

inline void __syncthreads() { aigc_cuda_emulator::barrier_block(); }
inline void __syncwarp(unsigned int = 0xffffffffu) { aigc_cuda_emulator::barrier_warp(); }

template <class T>
T __shfl_xor_sync(unsigned int mask, T value, int lane_mask, int width = warpSize) {
    return aigc_cuda_emulator::exchange(mask, value, [=](unsigned int lane) {
        unsigned int source = lane ^ static_cast<unsigned int>(lane_mask);
        // A source outside this lane's segment of `width` lanes reads the lane's own value.
        return source / static_cast<unsigned int>(width) == lane / static_cast<unsigned int>(width) ? source : lane;
    });
}
template <class T>
T __shfl_down_sync(unsigned int mask, T value, unsigned int delta, int width = warpSize) {
    return aigc_cuda_emulator::exchange(mask, value, [=](unsigned int lane) {
        unsigned int source = lane + delta;
        return source / static_cast<unsigned int>(width) == lane / static_cast<unsigned int>(width) ? source : lane;
    });
}
template <class T>
T __shfl_sync(unsigned int mask, T value, int source_lane, int width = warpSize) {
    return aigc_cuda_emulator::exchange(mask, value, [=](unsigned int lane) {
        unsigned int segment = lane / static_cast<unsigned int>(width) * static_cast<unsigned int>(width);
        return segment + static_cast<unsigned int>(source_lane) % static_cast<unsigned int>(width);
    });
}

// Correctly rounded arithmetic that is never contracted into a fused multiply-add. The emulated
// programs are compiled with -ffp-contract=off, so a plain operation already rounds once.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }

// ---- kernel launches --------------------------------------------------------------------------
namespace aigc_cuda_emulator {

// Runs `thread_body` once per thread of grid x block, as described above; returns the launch's
// status. `pointer_arguments` lists the kernel's pointer parameters (index, value) that must be
// device memory or null.
struct PointerArgument {
    int index;
    const void* value;
};
cudaError_t run_kernel(dim3 grid, dim3 block, cudaStream_t stream,
                       const PointerArgument* pointer_arguments, int pointer_count, void (*thread_body)(void*),
                       void* closure);

template <class Param>
constexpr bool is_data_pointer = std::is_pointer_v<Param> && !std::is_function_v<std::remove_pointer_t<Param>>;

template <class... Params, std::size_t... I>
cudaError_t launch(void (*kernel)(Params...), dim3 grid, dim3 block, void** args, cudaStream_t stream,
                   std::index_sequence<I...>) {
    struct Closure {
        void (*kernel)(Params...);
        void** args;
    } closure{kernel, args};
    // Each thread gets its own copy of every argument, as each CUDA thread has its own parameters.
    auto body = [](void* raw) {
        auto* c = static_cast<Closure*>(raw);
        c->kernel(*static_cast<std::decay_t<Params>*>(c->args[I])...);
    };
    PointerArgument pointers[sizeof...(Params) + 1];
    int count = 0;
    (
        [&] {
            using Param = std::decay_t<Params>;
            if constexpr (is_data_pointer<Param>)
                pointers[count++] = {static_cast<int>(I), static_cast<const void*>(*static_cast<Param*>(args[I]))};
        }(),
        ...);
    return run_kernel(grid, block, stream, pointers, count, body, &closure);
}

}  // namespace aigc_cuda_emulator

template <class... Params>
cudaError_t cudaLaunchKernel(void (*kernel)(Params...), dim3 grid, dim3 block, void** args,
                             std::size_t dynamic_shared_bytes = 0, cudaStream_t stream = nullptr) {
    if (dynamic_shared_bytes != 0) return cudaErrorInvalidValue;  // no extern __shared__ arrays here
    return aigc_cuda_emulator::launch(kernel, grid, block, args, stream, std::index_sequence_for<Params...>{});
}
