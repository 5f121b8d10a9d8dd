// Reproducibility of whole training runs, through the trainers' shared loop (examples::train_epochs,
// the code behind gan_mnist/vae_mnist --resume): the same seed and thread count give byte-identical
// checkpoint files, and a run stopped by --max-steps (mid-epoch) and continued with --resume, even
// several times, ends with the byte-identical checkpoint of the uninterrupted run. Model-level
// resume (save_checkpoint/load_state) is tested in test_checkpoint.cpp; this adds the loop around it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "../examples/common/training.hpp"
#include "support/synthetic_mnist.hpp"
#include "support/temp_dir.hpp"

using namespace aigc;
namespace fs = std::filesystem;

namespace {

using aigc_test::TempDir;

using aigc_test::synthetic_set;

std::vector<char> file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Restores the thread count a test changed, so test order does not matter.
struct ThreadCount {
    int saved = num_threads();
    explicit ThreadCount(int threads) { set_num_threads(threads); }
    ~ThreadCount() { set_num_threads(saved); }
};

// What gan_mnist / vae_mnist `train` build around train_epochs, at toy size: a fresh process's
// worth of objects for each call, so a resumed run shares nothing with the run it continues.
enum class Model { gan, vae };

void train(Model model, const data::Mnist& set, const examples::CommonOptions& o) {
    Generator rng(o.seed);
    examples::LoopHooks<float, Cpu> hooks;
    hooks.epoch_end = [](std::int64_t) { return examples::EpochReport{}; };
    if (model == Model::gan) {
        // Dropout in D, fresh noise per step, shuffled batches: every random stream is in play.
        models::Gan<float> gan({.latent = 4, .image = 16, .generator_hidden = {32}, .discriminator_hidden = {32}}, rng);
        data::DataLoader<float> loader(set, {.batch_size = 8, .drop_last = true, .scale = data::PixelScale::symmetric},
                                       Generator(o.seed + 1));
        hooks.state = [&] { return gan.state(); };
        hooks.load_state = [&](const auto& saved) { gan.load_state(saved); };
        hooks.step = [&](const data::Batch<float, Cpu>& batch) {
            auto l = gan.train_step(batch.images, rng);
            return std::vector<double>{l.discriminator, l.generator};
        };
        examples::train_epochs(o, {"gan", "toy gan", {"d_loss", "g_loss"}, {}}, loader, rng, hooks);
    } else {
        // Dynamic binarisation draws from the loader's generator, the reparameterisation from rng.
        models::VaeTrainer<float> vae({.input = 16, .hidden = {32}, .latent = 2}, rng);
        data::DataLoader<float> loader(set, {.batch_size = 8, .binarize = true}, Generator(o.seed + 1));
        hooks.state = [&] { return vae.state(); };
        hooks.load_state = [&](const auto& saved) { vae.load_state(saved); };
        hooks.step = [&](const data::Batch<float, Cpu>& batch) {
            return std::vector<double>{vae.train_step(batch.images, rng).loss};
        };
        examples::train_epochs(o, {"vae", "toy vae", {"loss"}, {}}, loader, rng, hooks);
    }
}

examples::CommonOptions options(const fs::path& out, int epochs, std::int64_t max_steps, bool resume,
                                std::uint64_t seed = 11) {
    examples::CommonOptions o;
    o.out = out.string();
    o.epochs = epochs;
    o.max_steps = max_steps;
    o.resume = resume;
    o.seed = seed;
    return o;
}

}  // namespace

TEST_CASE("same seed and thread count: byte-identical checkpoints after N steps",
          "[reproducibility][gan][vae][checkpoint]") {
    const data::Mnist set = synthetic_set(100);  // batches of 8: 12 (GAN, drop_last) or 13 (VAE) per epoch
    for (Model model : {Model::gan, Model::vae}) {
        for (int threads : {1, 2}) {
            INFO((model == Model::gan ? "gan" : "vae") << " with " << threads << " thread(s)");
            ThreadCount count(threads);
            TempDir first("repro-first"), second("repro-second"), other_seed("repro-other-seed");
            train(model, set, options(first.path, 2, 0, false));
            train(model, set, options(second.path, 2, 0, false));
            train(model, set, options(other_seed.path, 2, 0, false, 12));
            const auto reference = file_bytes(first.path / "checkpoint.safetensors");
            CHECK(file_bytes(second.path / "checkpoint.safetensors") == reference);
            // The comparison can fail: the seed reaches the weights.
            CHECK(file_bytes(other_seed.path / "checkpoint.safetensors") != reference);
        }
    }
}

