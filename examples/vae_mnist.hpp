#pragma once
// The commands of vae_mnist, written once for any device D (Cpu, Cuda): vae_mnist.cpp parses the
// command line and calls them; vae_mnist_cuda.cu instantiates them for Cuda where nvcc exists.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

#include "common/cli.hpp"
#include "common/mnist_helpers.hpp"
#include "common/training.hpp"

namespace fs = std::filesystem;
using namespace aigc;

struct VaeOptions {
    examples::CommonOptions common{.out = "out/vae", .batch = 128};
    std::vector<index_t> hidden{400};
    index_t latent = 20;
    double beta = 1.0;
    double lr = models::VaeConfig{}.lr;
    std::int64_t kl_warmup = 0;
    double free_bits = 0;
    int iw_train = 1;
    bool binarize = false;
    std::string checkpoint;
    int iw_samples = 0;
    bool binarized = false;  // eval: on the test set binarised once with a fixed seed
    index_t n = 64;
    index_t from = 0, to = 1;  // interpolate: test image indices
    index_t steps = 10;        // interpolate: images between (and including) the two codes
    std::string strip = "interpolation.png";
};

static models::VaeConfig make_config(const VaeOptions& opt) {
    models::VaeConfig c;
    c.hidden = opt.hidden;
    c.latent = opt.latent;
    c.beta = opt.beta;
    c.lr = opt.lr;
    c.kl_warmup = opt.kl_warmup;
    c.free_bits = opt.free_bits;
    c.iw_train = opt.iw_train;
    return c;
}
// The layout a checkpoint must share with a --resume, eval or sample. The objective's settings
// (--beta, --kl-warmup, --free-bits, --iw-train) are not part of it: like --lr they may change
// on --resume, and eval and sample do not take them.
static std::string config_text(const models::VaeConfig& c) {
    std::ostringstream text;
    text << "vae input " << c.input << " hidden";
    for (auto h : c.hidden) text << " " << h;
    text << " latent " << c.latent;
    return text.str();
}

// The seed of eval --binarized's one binarisation of the test set: every run and every model sees
// the same binary images (the protocol of the IWAE paper, whose test set was binarised once).
constexpr std::uint64_t binarized_test_seed = 20160430;

// Mean per-example negative ELBO (and IW bound when k > 0) over the whole test set, in nats: on
// the grey levels as Bernoulli means, or (binarized) on one fixed binarisation.
template <class D>
std::pair<double, double> evaluate(models::Vae<float, D>& vae, const data::Mnist& test, int k, Generator& rng,
                                   bool binarized = false) {
    data::DataLoader<float, D> loader(test, {.batch_size = 500, .shuffle = false, .binarize = binarized},
                                      Generator(binarized ? binarized_test_seed : 0));
    double elbo = 0, iw = 0;
    for (const auto& batch : loader) {
        for (double v : vae.negative_elbo(batch.images, rng)) elbo += v;
        if (k > 0)
            for (double v : vae.negative_iw_bound(batch.images, k, rng)) iw += v;
    }
    return {elbo / double(test.size()), iw / double(test.size())};
}

