// Exact resume through the models API: a run that trains 2 epochs ends with bit-identical weights
// and optimizer state to a run that trains 1 epoch (or stops mid-epoch), saves a checkpoint
// (models::save_checkpoint: model, optimizer, generator and data-loader state), loads it into
// freshly built objects and trains on. Also: a checkpoint of another kind, configuration or
// architecture, and a truncated file, are clear errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <aigc/all.hpp>
#include "support/synthetic_mnist.hpp"
#include "support/temp_dir.hpp"

namespace {

using aigc_test::TempDir;

using namespace aigc;
using Catch::Contains;
namespace fs = std::filesystem;
using State = models::NamedTensors<float, Cpu>;

// Tiny models; CTest runs test programs side by side on few cores, so one thread each is fastest.
const bool single_threaded = (set_num_threads(1), true);

using aigc_test::synthetic_set;

// Every tensor of a state, bit for bit (names in order, then values).
bool identical(const State& a, const State& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].first != b[i].first || !(a[i].second.shape() == b[i].second.shape()) ||
            a[i].second.to_vector() != b[i].second.to_vector())
            return false;
    return true;
}

State deep_copy(const State& s) {
    State out;
    for (const auto& [name, t] : s) out.emplace_back(name, t.clone());
    return out;
}

// One training run of a model M: its generator (initialisation, dropout, noise), the model with
// its optimizers, a loader over `data` and the counters. `seed` makes fresh runs differ, so a
// resumed run matches the uninterrupted one only through what the checkpoint restored.
template <class Model>
struct Run {
    Generator rng;
    Model model;
    data::DataLoader<float> loader;
    models::TrainingProgress progress;
    std::string kind, config;

    template <class Config>
    Run(const data::Mnist& data, const Config& model_config, data::LoaderOptions options, std::uint64_t seed,
        std::string kind_, std::string config_)
        : rng(seed), model(model_config, rng), loader(data, options, Generator(seed + 1)), kind(std::move(kind_)),
          config(std::move(config_)) {}

    // Optimizer steps, starting a new epoch whenever one ends.
    void train_steps(index_t steps) {
        for (index_t s = 0; s < steps; ++s) {
            if (!loader.in_epoch()) loader.start_epoch();
            auto batch = loader.next();
            model.train_step(batch->images, rng);
            ++progress.steps_done;
            if (!loader.in_epoch()) ++progress.epochs_done;
        }
    }
    void save(const fs::path& path) {
        models::save_checkpoint(path, kind, model.state(), models::RunState{progress, rng, loader.state()}, config);
    }
    void load(const fs::path& path) {
        auto [run, tensors] = models::load_checkpoint<float>(path, kind, config);
        model.load_state(tensors);
        rng.set_state(run.rng.seed(), run.rng.offset());
        loader.restore(run.loader);
        progress = run.progress;
    }
};

const models::GanConfig small_gan{.latent = 4, .image = 16, .generator_hidden = {16, 16},
                                  .discriminator_hidden = {16}, .dropout = 0.3, .lr = 1e-3};
const data::LoaderOptions gan_loader{.batch_size = 8, .drop_last = true, .scale = data::PixelScale::symmetric};
using GanRun = Run<models::Gan<float>>;
std::unique_ptr<GanRun> gan_run(const data::Mnist& data, std::uint64_t seed) {
    return std::make_unique<GanRun>(data, small_gan, gan_loader, seed, "gan", "gan latent 4 image 16");
}

const models::VaeConfig small_vae{.input = 16, .hidden = {12}, .latent = 3, .lr = 3e-3};
// Partial last batch and dynamic binarisation: the loader's generator stream must be resumed too.
const data::LoaderOptions vae_loader{.batch_size = 8, .binarize = true};
using VaeRun = Run<models::VaeTrainer<float>>;
std::unique_ptr<VaeRun> vae_run(const data::Mnist& data, std::uint64_t seed) {
    return std::make_unique<VaeRun>(data, small_vae, vae_loader, seed, "vae", "vae input 16 hidden 12 latent 3");
}

