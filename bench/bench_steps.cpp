// Whole training steps on the CPU: the seed GAN (one D step on real + fake, one G step) and the
// reference VAE (BCE-sum + KL), each with its Adam, at batch 64 and 256. Reports time per step and
// samples/s (items_per_second). The thread count is the benchmark's argument (1, or every core
// this process may use); bench/pytorch_steps.py runs the identical steps in PyTorch.
//   bench_steps --benchmark_filter=gan_step --benchmark_repetitions=5
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <aigc/models/gan.hpp>
#include <aigc/models/vae.hpp>

#include "inputs.hpp"

namespace {

using namespace aigc;
using Tn = Tensor<float, Cpu>;

constexpr int warmup_steps = 3;  // the first steps fill the allocator's cache and the optimizer state

// Serial periods the thread pool entered during the measured steps because other processes kept
// the cores busy (cpu/contention.hpp); 0 on an idle machine.
void count_serial_periods(benchmark::State& state, std::int64_t before) {
    state.counters["serial_periods"] = static_cast<double>(detail::cpu_pool().contention_trips() - before);
}

void gan_step(benchmark::State& state) {
    index_t batch = state.range(0);
    set_num_threads(static_cast<int>(state.range(1)));
    Generator gen(1);
    models::Gan<float> gan(models::GanConfig{}, gen);
    Tn real = bench::pixels<Cpu>(batch, true);
    for (int i = 0; i < warmup_steps; ++i) gan.train_step(real, gen);
    std::int64_t trips = detail::cpu_pool().contention_trips();
    for (auto _ : state) {
        auto losses = gan.train_step(real, gen);
        benchmark::DoNotOptimize(losses);
    }
    state.SetItemsProcessed(state.iterations() * batch);
    count_serial_periods(state, trips);
}

void vae_step(benchmark::State& state) {
    index_t batch = state.range(0);
    set_num_threads(static_cast<int>(state.range(1)));
    Generator gen(1);
    models::VaeTrainer<float> vae(models::VaeConfig{}, gen);
    Tn x = bench::pixels<Cpu>(batch, false);
    for (int i = 0; i < warmup_steps; ++i) vae.train_step(x, gen);
    std::int64_t trips = detail::cpu_pool().contention_trips();
    for (auto _ : state) {
        auto losses = vae.train_step(x, gen);
        benchmark::DoNotOptimize(losses);
    }
    state.SetItemsProcessed(state.iterations() * batch);
    count_serial_periods(state, trips);
}

}  // namespace

int main(int argc, char** argv) {
    int cores = aigc::detail::available_cores();
    for (auto [name, step] : {std::pair{"gan_step", &gan_step}, std::pair{"vae_step", &vae_step}}) {
        auto* b = benchmark::RegisterBenchmark(name, step);
        b->ArgNames({"batch", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
        for (long batch : {64, 256})
            for (long threads : {1, cores})
                if (threads == 1 || cores > 1) b->Args({batch, threads});
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
