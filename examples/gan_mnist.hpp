#pragma once
// The commands of gan_mnist, written once for any device D (Cpu, Cuda): gan_mnist.cpp parses the
// command line and calls them; gan_mnist_cuda.cu instantiates them for Cuda where nvcc exists.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "common/cli.hpp"
#include "common/mnist_helpers.hpp"
#include "common/training.hpp"

namespace fs = std::filesystem;
using namespace aigc;

struct GanOptions {
    examples::CommonOptions common{.out = "out/gan"};
    std::string classifier = "out/classifier/classifier.safetensors";
    index_t metric_samples = 2000;
    double lr = models::GanConfig{}.lr;
    double lr_g = 0, lr_d = 0;  // 0: --lr
    double ema = 0;  // decay of G's weight average; 0: none
    std::string loss = "ns";
    double gp_weight = models::GanConfig{}.gp_weight;
    index_t n_critic = 0;  // 0: 5 for wgan-gp, else 1
    double r1 = 0;
    bool spectral_norm = false;
    bool conditional = false;
    int label = -1;  // sample: the digit to draw; -1: all ten in turn
    std::string checkpoint;
    index_t n = 64;
    std::string sample_out = "samples.idx";
    std::string grid;
};

// What a checkpoint's run must share with a --resume: the layout and the objective. The seed's
// objective adds nothing, so checkpoints from before these options resume as they did.
static std::string config_text(const models::GanConfig& c) {
    std::ostringstream text;
    text << "gan latent " << c.latent << " image " << c.image;
    if (c.loss != models::GanLoss::non_saturating) text << " loss " << models::gan_loss_name(c.loss);
    if (c.loss == models::GanLoss::wgan_gp) text << " gp_weight " << c.gp_weight;
    if (c.n_critic != 1) text << " n_critic " << c.n_critic;
    if (c.r1 > 0) text << " r1 " << c.r1;
    if (c.spectral_norm) text << " spectral_norm";
    if (c.classes > 0) text << " classes " << c.classes;
    return text.str();
}

static models::GanConfig config_of(const GanOptions& opt) {
    models::GanConfig config;
    config.lr = opt.lr;
    config.lr_g = opt.lr_g;
    config.lr_d = opt.lr_d;
    config.loss = models::gan_loss_from_name(opt.loss);
    config.gp_weight = opt.gp_weight;
    config.n_critic = opt.n_critic > 0 ? opt.n_critic : config.loss == models::GanLoss::wgan_gp ? 5 : 1;
    config.r1 = opt.r1;
    config.spectral_norm = opt.spectral_norm;
    config.classes = opt.conditional ? data::Mnist::num_classes : 0;
    return config;
}

// Conditional runs label their images digit by digit: image i shows digit i / per_digit.
static std::vector<int> digit_rows(index_t n, index_t per_digit) {
    std::vector<int> labels;
    for (index_t i = 0; i < n; ++i) labels.push_back(static_cast<int>((i / per_digit) % data::Mnist::num_classes));
    return labels;
}

// A training checkpoint's entries for G's weight average (--ema): "ema_g.shadow.<G parameter>", "ema_g.updates".
constexpr const char* ema_prefix = "ema_g.";
template <class D>
bool has_ema(const nn::NamedTensors<float, D>& state) {
    return std::any_of(state.begin(), state.end(), [](const auto& entry) { return entry.first.rfind(ema_prefix, 0) == 0; });
}