// "2 epochs == the first `stop_after` steps + save + load into fresh objects + the rest".
template <class MakeRun>
void check_exact_resume(const data::Mnist& data, MakeRun make_run, index_t stop_after) {
    TempDir dir("checkpoint");
    auto straight = make_run(data, 21);
    const index_t two_epochs = 2 * straight->loader.batches_per_epoch();
    straight->train_steps(two_epochs);

    auto first = make_run(data, 21);
    first->train_steps(stop_after);
    first->save(dir / "checkpoint.safetensors");

    auto resumed = make_run(data, 1000);  // another seed: different weights, noise and shuffling
    REQUIRE_FALSE(identical(resumed->model.state(), first->model.state()));
    resumed->load(dir / "checkpoint.safetensors");
    CHECK(identical(resumed->model.state(), first->model.state()));
    CHECK(resumed->progress.steps_done == stop_after);
    resumed->train_steps(two_epochs - stop_after);

    CHECK(resumed->progress.steps_done == straight->progress.steps_done);
    CHECK(resumed->progress.epochs_done == 2);
    CHECK(straight->progress.epochs_done == 2);
    CHECK(resumed->rng.offset() == straight->rng.offset());
    CHECK(identical(resumed->model.state(), straight->model.state()));
    // And the run did train: the weights moved away from the initial ones.
    CHECK_FALSE(identical(make_run(data, 21)->model.state(), straight->model.state()));
}

}  // namespace

TEST_CASE("GAN: 2 epochs == 1 epoch + checkpoint + load into fresh objects + 1 epoch, bit for bit",
          "[checkpoint][gan][safetensors][loader]") {
    const data::Mnist data = synthetic_set(44);  // 5 batches of 8 per epoch, 4 images dropped
    SECTION("resume at an epoch boundary") { check_exact_resume(data, gan_run, 5); }
    SECTION("resume in the middle of an epoch") { check_exact_resume(data, gan_run, 7); }
}

TEST_CASE("VAE: 2 epochs == 1 epoch + checkpoint + load into fresh objects + 1 epoch, bit for bit",
          "[checkpoint][vae][safetensors][loader]") {
    const data::Mnist data = synthetic_set(44);  // 6 batches per epoch, the last one of 4
    SECTION("resume at an epoch boundary") { check_exact_resume(data, vae_run, 6); }
    SECTION("resume in the middle of an epoch") { check_exact_resume(data, vae_run, 9); }
}

TEST_CASE("the checkpoint keeps the counters and the model's own tensor names", "[checkpoint][gan][safetensors]") {
    TempDir dir("checkpoint");
    const data::Mnist data = synthetic_set(44);
    auto run = gan_run(data, 3);
    run->train_steps(7);
    run->save(dir / "gan.safetensors");

    auto [saved, tensors] = models::load_checkpoint<float>(dir / "gan.safetensors", "gan");
    CHECK(saved.progress.steps_done == 7);
    CHECK(saved.progress.epochs_done == 1);
    CHECK(saved.rng.seed() == run->rng.seed());
    CHECK(saved.rng.offset() == run->rng.offset());
    CHECK(saved.loader.epoch == 2);
    CHECK(saved.loader.next_batch == 2);
    // The generator alone can be taken out under its PyTorch names (what `gan_mnist sample` needs).
    State generator = models::take_prefix(std::string("generator."), tensors);
    std::vector<std::string> names;
    for (const auto& [name, t] : generator) names.push_back(name);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"});
}