template <class D>
void train(const VaeOptions& opt) {
    const auto& o = opt.common;
    auto train_set = data::Mnist::load(o.data, data::Split::train);
    auto test_set = data::Mnist::load(o.data, data::Split::test);
    Generator rng(o.seed);
    auto config = make_config(opt);
    models::VaeTrainer<float, D> trainer(config, rng);
    data::DataLoader<float, D> loader(train_set, examples::this_ranks_rows({.batch_size = o.batch, .binarize = opt.binarize}),
                                      Generator(o.seed + 1));
    Generator latent_rng(o.seed + 2);
    auto fixed_latents = Tensor<float, D>::normal({64, config.latent}, latent_rng);

    examples::LoopSpec spec{"vae", config_text(config), {"loss", "reconstruction", "kl"}, {"test_neg_elbo"}};
    examples::LoopHooks<float, D> hooks;
    hooks.state = [&] { return trainer.state(); };
    hooks.load_state = [&](const auto& saved) { trainer.load_state(saved); };
    hooks.step = [&](const data::Batch<float, D>& batch) {
        auto l = trainer.train_step(batch.images, rng);
        return std::vector<double>{l.loss, l.reconstruction, l.kl};
    };
    hooks.parameters = [&] { return trainer.model().named_parameters(); };
    hooks.gradient_groups = [&] {
        return std::vector<examples::NamedParameters<float, D>>{trainer.model().named_parameters()};
    };
    hooks.epoch_end = [&](std::int64_t) {
        auto& vae = trainer.model();
        vae.eval();
        examples::EpochReport report;
        report.samples = io::make_image_grid(vae.decode_probabilities(fixed_latents), {.scale = data::PixelScale::unit});
        io::save_safetensors(fs::path(o.out) / "vae.safetensors", vae.state_dict());
        // The same noise every epoch, from a generator no checkpoint needs: the metrics of a resumed
        // run equal an uninterrupted run's, and epochs differ by the model alone.
        Generator eval_rng(o.seed + 3);
        report.metrics = {evaluate(vae, test_set, 0, eval_rng).first};
        vae.train();
        return report;
    };
    examples::train_epochs(o, spec, loader, rng, hooks);
    if (examples::ranks().is_root()) std::cout << "samples: " << (fs::path(o.out) / "samples.png").string() << "\n";
}

// A VAE whose weights come from a training checkpoint or a bare model file.
template <class D>
models::VaeTrainer<float, D> load_trained(const VaeOptions& opt, Generator& rng) {
    AIGC_CHECK(!opt.checkpoint.empty(), "vae_mnist: --checkpoint is required");
    auto config = make_config(opt);
    models::VaeTrainer<float, D> trainer(config, rng);
    auto meta = io::read_safetensors_metadata(opt.checkpoint);
    if (meta.contains("aigc.kind")) trainer.load_state(models::load_checkpoint<float, D>(opt.checkpoint, "vae", config_text(config)).second);
    else io::load_into(opt.checkpoint, trainer.model().state_dict(), {.require_finite = true});
    trainer.model().eval();
    return trainer;
}

template <class D>
void eval(const VaeOptions& opt) {
    Generator rng(opt.common.seed);
    auto trainer = load_trained<D>(opt, rng);
    auto test_set = data::Mnist::load(opt.common.data, data::Split::test);
    auto [elbo, iw] = evaluate(trainer.model(), test_set, opt.iw_samples, rng, opt.binarized);
    std::cout << "test negative ELBO: " << elbo << " nats per example (" << test_set.size() << " images"
              << (opt.binarized ? ", binarised once with seed " + std::to_string(binarized_test_seed) : "") << ")\n";
    if (opt.iw_samples > 0)
        std::cout << "test negative IW bound (k=" << opt.iw_samples << "): " << iw << " nats per example\n";
}