TEST_CASE("a run stopped by max-steps and resumed, repeatedly, ends byte-identical to the uninterrupted run",
          "[reproducibility][gan][vae][checkpoint]") {
    const data::Mnist set = synthetic_set(100);
    ThreadCount count(2);
    for (Model model : {Model::gan, Model::vae}) {
        INFO((model == Model::gan ? "gan" : "vae"));
        TempDir whole("repro-whole"), pieces("repro-pieces");
        train(model, set, options(whole.path, 3, 0, false));
        // Stops mid-epoch 1 (step 5), then at step 12 (the end of the GAN's epoch of 12 full batches,
        // one batch before the end of the VAE's 13, whose last batch holds 4 images), then mid-epoch 3
        // (step 29), then runs to the end; every stop writes a checkpoint the next run resumes from.
        train(model, set, options(pieces.path, 3, 5, false));
        for (std::int64_t stop : {12, 29, 0}) train(model, set, options(pieces.path, 3, stop, true));

        auto [whole_state, whole_tensors] =
            models::load_checkpoint<float>(whole.path / "checkpoint.safetensors", model == Model::gan ? "gan" : "vae");
        auto [pieces_state, pieces_tensors] =
            models::load_checkpoint<float>(pieces.path / "checkpoint.safetensors", model == Model::gan ? "gan" : "vae");
        const std::int64_t steps = model == Model::gan ? 3 * 12 : 3 * 13;
        CHECK(whole_state.progress.steps_done == steps);
        CHECK(pieces_state.progress.steps_done == steps);
        CHECK(pieces_state.progress.epochs_done == 3);
        CHECK(file_bytes(pieces.path / "checkpoint.safetensors") == file_bytes(whole.path / "checkpoint.safetensors"));
    }
}

TEST_CASE("resuming a finished run trains nothing more and keeps the checkpoint",
          "[reproducibility][gan][checkpoint]") {
    const data::Mnist set = synthetic_set(100);
    TempDir run("repro-finished");
    train(Model::gan, set, options(run.path, 1, 0, false));
    const auto before = file_bytes(run.path / "checkpoint.safetensors");
    train(Model::gan, set, options(run.path, 1, 0, true));
    CHECK(file_bytes(run.path / "checkpoint.safetensors") == before);
}

// ---- Threads and contention: the bits of a float step do not depend on who runs the chunks ----

namespace {

using Guard = detail::ContentionGuard;
constexpr Guard::Nanoseconds ms = 1'000'000;

// Trips the pool's contention detector now: kernels then run serially for its first period.
void trip_contention() {
    auto& guard = detail::cpu_pool().contention();
    std::int64_t now = detail::ThreadPool::now();
    for (int i = 0; i < Guard::stalls_to_trip; ++i) guard.record(0, 2 * Guard::stall_min, now);
}

std::vector<float> seed_gan_weights_after_steps(int threads, bool contended) {
    ThreadCount count(threads);
    Generator gen(3);
    models::Gan<float> gan(models::GanConfig{}, gen);  // the seed GAN: its GEMMs are split into chunks
    Tensor<float, Cpu> real = Tensor<float, Cpu>::uniform(Shape{64, 784}, gen, -1.0f, 1.0f);
    for (int step = 0; step < 2; ++step) {
        if (contended) {
            trip_contention();
            REQUIRE(detail::cpu_pool().serial_now());
        }
        gan.train_step(real, gen);
    }
    detail::cpu_pool().contention().clear();
    std::vector<float> all;
    for (const auto& [name, tensor] : gan.state()) {
        auto values = tensor.to_vector();
        all.insert(all.end(), values.begin(), values.end());
    }
    return all;
}

// Elements whose bits differ (a count, so a failure does not print 1.5 million floats).
std::size_t bit_differences(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return differ;
}

}  // namespace

