// The CUDA emulator itself: that it runs barriers and shuffles with CUDA's semantics, and that it
// catches what it promises to catch (a missing barrier, a divergent __syncthreads, a host pointer
// passed to a kernel, host code touching device memory, bad launches, wrong copy directions).
#include <catch2/catch.hpp>

#include <cuda_emulator.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <vector>

#include <aigc/cuda.cuh>

using namespace aigc;

namespace {

// Every thread publishes base + t, then reads its right neighbour's value: correct only with the
// barrier between the write and the read.
template <bool WithBarrier>
__global__ void rotate_through_shared(int base, int* out) {
    __shared__ int published[64];
    int t = static_cast<int>(threadIdx.x);
    published[t] = base + t;
    if constexpr (WithBarrier) __syncthreads();
    out[t] = published[(t + 1) % 64];
}

__global__ void butterfly_sum(const float* in, float* out) {
    float value = in[threadIdx.x];
    out[threadIdx.x] = cuda::warp_reduce(value, cuda::SumOp{});
}

__global__ void shift_down(const int* in, int* out) { out[threadIdx.x] = __shfl_down_sync(0xffffffffu, in[threadIdx.x], 3); }

__global__ void sync_in_half_the_threads(int* out) {
    if (threadIdx.x < 16) {
        __syncthreads();
        out[threadIdx.x] = 1;
    }
}

__global__ void full_mask_shuffle(int* out) { out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1, 1); }

__global__ void write_one(int* out) { out[blockIdx.x * blockDim.x + threadIdx.x] = 1; }

std::vector<int> rotate(bool with_barrier, int base) {
    auto out = Tensor<int, Cuda>::zeros({64});
    if (with_barrier) cuda::launch("rotate", rotate_through_shared<true>, dim3(1), dim3(64), base, out.data());
    else cuda::launch("rotate (no barrier)", rotate_through_shared<false>, dim3(1), dim3(64), base, out.data());
    return out.to_vector();
}

std::vector<int> rotated(int base) {
    std::vector<int> want(64);
    for (int t = 0; t < 64; ++t) want[t] = base + (t + 1) % 64;
    return want;
}

struct RestoreOrder {
    ~RestoreOrder() { aigc_cuda_emulator::set_thread_order(aigc_cuda_emulator::ThreadOrder::forward); }
};

