// CUDA benchmarks (built only where the target aigc::cuda exists): the same per-kernel and
// whole-step cases as bench_kernels / bench_steps, on Kernels<Cuda>. GEMM runs twice per shape,
// our kernel ("ours") and cuBLAS ("cublas", full FP32), timed with CUDA events (manual time), so
// the ratio of the two FLOP/s counters is the "% of cuBLAS" of the issue; random fills likewise,
// ours against cuRAND. Without a usable device the program prints a line and exits 77, like the
// CUDA tests.
//   bench_cuda --benchmark_filter='gemm/square'
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <aigc/cuda.cuh>
#include <aigc/models/gan.hpp>
#include <aigc/models/vae.hpp>

#include "inputs.hpp"
#include "shapes.hpp"

namespace {

using namespace aigc;
using K = Kernels<Cuda>;
using Tc = Tensor<float, Cuda>;

Tc wave(const Shape& shape, float scale = 1.0f, double phase = 0.1) { return bench::wave<Cuda>(shape, scale, phase); }

// Times `work` on the backend's stream with CUDA events: the device time of what it enqueues.
template <class Work>
void timed_loop(benchmark::State& state, Work work) {
    cudaEvent_t start, stop;
    cuda::check(cudaEventCreate(&start), "cudaEventCreate");
    cuda::check(cudaEventCreate(&stop), "cudaEventCreate");
    work();  // warm-up (first launch, allocator)
    for (auto _ : state) {
        cuda::check(cudaEventRecord(start, cuda::stream()), "cudaEventRecord");
        work();
        cuda::check(cudaEventRecord(stop, cuda::stream()), "cudaEventRecord");
        cuda::check(cudaEventSynchronize(stop), "cudaEventSynchronize");
        float ms = 0;
        cuda::check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
        state.SetIterationTime(double(ms) * 1e-3);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
}

void register_gemm(const std::string& name, bench::GemmShape g) {
    for (auto backend : {cuda::GemmBackend::ours, cuda::GemmBackend::cublas}) {
        std::string full = name + (backend == cuda::GemmBackend::ours ? "/ours" : "/cublas");
        benchmark::RegisterBenchmark(full.c_str(), [g, backend](benchmark::State& state) {
            Tc a = wave(g.trans_a ? Shape{g.k, g.m} : Shape{g.m, g.k});
            Tc b = wave(g.trans_b ? Shape{g.n, g.k} : Shape{g.k, g.n}, 1.0f, 0.7);
            Tc c = Tc::zeros(Shape{g.m, g.n});
            float beta = g.trans_a ? 1.0f : 0.0f;
            cuda::set_gemm_backend(backend);
            timed_loop(state, [&] {
                K::gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, 1.0f, a.data(), b.data(), beta, c.data());
            });
            cuda::set_gemm_backend(cuda::GemmBackend::ours);
            state.counters["FLOP/s"] = benchmark::Counter(g.flops(), benchmark::Counter::kIsIterationInvariantRate);
        })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
}

void register_gemms() {
    for (const auto& layer : bench::model_layers()) {
        std::vector<index_t> batches = {64, 256};
        if (layer.name.rfind("gan.D", 0) == 0) batches = {64, 128, 256, 512};
        for (index_t batch : batches)
            for (auto product : {bench::Product::forward, bench::Product::grad_input, bench::Product::grad_weight})
                register_gemm("gemm/" + layer.name + "/" + bench::product_name(product) + "/b" + std::to_string(batch),
                              bench::gemm_shape(layer, product, batch));
    }
    for (index_t size : {1024, 2048, 4096})
        register_gemm("gemm/square/" + std::to_string(size), {false, false, size, size, size});
}

// The fused Adam over a model's parameters: 28 bytes per parameter (bench/inputs.hpp).
void register_adam(const std::string& model, const std::vector<bench::Layer>& layers) {
    benchmark::RegisterBenchmark(("adam/" + model).c_str(), [layers](benchmark::State& state) {
        bench::AdamWorkload<Cuda> work(layers);
        timed_loop(state, [&] { K::apply_update(std::span<const ParamSlot<float>>(work.slots), work.update); });
        state.counters["params"] = double(work.parameters);
        state.counters["B/s"] = benchmark::Counter(work.bytes_per_step(), benchmark::Counter::kIsIterationInvariantRate);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
}

// Random fills, our Philox kernel ("ours", the stream the CPU backend draws) against cuRAND's
// Philox4_32_10 generator ("curand"): 4 bytes written per value. Each iteration draws a fresh stream.
void register_fills() {
    for (bool normal : {false, true})
        for (index_t n : {index_t(1) << 16, index_t(1) << 20, index_t(1) << 24})
            for (auto backend : {cuda::FillBackend::ours, cuda::FillBackend::curand}) {
                std::string name = std::string("fill/") + (normal ? "normal" : "uniform") + "/n" + std::to_string(n) +
                                   (backend == cuda::FillBackend::ours ? "/ours" : "/curand");
                benchmark::RegisterBenchmark(name.c_str(), [n, normal, backend](benchmark::State& state) {
                    Tc y = Tc::zeros(Shape{n});
                    std::uint64_t offset = 0;
                    cuda::set_fill_backend(backend);
                    timed_loop(state, [&] {
                        RandomStream stream{1, offset};
                        offset += static_cast<std::uint64_t>(n);
                        if (normal) K::fill_normal(n, stream, 0.0f, 1.0f, y.data());
                        else K::fill_uniform(n, stream, 0.0f, 1.0f, y.data());
                    });
                    cuda::set_fill_backend(cuda::FillBackend::ours);
                    state.counters["B/s"] =
                        benchmark::Counter(4.0 * double(n), benchmark::Counter::kIsIterationInvariantRate);
                })->UseManualTime()->Unit(benchmark::kMicrosecond);
            }
}

// Whole steps: wall time per step (train_step reads its losses back, which synchronises).
void gan_step(benchmark::State& state) {
    index_t batch = state.range(0);
    Generator gen(1);
    models::Gan<float, Cuda> gan(models::GanConfig{}, gen);
    Tc real = bench::pixels<Cuda>(batch, true);
    for (int i = 0; i < 3; ++i) gan.train_step(real, gen);
    for (auto _ : state) benchmark::DoNotOptimize(gan.train_step(real, gen));
    state.SetItemsProcessed(state.iterations() * batch);
}
void vae_step(benchmark::State& state) {
    index_t batch = state.range(0);
    Generator gen(1);
    models::VaeTrainer<float, Cuda> vae(models::VaeConfig{}, gen);
    Tc x = bench::pixels<Cuda>(batch, false);
    for (int i = 0; i < 3; ++i) vae.train_step(x, gen);
    for (auto _ : state) benchmark::DoNotOptimize(vae.train_step(x, gen));
    state.SetItemsProcessed(state.iterations() * batch);
}

}  // namespace

int main(int argc, char** argv) {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("bench_cuda: skipped, no usable CUDA device\n");
        return 77;
    }
    register_gemms();
    register_fills();
    auto layers = bench::model_layers();
    register_adam("gan.G", {layers.begin(), layers.begin() + 4});
    register_adam("gan.D", {layers.begin() + 4, layers.begin() + 8});
    benchmark::RegisterBenchmark("gan_step", gan_step)->ArgName("batch")->Arg(64)->Arg(256)->UseRealTime()->Unit(
        benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("vae_step", vae_step)->ArgName("batch")->Arg(64)->Arg(256)->UseRealTime()->Unit(
        benchmark::kMicrosecond);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
