// What data-parallel training costs here: the all-reduce time against message size, and a
// data-parallel training step (the seed GAN's discriminator, BCE on real and fake rows, Adam) at a
// fixed global batch on however many ranks mpirun started. Plain timing (medians of repeated
// runs, rank 0 prints), not Google Benchmark: every rank must run the same collectives in step.
//   mpirun -np 2 --oversubscribe build/bench/bench_allreduce      (scripts/bench.sh --dist)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <aigc/aigc.hpp>
#include <aigc/dist/communicator.hpp>
#include <aigc/dist/data_parallel.hpp>

using namespace aigc;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double median_seconds(const dist::Communicator& world, int repeats, F&& f) {
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) {
        world.barrier();
        auto start = Clock::now();
        f();
        times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

void all_reduce_sizes(const dist::Communicator& world) {
    if (world.size() == 1) {  // nothing to exchange: MPI returns at once
        std::printf("(one rank: an all-reduce has nothing to exchange; run under mpirun -np 2 or more)\n");
        return;
    }
    if (world.rank() == 0) std::printf("| message | all-reduce time | algorithm bandwidth | bus bandwidth |\n|---|---|---|---|\n");
    for (index_t bytes = 4 << 10; bytes <= (index_t(64) << 20); bytes *= 4) {
        auto t = Tensor<float, Cpu>::ones(Shape{bytes / 4});
        int repeats = bytes <= (1 << 20) ? 200 : 20;
        double s = median_seconds(world, repeats, [&] { world.all_reduce(t); });
        // Bus bandwidth as NCCL's tests define it: algorithm bandwidth x 2 (n - 1) / n.
        double algo = double(bytes) / s, bus = algo * 2.0 * (world.size() - 1) / world.size();
        if (world.rank() == 0)
            std::printf("| %lld KiB | %.1f us | %.2f GB/s | %.2f GB/s |\n", static_cast<long long>(bytes >> 10), s * 1e6,
                        algo / 1e9, bus / 1e9);
    }
}

// The seed GAN's D (784-1024-512-256-1, LeakyReLU 0.2), BCE with logits against alternating labels.
void data_parallel_step(const dist::Communicator& world, index_t global_batch) {
    if (global_batch % world.size() != 0) return;
    const index_t batch = global_batch / world.size();
    Generator gen(1);
    nn::Sequential<float> d(std::make_shared<nn::Linear<float>>(784, 1024, gen),
                            std::make_shared<nn::LeakyReLU<float>>(0.2f),
                            std::make_shared<nn::Linear<float>>(1024, 512, gen),
                            std::make_shared<nn::LeakyReLU<float>>(0.2f),
                            std::make_shared<nn::Linear<float>>(512, 256, gen),
                            std::make_shared<nn::LeakyReLU<float>>(0.2f), std::make_shared<nn::Linear<float>>(256, 1, gen));
    dist::DataParallel<float> ddp(world, d.named_parameters());
    optim::Adam<float> adam(d.parameters(), {.lr = 2e-4});
    auto x = Tensor<float, Cpu>::uniform(Shape{batch, 784}, gen, -1.0f, 1.0f);
    std::vector<float> labels(static_cast<std::size_t>(batch));
    for (index_t i = 0; i < batch; ++i) labels[static_cast<std::size_t>(i)] = float((world.rank() * batch + i) % 2);
    auto y = Tensor<float, Cpu>::from_vector(Shape{batch, 1}, labels);
    auto step = [&] {
        Var<float, Cpu> loss = bce_with_logits(d.forward(Var<float, Cpu>(x)), y);
        adam.zero_grad(true);
        ddp.backward(loss);
        adam.step();
    };
    for (int i = 0; i < 3; ++i) step();
    double s = median_seconds(world, 30, step);
    if (world.rank() == 0)
        std::printf("| D step, global batch %lld | %d rank(s) x %lld | %.2f ms | %.0f samples/s | %zu bucket(s) |\n",
                    static_cast<long long>(global_batch), world.size(), static_cast<long long>(batch), s * 1e3,
                    double(global_batch) / s, ddp.buckets());
}

}  // namespace

int main(int argc, char** argv) {
    dist::Session session(argc, argv);
    dist::Communicator& world = session.world();
    if (world.rank() == 0) std::printf("ranks: %d, threads per rank: %d\n\n", world.size(), num_threads());
    all_reduce_sizes(world);
    if (world.rank() == 0) std::printf("\n| step | split | time | throughput | buckets |\n|---|---|---|---|---|\n");
    for (index_t batch : {128, 512}) data_parallel_step(world, batch);
    return 0;
}