// Runs `action` in a child process and returns the signal that ended it (0 if it exited).
template <class Action>
int signal_of_child(Action action) {
    pid_t child = fork();
    if (child == 0) {
        signal(SIGSEGV, SIG_DFL);
        action();
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

}  // namespace

TEST_CASE("emulator: __syncthreads orders shared memory, and without it the result is wrong in either thread order",
          "[emulator]") {
    RestoreOrder restore;
    for (auto order : {aigc_cuda_emulator::ThreadOrder::forward, aigc_cuda_emulator::ThreadOrder::reverse}) {
        aigc_cuda_emulator::set_thread_order(order);
        CHECK(rotate(true, 0) == rotated(0));
        CHECK(rotate(true, 1000) == rotated(1000));
        rotate(false, 0);
        CHECK(rotate(false, 2000) != rotated(2000));  // the race shows
    }
}

TEST_CASE("emulator: warp shuffles exchange values between the lanes of a warp", "[emulator]") {
    std::vector<float> in(64);
    for (int i = 0; i < 64; ++i) in[i] = static_cast<float>(i);
    auto d_in = Tensor<float, Cuda>::from_vector({64}, in);
    auto d_out = Tensor<float, Cuda>::zeros({64});
    cuda::launch("butterfly", butterfly_sum, dim3(1), dim3(64), static_cast<const float*>(d_in.data()), d_out.data());
    std::vector<float> sums = d_out.to_vector();
    for (int i = 0; i < 64; ++i) CHECK(sums[i] == (i < 32 ? 496.0f : 1520.0f));  // 0+..+31, 32+..+63

    std::vector<int> lanes(32);
    for (int i = 0; i < 32; ++i) lanes[i] = 100 + i;
    auto d_lanes = Tensor<int, Cuda>::from_vector({32}, lanes);
    auto d_shifted = Tensor<int, Cuda>::zeros({32});
    cuda::launch("shift", shift_down, dim3(1), dim3(32), static_cast<const int*>(d_lanes.data()), d_shifted.data());
    std::vector<int> shifted = d_shifted.to_vector();
    for (int i = 0; i < 32; ++i) CHECK(shifted[i] == (i + 3 < 32 ? 103 + i : 100 + i));  // past the end: own value
}

TEST_CASE("emulator: a __syncthreads that some threads skip fails the launch and says so", "[emulator][errors]") {
    auto out = Tensor<int, Cuda>::zeros({64});
    CHECK_THROWS_WITH(cuda::launch("divergent", sync_in_half_the_threads, dim3(1), dim3(64), out.data()),
                      Catch::Contains("kernel 'divergent'") && Catch::Contains("cudaErrorLaunchFailure"));
    CHECK_THAT(aigc_cuda_emulator::last_diagnostic(), Catch::Contains("__syncthreads reached by 16 of 64 threads"));
    // A fault is sticky, as on a GPU: later work fails too until the emulator is reset.
    CHECK_THROWS_WITH(cuda::launch("after the fault", write_one, dim3(1), dim3(1), out.data()),
                      Catch::Contains("cudaErrorLaunchFailure"));
    aigc_cuda_emulator::reset_after_fault();

    // A whole-warp mask on a warp of 16 live lanes names lanes that do not exist.
    CHECK_THROWS(cuda::launch("partial warp", full_mask_shuffle, dim3(1), dim3(48), out.data()));
    CHECK_THAT(aigc_cuda_emulator::last_diagnostic(), Catch::Contains("mask must name exactly the warp's live lanes"));
    aigc_cuda_emulator::reset_after_fault();
}

TEST_CASE("emulator: bad launches and host pointers are rejected the way a GPU rejects them", "[emulator][errors]") {
    auto out = Tensor<int, Cuda>::zeros({8});
    CHECK_THROWS_WITH(cuda::launch("too wide", write_one, dim3(1), dim3(1025), out.data()),
                      Catch::Contains("cudaErrorInvalidConfiguration"));
    CHECK_THROWS_WITH(cuda::launch("tall grid", write_one, dim3(1, 65536), dim3(1), out.data()),
                      Catch::Contains("cudaErrorInvalidConfiguration"));
    cuda::launch("fine", write_one, dim3(2), dim3(4), out.data());  // a configuration error is not sticky
    CHECK(out.to_vector() == std::vector<int>(8, 1));

    std::vector<int> host(8);
    CHECK_THROWS_WITH(cuda::launch("host pointer", write_one, dim3(1), dim3(8), host.data()),
                      Catch::Contains("cudaErrorIllegalAddress"));
    CHECK_THAT(aigc_cuda_emulator::last_diagnostic(), Catch::Contains("kernel argument 0"));
    aigc_cuda_emulator::reset_after_fault();

    // Copies must go the direction they say.
    std::vector<int> other(8);
    CHECK(cudaMemcpy(other.data(), host.data(), 8 * sizeof(int), cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
    CHECK_THAT(aigc_cuda_emulator::last_diagnostic(), Catch::Contains("the source") && Catch::Contains("host memory"));
    CHECK(cudaMemcpy(other.data(), out.data(), 9 * sizeof(int), cudaMemcpyDeviceToHost) == cudaSuccess);  // inside the 256-byte block
    CHECK(cudaGetLastError() == cudaErrorInvalidValue);
    CHECK(cudaGetLastError() == cudaSuccess);
}

TEST_CASE("emulator: host code that touches device memory faults", "[emulator]") {
    auto device = Tensor<float, Cuda>::zeros({16});
    float* p = device.data();
    CHECK(signal_of_child([&] { volatile float x = p[3]; (void)x; }) == SIGSEGV);
    CHECK(signal_of_child([&] { p[3] = 1.0f; }) == SIGSEGV);
    CHECK(signal_of_child([&] { (void)device.to_vector(); }) == 0);  // the sanctioned way
}

TEST_CASE("emulator: cuBLAS checks its leading dimensions", "[emulator][cublas]") {
    auto a = Tensor<float, Cuda>::zeros({4, 4});
    float one = 1.0f, zero = 0.0f;
    cublasHandle_t handle = cuda::cublas_handle();
    // Column-major 4 x 4 needs lda >= 4.
    CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &one, a.data(), 3, a.data(), 4, &zero, a.data(), 4) ==
          CUBLAS_STATUS_INVALID_VALUE);
    CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &one, a.data(), 4, a.data(), 4, &zero, a.data(), 4) ==
          CUBLAS_STATUS_SUCCESS);
}

