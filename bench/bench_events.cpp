// What TensorBoard events cost a trainer: CRC-32C (table and SSE4.2 instruction), a weight
// histogram of the GAN's largest layer, one scalar record, and a whole GAN epoch end (a histogram
// and a gradient norm per parameter, the sample grid), written and flushed to a temp folder.
//   bench_events --benchmark_filter=crc32c
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <aigc/aigc.hpp>
#include <aigc/io/crc32c.hpp>
#include <aigc/io/events.hpp>
#include <aigc/io/image.hpp>
#include <aigc/io/summary_writer.hpp>
#include <aigc/models/gan.hpp>

namespace {

using namespace aigc;
namespace fs = std::filesystem;

std::vector<unsigned char> bytes(std::size_t n) {
    std::vector<unsigned char> data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
    return data;
}

void byte_rate(benchmark::State& state, double n) {
    state.counters["B/s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
}

void crc32c_by_table(benchmark::State& state) {
    auto data = bytes(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(io::crc32c_table(data.data(), data.size()));
    byte_rate(state, double(data.size()));
}
BENCHMARK(crc32c_by_table)->Arg(4096)->Arg(1 << 20);

void crc32c_by_instruction(benchmark::State& state) {
    if (!io::crc32c_has_instruction()) {
        state.SkipWithError("no SSE4.2 on this CPU");
        return;
    }
    auto data = bytes(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(io::crc32c_instruction(data.data(), data.size()));
    byte_rate(state, double(data.size()));
}
BENCHMARK(crc32c_by_instruction)->Arg(4096)->Arg(1 << 20);

// D's first layer: 1024 x 784 weights.
void histogram_802816(benchmark::State& state) {
    std::vector<double> values(1024 * 784);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(double(i) * 0.37) * 0.03;
    for (auto _ : state) benchmark::DoNotOptimize(io::make_histogram(values, 30));
    byte_rate(state, double(values.size() * sizeof(float)));
}
BENCHMARK(histogram_802816)->Unit(benchmark::kMillisecond);

struct ScratchFolder {
    fs::path path = fs::temp_directory_path() / ("aigc-bench-events-" + std::to_string(::getpid()));
    ScratchFolder() { fs::create_directories(path); }
    ~ScratchFolder() { fs::remove_all(path); }
};

void scalar_record(benchmark::State& state) {
    ScratchFolder folder;
    io::SummaryWriter writer(folder.path, {.flush_seconds = 3600});
    std::int64_t step = 0;
    for (auto _ : state) writer.add_scalar("train/d_loss", 0.693, ++step);
    writer.close();
}
BENCHMARK(scalar_record);

// Everything the GAN trainer writes at an epoch end, to disk.
void gan_epoch_end(benchmark::State& state) {
    ScratchFolder folder;
    Generator rng(1);
    models::Gan<float, Cpu> gan({}, rng);
    auto images = gan.generate(Tensor<float>::normal({64, 100}, rng));
    io::SummaryWriter writer(folder.path, {.flush_seconds = 3600});
    std::int64_t step = 0;
    for (auto _ : state) {
        ++step;
        writer.add_image("samples", io::make_image_grid(images), step);
        for (auto* net : {&gan.generator(), &gan.discriminator()})
            for (const auto& [name, p] : net->named_parameters()) writer.add_histogram("weights/" + name, p.value(), step);
        writer.flush();
    }
    writer.close();
}
BENCHMARK(gan_epoch_end)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