template <class D>
void train(const GanOptions& opt) {
    const auto& o = opt.common;
    auto train_set = data::Mnist::load(o.data, data::Split::train);
    auto test_set = data::Mnist::load(o.data, data::Split::test);
    auto scorer = examples::load_scoring_classifier(opt.classifier);
    Tensor<float> real_features;
    if (scorer) real_features = scorer->features(examples::first_images<float, Cpu>(test_set, opt.metric_samples,
                                                                                    data::PixelScale::symmetric));

    Generator rng(o.seed);
    const models::GanConfig config = config_of(opt);
    models::Gan<float, D> gan(config, rng);
    data::DataLoader<float, D> loader(
        train_set,
        examples::this_ranks_rows({.batch_size = o.batch, .drop_last = true, .scale = data::PixelScale::symmetric}),
        Generator(o.seed + 1));
    // Fixed noise: the per-epoch grids show the same 64 latents evolving; a conditional run's grid
    // is 10 x 10, row k ten samples of digit k.
    const bool conditional = config.classes > 0;
    Generator grid_rng(o.seed + 2);
    auto fixed_noise = Tensor<float, D>::normal({conditional ? 100 : 64, config.latent}, grid_rng);
    const std::vector<int> grid_labels = conditional ? digit_rows(100, 10) : std::vector<int>{};

    examples::LoopSpec spec{"gan", config_text(config), {"d_loss", "g_loss", "d_real", "d_fake"},
                            scorer ? std::vector<std::string>{"frechet", "score"} : std::vector<std::string>{}};
    examples::LoopHooks<float, D> hooks;
    // --ema: an average of G's weights, updated after every step; the grids, generator.safetensors
    // and the metrics use it, and the checkpoint carries it.
    std::optional<optim::Ema<float, D>> ema;
    if (opt.ema > 0) ema.emplace(gan.generator().named_parameters(), optim::EmaOptions{.decay = opt.ema});
    hooks.state = [&] {
        auto all = gan.state();
        if (ema) models::append_prefixed(all, ema_prefix, ema->state());
        return all;
    };
    hooks.load_state = [&](const auto& saved) {
        AIGC_CHECK(has_ema(saved) == ema.has_value(), "--resume: the checkpoint was trained ",
                   ema ? "without --ema; resume it without --ema, or start a new run with it"
                       : "with --ema; resume it with the same --ema");
        if (ema) ema->load_state(models::take_prefix(ema_prefix, saved));
        gan.load_state(models::select_unprefixed(saved, ema_prefix));
    };
    hooks.step = [&](const data::Batch<float, D>& batch) {
        auto l = gan.train_step(batch.images, conditional ? batch.labels : std::vector<int>{}, rng);
        if (ema) ema->update();
        return std::vector<double>{l.discriminator, l.generator, l.real_score, l.fake_score};
    };
    hooks.parameters = [&] {
        examples::NamedParameters<float, D> all;
        for (auto& [name, p] : gan.generator().named_parameters()) all.emplace_back("generator." + name, p);
        for (auto& [name, p] : gan.discriminator().named_parameters()) all.emplace_back("discriminator." + name, p);
        return all;
    };
    // D's and G's optimizers step apart: the D step's backward reaches D alone, the G step's G alone.
    hooks.gradient_groups = [&] {
        return std::vector{gan.discriminator().named_parameters(), gan.generator().named_parameters()};
    };
    hooks.epoch_end = [&](std::int64_t) {
        std::optional<typename optim::Ema<float, D>::Applied> averaged;  // G holds the average in here
        if (ema) averaged.emplace(ema->apply());
        examples::EpochReport report{
            {}, io::make_image_grid(gan.generate(fixed_noise, grid_labels), {.columns = conditional ? 10 : 8})};
        io::save_safetensors(fs::path(o.out) / "generator.safetensors", gan.generator_state());
        if (!scorer) return report;
        // The same noise every epoch, from a generator no checkpoint needs: the metrics of a resumed
        // run equal an uninterrupted run's, and epochs differ by the model alone.
        Generator metric_rng(o.seed + 3);
        const index_t count = real_features.shape()[0];
        auto fake = gan.sample(count, metric_rng, conditional ? digit_rows(count, 1) : std::vector<int>{})
                        .template to<Cpu>();
        report.metrics = {models::frechet_distance(scorer->features(fake), real_features),
                          models::inception_score(scorer->probabilities(fake))};
        return report;
    };
    examples::train_epochs(o, spec, loader, rng, hooks);
    if (examples::ranks().is_root()) std::cout << "samples: " << (fs::path(o.out) / "samples.png").string() << "\n";
}