TEST_CASE("emulator: fresh device memory reads as NaN, not as zeros", "[emulator]") {
    void* block = nullptr;
    REQUIRE(cudaMalloc(&block, 3 * sizeof(double)) == cudaSuccess);
    std::vector<float> floats(6);
    std::vector<double> doubles(3);
    REQUIRE(cudaMemcpy(floats.data(), block, 6 * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
    REQUIRE(cudaMemcpy(doubles.data(), block, 3 * sizeof(double), cudaMemcpyDeviceToHost) == cudaSuccess);
    for (float x : floats) CHECK(std::isnan(x));
    for (double x : doubles) CHECK(std::isnan(x));
    CHECK(cudaFree(block) == cudaSuccess);
    CHECK(cudaFree(block) == cudaErrorInvalidValue);  // twice is a bug the emulator names
    cudaGetLastError();
}

TEST_CASE("emulator: cuRAND keeps cuRAND's rules, so the backend's workarounds are tested", "[emulator][curand]") {
    auto out = Tensor<float, Cuda>::zeros({17});
    curandGenerator_t generator = nullptr;
    CHECK(curandCreateGenerator(&generator, CURAND_RNG_PSEUDO_XORWOW) == CURAND_STATUS_TYPE_ERROR);
    REQUIRE(curandCreateGenerator(&generator, CURAND_RNG_PSEUDO_PHILOX4_32_10) == CURAND_STATUS_SUCCESS);
    REQUIRE(curandSetPseudoRandomGeneratorSeed(generator, 5) == CURAND_STATUS_SUCCESS);
    // Box-Muller pairs: an odd count is refused (the backend generates the last one separately).
    CHECK(curandGenerateNormal(generator, out.data(), 17, 0.0f, 1.0f) == CURAND_STATUS_LENGTH_NOT_MULTIPLE);
    CHECK(curandGenerateNormal(generator, out.data(), 16, 0.0f, 1.0f) == CURAND_STATUS_SUCCESS);
    // A fill continues the stream; setting the seed again restarts it.
    std::vector<float> first = out.to_vector();
    REQUIRE(curandGenerateNormal(generator, out.data(), 16, 0.0f, 1.0f) == CURAND_STATUS_SUCCESS);
    CHECK(out.to_vector() != first);
    REQUIRE(curandSetPseudoRandomGeneratorSeed(generator, 5) == CURAND_STATUS_SUCCESS);
    REQUIRE(curandGenerateNormal(generator, out.data(), 16, 0.0f, 1.0f) == CURAND_STATUS_SUCCESS);
    std::vector<float> again = out.to_vector();
    CHECK(std::vector<float>(again.begin(), again.begin() + 16) == std::vector<float>(first.begin(), first.begin() + 16));
    // Host memory is not an output: the launch fails and the fault is sticky.
    std::vector<float> host(16);
    CHECK(curandGenerateUniform(generator, host.data(), 16) == CURAND_STATUS_LAUNCH_FAILURE);
    CHECK(curandGenerateUniform(generator, out.data(), 16) == CURAND_STATUS_PREEXISTING_FAILURE);
    aigc_cuda_emulator::reset_after_fault();
    CHECK(curandDestroyGenerator(generator) == CURAND_STATUS_SUCCESS);
}
