#pragma once
// TinyRun: a complete, small training run (a GAN on 96 synthetic 4x4 images) with everything a
// checkpoint must capture: weights, both Adam states, the generator behind initialisation, noise
// and dropout, and the data loader's shuffle position. The SIGKILL test runs it in a child process
// that saves after every step, and replays it in the parent as the reference trajectory.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <aigc/all.hpp>

namespace reliability {

using namespace aigc;

inline constexpr std::uint64_t run_seed = 20240601;
inline const char* const run_kind = "tiny-gan";
inline const char* const run_config = "tiny-gan latent 8 image 16 hidden 256";

// Images of 4x4 from a formula (every byte value can occur), labels i % 10.
inline data::Mnist synthetic_images(index_t n) {
    std::vector<std::uint8_t> pixels, labels;
    for (index_t i = 0; i < n; ++i) {
        for (index_t j = 0; j < 16; ++j)
            pixels.push_back(static_cast<std::uint8_t>(std::lround(127.5 + 127.5 * std::sin(0.37 * double(i * 16 + j) + 0.1))));
        labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    return data::Mnist(4, 4, std::move(pixels), std::move(labels), "synthetic 4x4");
}

inline models::GanConfig tiny_gan_config() {
    models::GanConfig config;
    config.latent = 8;
    config.image = 16;
    config.generator_hidden = {256};
    config.discriminator_hidden = {256};
    return config;
}

class TinyRun {
public:
    TinyRun()
        : data_(synthetic_images(96)),
          rng_(run_seed),
          gan_(tiny_gan_config(), rng_),
          loader_(data_, {.batch_size = 8, .shuffle = true, .drop_last = true, .scale = data::PixelScale::symmetric},
                  Generator(run_seed + 1)) {}
    // The GAN's dropout layers point at rng_: a copy would point at the original's generator.
    TinyRun(const TinyRun&) = delete;
    TinyRun& operator=(const TinyRun&) = delete;

    // One D + G step on the next batch, starting a new epoch when the last one is used up.
    void step() {
        if (!loader_.in_epoch()) loader_.start_epoch();
        auto batch = loader_.next();
        gan_.train_step(batch->images, rng_);
        ++progress_.steps_done;
        if (!loader_.in_epoch()) ++progress_.epochs_done;
    }
    void advance_to(std::int64_t steps) {
        while (progress_.steps_done < steps) step();
    }

    models::RunState run_state() const { return {progress_, rng_, loader_.state()}; }
    models::NamedTensors<float, Cpu> state() const { return gan_.state(); }
    std::int64_t steps_done() const { return progress_.steps_done; }

    void save(const std::filesystem::path& path) const {
        models::save_checkpoint(path, run_kind, gan_.state(), run_state(), run_config);
    }
    // What a trainer's --resume does: every tensor, counter and random state back in place.
    void resume(const std::filesystem::path& path) {
        auto [saved, tensors] = models::load_checkpoint<float>(path, run_kind, run_config);
        gan_.load_state(tensors);
        progress_ = saved.progress;
        rng_.set_state(saved.rng.seed(), saved.rng.offset());
        loader_.restore(saved.loader);
    }

private:
    data::Mnist data_;
    Generator rng_;
    models::Gan<float> gan_;
    data::DataLoader<float> loader_;
    models::TrainingProgress progress_;
};

}  // namespace reliability