// The label classes of the generator in a checkpoint or generator.safetensors: its first layer
// takes the noise plus one column per class.
static index_t generator_classes(const std::string& path) {
    const auto header = io::read_safetensors_header(path);
    for (const char* name : {"0.weight", "generator.0.weight"})
        if (const auto* entry = header.find(name); entry && entry->shape.size() == 2)
            return std::max<index_t>(0, entry->shape[1] - models::GanConfig{}.latent);
    return 0;  // no generator in there: loading names what is missing
}

template <class D>
void sample(const GanOptions& opt) {
    Generator rng(opt.common.seed);
    AIGC_CHECK(!opt.checkpoint.empty(), "gan_mnist sample: --checkpoint is required");
    models::GanConfig config;
    config.classes = generator_classes(opt.checkpoint);
    AIGC_CHECK(opt.label < 0 || config.classes > 0, "gan_mnist sample: --label needs a conditional generator (trained "
               "with --conditional); ", opt.checkpoint, " is not one");
    AIGC_CHECK(opt.label < config.classes, "gan_mnist sample: --label ", opt.label, " is not a class of ",
               opt.checkpoint, " (0 to ", config.classes - 1, ")");
    models::Gan<float, D> gan(config, rng);
    // Either a full training checkpoint or the generator alone.
    auto meta = io::read_safetensors_metadata(opt.checkpoint);
    if (meta.contains("aigc.kind")) {
        auto state = models::load_checkpoint<float, D>(opt.checkpoint, "gan").second;
        // Trained with --ema: the average is the generator to sample from. Only G is read: D's
        // layout depends on the training options (--spectral-norm), sampling does not.
        if (has_ema(state)) gan.load_generator_state(models::take_prefix(std::string(ema_prefix) + "shadow.", state));
        else gan.load_generator_state(models::take_prefix("generator.", state));
    } else {
        io::load_into(opt.checkpoint, gan.generator_state(), {.require_finite = true});
    }
    // In chunks, straight into the file: memory stays the same for --n 100 and --n 1000000. The
    // noise is drawn chunk after chunk from one generator, as one draw of all n would be.
    constexpr index_t chunk = 1000;
    constexpr index_t grid_limit = 10000;  // a 100 x 100 grid; more is not a picture anyone reads
    const index_t grid_count = std::min(opt.n, grid_limit);
    std::optional<io::ImageGrid> grid;
    const index_t columns = opt.n <= 100 ? 10 : 100;
    if (!opt.grid.empty()) grid.emplace(grid_count, io::GridOptions{.columns = columns});
    data::IdxImageWriter idx(opt.sample_out, opt.n, 28, 28);
    for (index_t done = 0; done < opt.n; done += chunk) {
        const index_t m = std::min(chunk, opt.n - done);
        // Conditional: --label K, or a class grid: each row of the grid one digit, 0-9 in turn.
        std::vector<int> labels;
        if (config.classes > 0)
            for (index_t i = done; i < done + m; ++i)
                labels.push_back(opt.label >= 0 ? opt.label : static_cast<int>((i / columns) % 10));
        auto images = gan.sample(m, rng, labels).template to<Cpu>();
        idx.append(data::to_pixels(images, data::PixelScale::symmetric));
        if (grid && grid->added() < grid_count) {
            const index_t k = std::min(m, grid_count - grid->added());
            std::vector<float> first = images.to_vector();
            first.resize(static_cast<std::size_t>(k * 784));
            grid->add(Tensor<float>::from_vector({k, 784}, first));
        }
    }
    idx.commit();
    std::cout << "wrote " << opt.n << " images to " << opt.sample_out << "\n";
    if (grid) {
        io::write_png(opt.grid, grid->image());
        std::cout << "grid: " << opt.grid
                  << (grid_count < opt.n ? " (the first " + std::to_string(grid_count) + " images)" : std::string()) << "\n";
    }
}
