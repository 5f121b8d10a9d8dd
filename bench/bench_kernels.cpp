// Per-kernel CPU benchmarks of the Kernels<Cpu> table at the shapes the two reference models use:
// GEMM (every layer, all three products, batch 64 and 256; D's layers also at the stacked D-step
// batch), element-wise maps, the bias + activation work around a linear layer, reductions, the
// Philox fills and the fused Adam update. Counters: FLOP/s for GEMM, bytes/s (what the kernel
// must read and write) for the memory-bound rest. Threads: AIGC_NUM_THREADS (default: all cores).
//   bench_kernels --benchmark_filter='gemm/gan.D.0'
#include <cmath>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <aigc/cpu.hpp>

#include "inputs.hpp"
#include "peak_fma.hpp"
#include "shapes.hpp"

namespace {

using namespace aigc;
using K = Kernels<Cpu>;
using Tn = Tensor<float, Cpu>;

Tn wave(const Shape& shape, float scale = 1.0f, double phase = 0.1) { return bench::wave<Cpu>(shape, scale, phase); }

void flop_rate(benchmark::State& state, double flops) {
    state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}
void byte_rate(benchmark::State& state, double bytes) {
    state.counters["B/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

void register_gemm(const bench::Layer& layer, bench::Product product, index_t batch) {
    bench::GemmShape g = bench::gemm_shape(layer, product, batch);
    std::string name = "gemm/" + layer.name + "/" + bench::product_name(product) + "/b" + std::to_string(batch);
    benchmark::RegisterBenchmark(name.c_str(), [g](benchmark::State& state) {
        Tn a = wave(g.trans_a ? Shape{g.k, g.m} : Shape{g.m, g.k});
        Tn b = wave(g.trans_b ? Shape{g.n, g.k} : Shape{g.k, g.n}, 1.0f, 0.7);
        Tn c = Tn::zeros(Shape{g.m, g.n});
        // Gradients accumulate (beta 1) as in a backward pass; the forward product overwrites.
        float beta = g.trans_a ? 1.0f : 0.0f;
        for (auto _ : state) {
            K::gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, 1.0f, a.data(), b.data(), beta, c.data());
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
        }
        flop_rate(state, g.flops());
    })->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void register_gemms() {
    for (const auto& layer : bench::model_layers()) {
        std::vector<index_t> batches = {64, 256};
        if (layer.name.rfind("gan.D", 0) == 0) batches = {64, 128, 256, 512};  // D step: real + fake stacked
        for (index_t batch : batches)
            for (auto product : {bench::Product::forward, bench::Product::grad_input, bench::Product::grad_weight})
                register_gemm(layer, product, batch);
    }
    for (index_t size : {256, 1024}) {
        std::string name = "gemm/square/" + std::to_string(size);
        benchmark::RegisterBenchmark(name.c_str(), [size](benchmark::State& state) {
            Tn a = wave({size, size}), b = wave({size, size}, 1.0f, 0.7), c = Tn::zeros({size, size});
            for (auto _ : state) {
                K::gemm(false, false, size, size, size, 1.0f, a.data(), b.data(), 0.0f, c.data());
                benchmark::DoNotOptimize(c.data());
            }
            flop_rate(state, 2.0 * double(size) * double(size) * double(size));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
}

// y = f(inputs...) over a [batch, 1024] activation, Arity inputs; bytes: inputs + output.
template <int Arity, class F>
void register_map(const std::string& what, F f) {
    for (index_t batch : {64, 256}) {
        std::string name = "map/" + what + "/b" + std::to_string(batch);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
            Shape shape{batch, 1024};
            Tn y(shape), a = wave(shape, 4.0f), b = wave(shape, 1.0f, 0.5), c = wave(shape, 0.5f, 0.9);
            for (auto _ : state) {
                if constexpr (Arity == 1) K::transform(batch, 1024, f, y.data(), a.in(), false);
                if constexpr (Arity == 2) K::transform(batch, 1024, f, y.data(), b.in(), a.in(), false);
                if constexpr (Arity == 3) K::transform(batch, 1024, f, y.data(), b.in(), a.in(), c.in(), false);
                benchmark::DoNotOptimize(y.data());
            }
            byte_rate(state, double(Arity + 1) * 4.0 * double(shape.numel()));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
}

void register_maps() {
    register_map<1>("leaky_relu", fn::LeakyRelu<float>{0.2f});
    register_map<2>("leaky_relu_grad", fn::LeakyReluGrad<float>{0.2f});
    register_map<1>("relu", fn::Relu{});
    register_map<1>("tanh", fn::Tanh{});
    register_map<2>("tanh_grad", fn::TanhGradFromOutput{});
    register_map<1>("sigmoid", fn::Sigmoid{});
    register_map<2>("mul", fn::Mul{});
    register_map<2>("bce_with_logits", fn::BceWithLogits{});
    register_map<3>("bce_with_logits_grad", fn::BceWithLogitsGrad{});
    register_map<2>("gaussian_kl", fn::GaussianKl{});
}

// What a Linear + LeakyReLU layer does besides its GEMM, at [batch, 1024]:
//   forward:  y = bias (row broadcast), GEMM adds x W^T (not timed), a = leaky_relu(y)
//   backward: dy = leaky_relu'(y) g, db = column sums of dy
void register_bias_activation() {
    for (index_t batch : {64, 256}) {
        Shape shape{batch, 1024};
        std::string forward = "bias_leaky_relu/forward/b" + std::to_string(batch);
        benchmark::RegisterBenchmark(forward.c_str(), [=](benchmark::State& state) {
            Tn bias = wave({1024}), y(shape), a(shape);
            for (auto _ : state) {
                K::transform(batch, 1024, fn::Identity{}, y.data(), In<float>::row(bias.data()), false);
                K::transform(batch, 1024, fn::LeakyRelu<float>{0.2f}, a.data(), y.in(), false);
                benchmark::DoNotOptimize(a.data());
            }
            byte_rate(state, 3.0 * 4.0 * double(shape.numel()));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
        std::string backward = "bias_leaky_relu/backward/b" + std::to_string(batch);
        benchmark::RegisterBenchmark(backward.c_str(), [=](benchmark::State& state) {
            Tn y = wave(shape), g = wave(shape, 1.0f, 0.3), dy(shape), db({1024});
            for (auto _ : state) {
                K::transform(batch, 1024, fn::LeakyReluGrad<float>{0.2f}, dy.data(), g.in(), y.in(), false);
                K::sum_cols(batch, 1024, dy.data(), db.data(), false);
                benchmark::DoNotOptimize(db.data());
            }
            byte_rate(state, 4.0 * 4.0 * double(shape.numel()));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
}

void register_reductions() {
    for (index_t batch : {64, 256}) {
        std::string suffix = "/b" + std::to_string(batch);
        benchmark::RegisterBenchmark(("reduce/sum_cols" + suffix).c_str(), [=](benchmark::State& state) {
            Tn x = wave({batch, 1024}), y({1024});
            for (auto _ : state) {
                K::sum_cols(batch, 1024, x.data(), y.data(), false);
                benchmark::DoNotOptimize(y.data());
            }
            byte_rate(state, 4.0 * double(batch * 1024));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
        benchmark::RegisterBenchmark(("reduce/sum_rows" + suffix).c_str(), [=](benchmark::State& state) {
            Tn x = wave({batch, 784}), y({batch});
            for (auto _ : state) {
                K::sum_rows(batch, 784, x.data(), y.data(), false);
                benchmark::DoNotOptimize(y.data());
            }
            byte_rate(state, 4.0 * double(batch * 784));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
        benchmark::RegisterBenchmark(("reduce/sum_all" + suffix).c_str(), [=](benchmark::State& state) {
            Tn x = wave({batch, 784}), y({1});
            for (auto _ : state) {
                K::sum_all(batch * 784, x.data(), y.data(), false);
                benchmark::DoNotOptimize(y.data());
            }
            byte_rate(state, 4.0 * double(batch * 784));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
}

void register_fills() {
    for (index_t batch : {64, 256}) {
        index_t n = batch * 1024;
        std::string suffix = "/b" + std::to_string(batch);
        benchmark::RegisterBenchmark(("fill/uniform" + suffix).c_str(), [=](benchmark::State& state) {
            Tn y({n});
            Generator gen(1);
            for (auto _ : state) {
                K::fill_uniform(n, gen.reserve(std::uint64_t(n)), 0.0f, 1.0f, y.data());
                benchmark::DoNotOptimize(y.data());
            }
            byte_rate(state, 4.0 * double(n));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
        benchmark::RegisterBenchmark(("fill/normal" + suffix).c_str(), [=](benchmark::State& state) {
            Tn y({n});
            Generator gen(1);
            for (auto _ : state) {
                K::fill_normal(n, gen.reserve(std::uint64_t(n)), 0.0f, 1.0f, y.data());
                benchmark::DoNotOptimize(y.data());
            }
            byte_rate(state, 4.0 * double(n));
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
}

// One fused Adam update over a model's parameters (28 bytes per parameter, bench/inputs.hpp).
void register_adam(const std::string& model, const std::vector<bench::Layer>& layers) {
    std::string name = "adam/" + model;
    benchmark::RegisterBenchmark(name.c_str(), [layers](benchmark::State& state) {
        bench::AdamWorkload<Cpu> work(layers);
        for (auto _ : state) {
            K::apply_update(std::span<const ParamSlot<float>>(work.slots), work.update);
            benchmark::ClobberMemory();
        }
        state.counters["params"] = double(work.parameters);
        byte_rate(state, work.bytes_per_step());
    })->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void register_adams() {
    auto layers = bench::model_layers();
    std::vector<bench::Layer> generator(layers.begin(), layers.begin() + 4), discriminator(layers.begin() + 4,
                                                                                           layers.begin() + 8);
    std::vector<bench::Layer> vae(layers.begin() + 8, layers.end());
    vae.push_back({"vae.fc22", 400, 20});
    register_adam("gan.G", generator);
    register_adam("gan.D", discriminator);
    register_adam("vae", vae);
}

// FLOP/s of FMAs alone on every thread of the pool at once: the ceiling for the GEMM counters.
void register_peak() {
#if defined(AIGC_BENCH_HAVE_PEAK_FMA)
    struct Isa {
        const char* name;
        bool supported;
        float (*chains)(std::int64_t);
        int lanes;
    };
    const bool avx512 = __builtin_cpu_supports("avx512f");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    for (Isa isa : {Isa{"avx512", avx512, bench::fma_chains_avx512, 16},
                    Isa{"avx2", avx2, bench::fma_chains_avx2, 8}}) {
        if (!isa.supported) continue;
        std::string name = std::string("peak/fma/") + isa.name;
        benchmark::RegisterBenchmark(name.c_str(), [isa](benchmark::State& state) {
            // Several chunks per thread, claimed as they come, so a late-waking worker costs little.
            constexpr std::int64_t iterations = 1 << 16;
            index_t chunks = 4 * aigc::num_threads();
            std::vector<float> sink(static_cast<std::size_t>(chunks));
            for (auto _ : state) {
                aigc::detail::cpu_pool().parallel_for(chunks, [&](index_t c) { sink[c] = isa.chains(iterations); });
                benchmark::DoNotOptimize(sink.data());
            }
            flop_rate(state, 2.0 * isa.lanes * bench::peak_chains * static_cast<double>(iterations * chunks));
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
#endif
}

}  // namespace

int main(int argc, char** argv) {
    register_peak();
    register_gemms();
    register_maps();
    register_bias_activation();
    register_reductions();
    register_fills();
    register_adams();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("aigc_threads", std::to_string(aigc::num_threads()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