TEST_CASE("contention guard: a few long waits close together trip it; imbalance and lone stalls do not",
          "[threads][contention]") {
    Guard guard;
    Guard::Nanoseconds t = 1000 * ms;
    SECTION("ordinary load imbalance never trips it") {
        for (int i = 0; i < 100; ++i) guard.record(50'000, Guard::stall_min - 1, t + i * ms);  // short waits
        for (int i = 0; i < 100; ++i) guard.record(10 * ms, 5 * ms, t + 200 * ms + i * 20 * ms);  // shorter than own
        CHECK_FALSE(guard.serial(t + 3000 * ms));
        CHECK(guard.trips() == 0);
    }
    SECTION("stalls further apart than the window never trip it") {
        for (int i = 0; i < 20; ++i) guard.record(0, ms, t + i * (Guard::window / 2 + ms));
        CHECK(guard.trips() == 0);
    }
    SECTION("three stalls within the window: serial for the first period, then parallel again") {
        guard.record(0, ms, t);
        guard.record(0, ms, t + 10 * ms);
        CHECK_FALSE(guard.serial(t + 10 * ms));
        guard.record(0, ms, t + 20 * ms);
        CHECK(guard.trips() == 1);
        CHECK(guard.serial(t + 20 * ms));
        CHECK(guard.serial(t + 20 * ms + Guard::first_period - 1));
        CHECK_FALSE(guard.serial(t + 20 * ms + Guard::first_period));
    }
    SECTION("tripping again right after a period doubles it, up to the cap; a quiet spell resets it") {
        Guard::Nanoseconds now = t, expected = Guard::first_period;
        for (int trip = 0; trip < 8; ++trip) {
            for (int i = 0; i < Guard::stalls_to_trip; ++i) guard.record(0, ms, now);
            CHECK(guard.current_period() == expected);
            now += guard.current_period() + ms;  // probing right after the period ends
            expected = std::min(2 * expected, Guard::max_period);
        }
        CHECK(guard.current_period() == Guard::max_period);
        now += 10 * Guard::max_period;  // a long parallel spell without stalls
        for (int i = 0; i < Guard::stalls_to_trip; ++i) guard.record(0, ms, now);
        CHECK(guard.current_period() == Guard::first_period);
        guard.clear();
        CHECK_FALSE(guard.serial(now));
    }
}

TEST_CASE("float training steps give the same bits on 1 thread, 2 threads, and 2 threads run serially under contention",
          "[threads][contention][gan]") {
    const std::vector<float> one = seed_gan_weights_after_steps(1, false);
    CHECK(bit_differences(seed_gan_weights_after_steps(2, false), one) == 0);
    CHECK(bit_differences(seed_gan_weights_after_steps(2, true), one) == 0);
}

TEST_CASE("float GEMM gives the same bits whatever its chunk count, which follows the threads and the contention state",
          "[threads][contention][gemm]") {
    {
        for (index_t n : {1, 17, 784, 1023}) {
            INFO("m 64, k 300, n " << n);
            Generator gen(n);
            auto a = Tensor<float, Cpu>::uniform(Shape{64, 300}, gen, -1.0f, 1.0f);
            auto b = Tensor<float, Cpu>::uniform(Shape{300, n}, gen, -1.0f, 1.0f);
            auto product = [&](int threads, bool contended) {
                ThreadCount count(threads);
                if (contended) trip_contention();
                Tensor<float, Cpu> c(Shape{64, n});
                Kernels<Cpu>::gemm(false, false, 64, n, 300, 1.0f, a.data(), b.data(), 0.0f, c.data());
                detail::cpu_pool().contention().clear();
                return c.to_vector();
            };
            const auto reference = product(1, false);
            CHECK(bit_differences(product(2, false), reference) == 0);
            CHECK(bit_differences(product(2, true), reference) == 0);
        }
    }
}