template <class D>
void sample(const VaeOptions& opt) {
    Generator rng(opt.common.seed);
    auto trainer = load_trained<D>(opt, rng);
    auto& vae = trainer.model();
    fs::create_directories(opt.common.out);
    // A square-ish grid, decoded in chunks: up to 10000 samples (a 100 x 100 grid) at flat memory.
    const auto columns = static_cast<index_t>(std::ceil(std::sqrt(double(opt.n))));
    io::ImageGrid samples(opt.n, {.columns = columns, .scale = data::PixelScale::unit});
    for (index_t done = 0; done < opt.n; done += 1000) samples.add(vae.sample(std::min<index_t>(1000, opt.n - done), rng));
    auto samples_path = fs::path(opt.common.out) / "vae_samples.png";
    io::write_png(samples_path, samples.image());
    std::cout << "samples: " << samples_path.string() << "\n";

    // Reconstructions: each test image next to its reconstruction, in pairs of columns.
    auto test_set = data::Mnist::load(opt.common.data, data::Split::test);
    auto originals = examples::first_images<float, D>(test_set, 32, data::PixelScale::unit);
    auto rebuilt = vae.reconstruct(originals);
    auto pairs = concat(std::vector<Var<float, D>>{Var<float, D>(originals), Var<float, D>(rebuilt)}).value();
    auto recon_path = fs::path(opt.common.out) / "vae_reconstructions.png";
    // Up to 32 pairs: a test set smaller than that gives fewer.
    io::write_image_grid(recon_path, pairs.reshape({2 * originals.shape()[0], 784}),
                         {.columns = 8, .scale = data::PixelScale::unit});
    std::cout << "reconstructions (original, reconstruction): " << recon_path.string() << "\n";

    if (opt.latent == 2) {  // decode a 20x20 grid over [-3, 3]^2
        const index_t side = 20;
        std::vector<float> z;
        for (index_t i = 0; i < side; ++i)
            for (index_t j = 0; j < side; ++j) {
                z.push_back(float(-3.0 + 6.0 * double(j) / double(side - 1)));
                z.push_back(float(3.0 - 6.0 * double(i) / double(side - 1)));
            }
        auto grid = vae.decode_probabilities(Tensor<float, D>::from_vector({side * side, 2}, z));
        auto traversal_path = fs::path(opt.common.out) / "vae_latent_traversal.png";
        io::write_image_grid(traversal_path, grid, {.columns = side, .padding = 0, .scale = data::PixelScale::unit});
        std::cout << "latent traversal: " << traversal_path.string() << "\n";
    }
}

// A strip from test image --from to test image --to: the two originals at the ends, between them
// the decoded points of the straight line between their codes (posterior means).
template <class D>
void interpolate(const VaeOptions& opt) {
    Generator rng(opt.common.seed);
    auto trainer = load_trained<D>(opt, rng);
    auto test_set = data::Mnist::load(opt.common.data, data::Split::test);
    for (index_t index : {opt.from, opt.to})
        AIGC_CHECK(index >= 0 && index < test_set.size(), "vae_mnist interpolate: test image ", index,
                   " does not exist (the test set has ", test_set.size(), ")");
    auto images = examples::first_images<float, D>(test_set, std::max(opt.from, opt.to) + 1, data::PixelScale::unit)
                      .template to<Cpu>()
                      .to_vector();
    std::vector<float> ends;
    for (index_t index : {opt.from, opt.to})
        ends.insert(ends.end(), images.begin() + index * 784, images.begin() + (index + 1) * 784);
    auto originals = Tensor<float, D>::from_vector({2, 784}, ends);
    std::vector<float> codes;
    {
        NoGrad no_grad;
        codes = trainer.model().encode(Var<float, D>(originals)).mu.value().to_vector();
    }
    const index_t latent = opt.latent;
    std::vector<float> line;
    for (index_t i = 0; i < opt.steps; ++i) {
        const float t = static_cast<float>(i) / static_cast<float>(opt.steps - 1);
        for (index_t k = 0; k < latent; ++k)
            line.push_back(codes[std::size_t(k)] + t * (codes[std::size_t(latent + k)] - codes[std::size_t(k)]));
    }
    auto decoded = trainer.model().decode_probabilities(Tensor<float, D>::from_vector({opt.steps, latent}, line));
    std::vector<float> strip = ends, middle = decoded.template to<Cpu>().to_vector();
    strip.insert(strip.begin() + 784, middle.begin(), middle.end());  // original, decoded..., original
    io::write_image_grid(opt.strip, Tensor<float>::from_vector({opt.steps + 2, 784}, strip),
                         {.columns = opt.steps + 2, .scale = data::PixelScale::unit});
    std::cout << "interpolation from test image " << opt.from << " (a " << int(test_set.label(opt.from)) << ") to "
              << opt.to << " (a " << int(test_set.label(opt.to)) << "): " << opt.strip << "\n";
}