TEST_CASE("a checkpoint of another kind, configuration or architecture is a clear error",
          "[checkpoint][errors][gan][vae][safetensors]") {
    TempDir dir("checkpoint");
    const data::Mnist data = synthetic_set(44);
    auto vae = vae_run(data, 4);
    vae->train_steps(2);
    const fs::path vae_file = dir / "vae.safetensors";
    vae->save(vae_file);

    SECTION("another kind") {
        CHECK_THROWS_WITH(models::load_checkpoint<float>(vae_file, "gan"),
                          Contains("load_checkpoint") && Contains(vae_file.string()) &&
                              Contains("is a vae checkpoint, expected gan"));
    }
    SECTION("another configuration of the same kind") {
        CHECK_THROWS_WITH(models::load_checkpoint<float>(vae_file, "vae", "vae input 16 hidden 32 latent 3"),
                          Contains("was trained with configuration 'vae input 16 hidden 12 latent 3'") &&
                              Contains("this run has 'vae input 16 hidden 32 latent 3'"));
    }
    SECTION("no checkpoint at all, and a file that is not a training checkpoint") {
        CHECK_THROWS_WITH(models::load_checkpoint<float>(dir / "absent.safetensors", "vae"),
                          Contains("no checkpoint at") && Contains("absent.safetensors"));
        io::save_safetensors(dir / "weights.safetensors", vae->model.model().state_dict());
        CHECK_THROWS_WITH(models::load_checkpoint<float>(dir / "weights.safetensors", "vae"),
                          Contains("is not an aigc training checkpoint"));
    }
    SECTION("the tensors of another model: every missing and unexpected entry is named") {
        auto [run, tensors] = models::load_checkpoint<float>(vae_file, "vae");
        Generator gen(5);
        models::Gan<float> gan(small_gan, gen);
        CHECK_THROWS_WITH(gan.load_state(tensors),
                          Contains("load_state_dict") && Contains("missing keys") && Contains("\"0.weight\""));
    }
    SECTION("a GAN whose discriminator is wider: the shapes are named and nothing is changed") {
        Generator gen(6);
        models::GanConfig wider = small_gan;
        wider.discriminator_hidden = {32};
        models::Gan<float> other(wider, gen);
        io::save_safetensors(dir / "wider.safetensors", other.state());

        auto gan = gan_run(data, 7);
        gan->train_steps(3);
        State before = deep_copy(gan->model.state());
        CHECK_THROWS_WITH(gan->model.load_state(io::load_safetensors<float>(dir / "wider.safetensors")),
                          Contains("shape mismatches") && Contains("0.weight: checkpoint has [32, 16], model has [16, 16]"));
        // The generator part matched, but a failed load must not leave half a model behind.
        CHECK(identical(gan->model.state(), before));
    }
    SECTION("a VAE with another latent size: the shapes are named") {
        models::VaeConfig other_config = small_vae;
        other_config.latent = 5;
        Generator gen(8);
        models::VaeTrainer<float> other(other_config, gen);
        State before = deep_copy(vae->model.state());
        CHECK_THROWS_WITH(vae->model.load_state(other.state()),
                          Contains("fc21.weight: checkpoint has [5, 12], model has [3, 12]"));
        CHECK(identical(vae->model.state(), before));
    }
    SECTION("a VAE state whose optimizer part is incomplete: named, and the weights are not half-loaded") {
        auto donor = vae_run(data, 10);
        donor->train_steps(2);
        State broken;
        for (const auto& entry : donor->model.state())
            if (entry.first != "optimizer.0.exp_avg") broken.push_back(entry);
        State before = deep_copy(vae->model.state());
        CHECK_THROWS_WITH(vae->model.load_state(broken), Contains("Adam::load_state") && Contains("0.exp_avg"));
        CHECK(identical(vae->model.state(), before));
    }
}

TEST_CASE("a truncated or damaged checkpoint file is an error naming the file, never a crash",
          "[checkpoint][errors][gan][safetensors]") {
    TempDir dir("checkpoint");
    const data::Mnist data = synthetic_set(44);
    auto gan = gan_run(data, 9);
    gan->train_steps(1);
    const fs::path file = dir / "checkpoint.safetensors";
    gan->save(file);
    const auto size = fs::file_size(file);

    SECTION("cut inside the tensor data") {
        fs::resize_file(file, size - 100);
        CHECK_THROWS_WITH(models::load_checkpoint<float>(file, "gan"),
                          Contains(file.string()) && Contains("file is truncated"));
    }
    SECTION("cut inside the header") {
        fs::resize_file(file, 64);
        CHECK_THROWS_WITH(models::load_checkpoint<float>(file, "gan"),
                          Contains(file.string()) && Contains("runs past the end of the file"));
    }
    SECTION("cut inside the length prefix") {
        fs::resize_file(file, 5);
        CHECK_THROWS_WITH(models::load_checkpoint<float>(file, "gan"),
                          Contains(file.string()) && Contains("too short"));
    }
    SECTION("an empty file") {
        fs::resize_file(file, 0);
        CHECK_THROWS_AS(models::load_checkpoint<float>(file, "gan"), Error);
    }
}
