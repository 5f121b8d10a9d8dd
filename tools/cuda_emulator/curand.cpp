// The emulated cuRAND (see include/curand.h). A generator is a position in a stream of 32-bit
// Philox4x32-10 outputs keyed by the seed; setting the seed or the offset restarts it at the
// offset, and each fill continues where the previous one stopped, as cuRAND's host API does.
#include <curand.h>

#include <cmath>
#include <cstdint>
#include <mutex>
#include <sstream>

#include <aigc/core/generator.hpp>

#include "device_heap.hpp"
#include "runtime_state.hpp"

struct curandGenerator_st {
    cudaStream_t stream = nullptr;
    std::uint64_t seed = 0;
    std::uint64_t offset = 0;
    std::uint64_t position = 0;  // index of the next 32-bit output
};

namespace {

using namespace aigc_cuda_emulator;

// Output `index` of the stream keyed by `key`: the library's own Philox4x32-10 block function (the
// algorithm cuRAND's generator is), four outputs per counter value.
std::uint32_t philox_output(std::uint64_t key, std::uint64_t index) { return aigc::philox::generate(key, index / 4).v[index % 4]; }

// (0, 1]: the smallest output maps to half a step above 0, the largest rounds to 1 in float.
float uniform_float(curandGenerator_st& g) {
    return static_cast<float>(philox_output(g.seed, g.position++)) * 2.3283064365386963e-10f + 1.1641532182693481e-10f;
}
double uniform_double(curandGenerator_st& g) {
    std::uint64_t high = philox_output(g.seed, g.position++), low = philox_output(g.seed, g.position++);
    std::uint64_t bits = (high << 21) ^ (low >> 11);  // 53 random bits
    return static_cast<double>(bits) * 0x1p-53 + 0x1p-54;
}

// The checks every fill makes before it writes: a live generator, no earlier fault, an even
// length for Box-Muller pairs, an output that is device memory.
curandStatus_t admit(const char* name, curandGenerator_t generator, const void* output, std::size_t bytes,
                     std::size_t n, bool pairs) {
    if (!generator) return CURAND_STATUS_NOT_INITIALIZED;
    if (sticky_status() != cudaSuccess) return CURAND_STATUS_PREEXISTING_FAILURE;
    if (pairs && n % 2 != 0) {
        std::ostringstream out;
        out << name << ": n=" << n << " is odd; pseudorandom normals come in pairs";
        diagnose(out.str());
        return CURAND_STATUS_LENGTH_NOT_MULTIPLE;
    }
    if (n > 0 && !DeviceHeap::instance().holds(output, bytes)) {
        diagnose(std::string(name) + ": the output is not (wholly) device memory");
        record_sticky(cudaErrorIllegalAddress);
        return CURAND_STATUS_LAUNCH_FAILURE;
    }
    return CURAND_STATUS_SUCCESS;
}

template <class T, class Draw>
curandStatus_t generate_uniform(const char* name, curandGenerator_t generator, T* output, std::size_t n, Draw draw) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (curandStatus_t status = admit(name, generator, output, n * sizeof(T), n, false); status != CURAND_STATUS_SUCCESS)
        return status;
    DeviceAccess access;
    for (std::size_t i = 0; i < n; ++i) output[i] = draw(*generator);
    return CURAND_STATUS_SUCCESS;
}

template <class T, class Draw>
curandStatus_t generate_normal(const char* name, curandGenerator_t generator, T* output, std::size_t n, T mean,
                               T stddev, Draw draw) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (curandStatus_t status = admit(name, generator, output, n * sizeof(T), n, true); status != CURAND_STATUS_SUCCESS)
        return status;
    DeviceAccess access;
    for (std::size_t i = 0; i < n; i += 2) {
        T u1 = draw(*generator), u2 = draw(*generator);
        T radius = std::sqrt(T(-2) * std::log(u1)), angle = T(6.283185307179586) * u2;
        output[i] = mean + stddev * radius * std::cos(angle);
        output[i + 1] = mean + stddev * radius * std::sin(angle);
    }
    return CURAND_STATUS_SUCCESS;
}

}  // namespace

curandStatus_t curandCreateGenerator(curandGenerator_t* generator, curandRngType_t type) {
    if (!generator) return CURAND_STATUS_NOT_INITIALIZED;
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) return CURAND_STATUS_INITIALIZATION_FAILED;
    if (type != CURAND_RNG_PSEUDO_PHILOX4_32_10) {
        diagnose("curandCreateGenerator: the emulator has only CURAND_RNG_PSEUDO_PHILOX4_32_10");
        return CURAND_STATUS_TYPE_ERROR;
    }
    *generator = new curandGenerator_st();
    return CURAND_STATUS_SUCCESS;
}

curandStatus_t curandDestroyGenerator(curandGenerator_t generator) {
    if (!generator) return CURAND_STATUS_NOT_INITIALIZED;
    delete generator;
    return CURAND_STATUS_SUCCESS;
}

curandStatus_t curandSetStream(curandGenerator_t generator, cudaStream_t stream) {
    if (!generator) return CURAND_STATUS_NOT_INITIALIZED;
    generator->stream = stream;
    return CURAND_STATUS_SUCCESS;
}

curandStatus_t curandSetPseudoRandomGeneratorSeed(curandGenerator_t generator, unsigned long long seed) {
    if (!generator) return CURAND_STATUS_NOT_INITIALIZED;
    generator->seed = seed;
    generator->position = generator->offset;
    return CURAND_STATUS_SUCCESS;
}

curandStatus_t curandSetGeneratorOffset(curandGenerator_t generator, unsigned long long offset) {
    if (!generator) return CURAND_STATUS_NOT_INITIALIZED;
    generator->offset = offset;
    generator->position = offset;
    return CURAND_STATUS_SUCCESS;
}

curandStatus_t curandGenerateUniform(curandGenerator_t generator, float* output, std::size_t n) {
    return generate_uniform("curandGenerateUniform", generator, output, n, uniform_float);
}

curandStatus_t curandGenerateUniformDouble(curandGenerator_t generator, double* output, std::size_t n) {
    return generate_uniform("curandGenerateUniformDouble", generator, output, n, uniform_double);
}

curandStatus_t curandGenerateNormal(curandGenerator_t generator, float* output, std::size_t n, float mean,
                                    float stddev) {
    return generate_normal("curandGenerateNormal", generator, output, n, mean, stddev, uniform_float);
}

curandStatus_t curandGenerateNormalDouble(curandGenerator_t generator, double* output, std::size_t n, double mean,
                                          double stddev) {
    return generate_normal("curandGenerateNormalDouble", generator, output, n, mean, stddev, uniform_double);
}
