#pragma once
// cuRAND as the reference for random fills, as cuBLAS is for gemm. Fills normally draw our Philox
// stream (fill.cuh), element for element the CPU backend's: that is what makes the CPU/GPU parity
// tests and device-independent checkpoints possible. set_fill_backend(FillBackend::curand) routes
// fill_uniform and fill_normal to cuRAND's Philox4_32_10 host-API generator instead: the same
// distributions from a different stream, for the benchmarks and as an independent statistical
// check of our kernels.
//
// Each fill keys the generator with a hash of (seed, offset) and starts it at offset 0. Fills so
// never share values whatever unit cuRAND counts its offsets in (values, not our 4-value blocks),
// and one RandomStream gives the same values every time.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>

#include <curand.h>

#include <aigc/core/generator.hpp>

#include "common.cuh"
#include "copy.cuh"
#include "memory.cuh"

namespace aigc::cuda {

enum class FillBackend { ours, curand };

namespace detail {
inline std::atomic<FillBackend>& fill_backend_state() {
    static std::atomic<FillBackend> backend{FillBackend::ours};
    return backend;
}
}  // namespace detail

// Chooses the implementation of Kernels<Cuda>::fill_uniform/fill_normal for the whole process.
inline void set_fill_backend(FillBackend backend) { detail::fill_backend_state().store(backend); }
inline FillBackend fill_backend() { return detail::fill_backend_state().load(); }

// cuRAND has no status-to-string function of its own.
inline const char* curand_status_name(curandStatus_t status) {
    switch (status) {
        case CURAND_STATUS_SUCCESS: return "CURAND_STATUS_SUCCESS";
        case CURAND_STATUS_VERSION_MISMATCH: return "CURAND_STATUS_VERSION_MISMATCH";
        case CURAND_STATUS_NOT_INITIALIZED: return "CURAND_STATUS_NOT_INITIALIZED";
        case CURAND_STATUS_ALLOCATION_FAILED: return "CURAND_STATUS_ALLOCATION_FAILED";
        case CURAND_STATUS_TYPE_ERROR: return "CURAND_STATUS_TYPE_ERROR";
        case CURAND_STATUS_OUT_OF_RANGE: return "CURAND_STATUS_OUT_OF_RANGE";
        case CURAND_STATUS_LENGTH_NOT_MULTIPLE: return "CURAND_STATUS_LENGTH_NOT_MULTIPLE";
        case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED: return "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
        case CURAND_STATUS_LAUNCH_FAILURE: return "CURAND_STATUS_LAUNCH_FAILURE";
        case CURAND_STATUS_PREEXISTING_FAILURE: return "CURAND_STATUS_PREEXISTING_FAILURE";
        case CURAND_STATUS_INITIALIZATION_FAILED: return "CURAND_STATUS_INITIALIZATION_FAILED";
        case CURAND_STATUS_ARCH_MISMATCH: return "CURAND_STATUS_ARCH_MISMATCH";
        case CURAND_STATUS_INTERNAL_ERROR: return "CURAND_STATUS_INTERNAL_ERROR";
    }
    return "unknown curandStatus_t";
}

inline void check_curand(curandStatus_t status, const char* operation) {
    if (status != CURAND_STATUS_SUCCESS) {
        cudaGetLastError();  // a launch failure inside cuRAND is reported here, not by the next kernel
        fail(aigc::detail::concat("cuda: ", operation, " failed: ", curand_status_name(status), " (",
                                  static_cast<int>(status), ")"));
    }
}

namespace curand_detail {

// One generator per device, bound to that device's stream. Its seed and position are state that
// every fill rewrites, so a fill holds the device's lock while it sets them and enqueues.
struct DeviceGenerator {
    curandGenerator_t generator = nullptr;
    std::mutex mutex;
};

inline DeviceGenerator& device_generator() {
    DeviceContext& ctx = context();
    return detail::per_device<DeviceGenerator>(ctx.device, [&ctx] {
        auto created = std::make_unique<DeviceGenerator>();
        check_curand(curandCreateGenerator(&created->generator, CURAND_RNG_PSEUDO_PHILOX4_32_10),
                     "curandCreateGenerator(PHILOX4_32_10)");
        check_curand(curandSetStream(created->generator, ctx.stream), "curandSetStream");
        return created;
    });
}

// SplitMix64's finaliser over (seed, offset): distinct streams get unrelated 64-bit keys.
inline std::uint64_t key_for(RandomStream stream) {
    std::uint64_t z = stream.seed ^ (stream.offset * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The device's generator, locked and keyed for `stream`, for the lifetime of this object.
class KeyedGenerator {
public:
    explicit KeyedGenerator(RandomStream stream) : device_(device_generator()), lock_(device_.mutex) {
        check_curand(curandSetPseudoRandomGeneratorSeed(device_.generator, key_for(stream)),
                     "curandSetPseudoRandomGeneratorSeed");
        check_curand(curandSetGeneratorOffset(device_.generator, 0), "curandSetGeneratorOffset");
    }
    curandGenerator_t get() const { return device_.generator; }

private:
    DeviceGenerator& device_;
    std::lock_guard<std::mutex> lock_;
};

inline void after_generate() {
    if (detail::sync_after_launch()) synchronize();
}

}  // namespace curand_detail

// y[k] uniform in (0, 1], from cuRAND.
template <class T>
void curand_uniform(index_t n, RandomStream stream, T* y) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "curand_uniform: float or double");
    if (n <= 0) return;
    curand_detail::KeyedGenerator generator(stream);
    auto count = static_cast<std::size_t>(n);
    if constexpr (std::is_same_v<T, float>) check_curand(curandGenerateUniform(generator.get(), y, count), "curandGenerateUniform");
    else check_curand(curandGenerateUniformDouble(generator.get(), y, count), "curandGenerateUniformDouble");
    curand_detail::after_generate();
}

// y[k] = mean + stddev * z_k, z_k standard normal from cuRAND. Its pseudorandom normals come in
// Box-Muller pairs and an odd length is CURAND_STATUS_LENGTH_NOT_MULTIPLE, so an odd fill takes its
// last element from one more pair, generated into a two-element scratch block.
template <class T>
void curand_normal(index_t n, RandomStream stream, T mean, T stddev, T* y) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "curand_normal: float or double");
    if (n <= 0) return;
    auto generate = [&](curandGenerator_t generator, T* out, std::size_t count) {
        if constexpr (std::is_same_v<T, float>)
            check_curand(curandGenerateNormal(generator, out, count, mean, stddev), "curandGenerateNormal");
        else check_curand(curandGenerateNormalDouble(generator, out, count, mean, stddev), "curandGenerateNormalDouble");
    };
    curand_detail::KeyedGenerator generator(stream);
    index_t even = n - n % 2;
    if (even > 0) generate(generator.get(), y, static_cast<std::size_t>(even));
    if (n % 2 != 0) {
        // Released at the end of this scope, while the copy may still be queued: safe, the
        // allocator only hands it to later work on the same stream (memory.cuh).
        std::shared_ptr<void> pair = CachingAllocator::instance().allocate(2 * sizeof(T));
        generate(generator.get(), static_cast<T*>(pair.get()), 2);
        copy(1, static_cast<const T*>(pair.get()), y + even);
    }
    curand_detail::after_generate();
}

}  // namespace aigc::cuda
