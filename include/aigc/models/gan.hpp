#pragma once
// The seed article's MLP GAN with its bugs fixed:
//   G: latent-256-512-1024-784, LeakyReLU(0.2), Tanh out (images in [-1, 1])
//   D: 784-1024-512-256-1, LeakyReLU(0.2) + Dropout(0.3), Sigmoid out
// D is trained through the logits (bce_with_logits), which is the sigmoid + BCE of the article
// without its overflow at saturated outputs. The D step sees detached fakes; the G step
// back-propagates through D into G with D's parameters frozen (their gradients are never used).
// Parameter names equal PyTorch's nn.Sequential: generator.0.weight, ..., discriminator.9.bias.
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "../autograd/autograd.hpp"
#include "../nn/nn.hpp"
#include "../optim/optim.hpp"
#include "named_state.hpp"

namespace aigc::models {

struct GanConfig {
    index_t latent = 100;
    index_t image = 784;
    std::vector<index_t> generator_hidden = {256, 512, 1024};
    std::vector<index_t> discriminator_hidden = {1024, 512, 256};
    double slope = 0.2;
    double dropout = 0.3;
    double lr = 2e-4;
    double beta1 = 0.5;  // DCGAN's choice; PyTorch's default 0.9 makes this GAN oscillate
    double beta2 = 0.999;
};

template <class T = float, class D = Cpu>
class Gan {
public:
    using V = Var<T, D>;
    using Tn = Tensor<T, D>;

    Gan(const GanConfig& config, Generator& gen)
        : config_(validated(config)),
          generator_(make_generator(config, gen)),
          discriminator_(make_discriminator(config, gen)),
          opt_g_(generator_->parameters(), {.lr = config.lr, .beta1 = config.beta1, .beta2 = config.beta2}),
          opt_d_(discriminator_->parameters(), {.lr = config.lr, .beta1 = config.beta1, .beta2 = config.beta2}) {}

    struct StepLosses {
        double discriminator;  // BCE(D(x), 1) + BCE(D(G(z)), 0)
        double generator;      // BCE(D(G(z)), 1): the non-saturating loss
        double real_score;     // mean sigmoid(D(x))
        double fake_score;     // mean sigmoid(D(G(z))) before the D update
    };

    // One D step and one G step on a batch of real images [batch, image] in [-1, 1].
    StepLosses train_step(const Tn& real_images, Generator& gen) {
        const Shape& s = real_images.shape();
        AIGC_CHECK(s.rank() == 2 && s[1] == config_.image, "gan.train_step: images must be [batch, ", config_.image,
                   "], given ", s);
        index_t batch = s[0];
        AIGC_CHECK(batch > 0, "gan.train_step: empty batch");
        if (!ones_.defined() || ones_.shape()[0] != batch) {
            ones_ = Tn::ones(Shape{batch, 1});
            real_then_fake_ = Tn::zeros(Shape{2 * batch, 1});  // targets: batch ones, then batch zeros
            Kernels<D>::fill(batch, T(1), real_then_fake_.data());
        }
        generator_->train();
        discriminator_->train();
        V fake = generator_->forward(V(Tn::normal(Shape{batch, config_.latent}, gen)));

        // D step on real and detached fake images stacked into one batch [2 batch, image]: D's
        // weights are read once per layer instead of twice, and each weight gradient is one GEMM.
        // BCE(D(x), 1) + BCE(D(G(z)), 0), each a mean over `batch`, is twice the mean over the
        // stacked batch, so the loss and its gradients are those of the two separate batches.
        index_t half = real_images.numel();
        Tn stacked(Shape{2 * batch, config_.image});
        Kernels<D>::copy(half, real_images.data(), stacked.data());
        Kernels<D>::copy(half, fake.value().data(), stacked.data() + half);
        V logits = [&] {  // [2 batch, 1]: real rows, then fake rows
            // D's dropout masks are those of a batch of 2 batch rows: under data parallelism a rank
            // takes its real rows and its fake rows of them (SampleRows::stacked).
            const auto& rows = gen.sample_rows();
            SampleRowsScope stacked_rows(gen, rows ? std::optional(rows->stacked(2)) : std::nullopt);
            return discriminator_->forward(V(stacked));
        }();
        V loss_d = bce_with_logits(logits, real_then_fake_) * T(2);
        opt_d_.zero_grad(true);  // set to none: backward writes the gradients, no zero fill
        loss_d.backward();
        opt_d_.step();

        discriminator_->set_requires_grad(false);
        V loss_g = bce_with_logits(discriminator_->forward(fake), ones_);
        opt_g_.zero_grad(true);
        loss_g.backward();
        opt_g_.step();
        discriminator_->set_requires_grad(true);

        std::vector<T> scores = logits.value().to_vector();
        return {loss_d.item(), loss_g.item(), mean_sigmoid(scores, 0, batch), mean_sigmoid(scores, batch, 2 * batch)};
    }

    // n images [n, image] in [-1, 1] from fresh noise, evaluation mode, no graph.
    Tn sample(index_t n, Generator& gen) {
        NoGrad no_grad;
        generator_->eval();
        Tn images = generator_->forward(V(Tn::normal(Shape{n, config_.latent}, gen))).value();
        generator_->train();
        return images;
    }
    Tn generate(const Tn& noise) {
        NoGrad no_grad;
        generator_->eval();
        Tn images = generator_->forward(V(noise)).value();
        generator_->train();
        return images;
    }

    // Everything a resumed run needs, PyTorch-style names: generator.*, discriminator.*, opt_g.*, opt_d.*.
    NamedTensors<T, D> state() const {
        NamedTensors<T, D> all;
        append_prefixed(all, "generator.", generator_->state_dict());
        append_prefixed(all, "discriminator.", discriminator_->state_dict());
        append_prefixed(all, "opt_g.", opt_g_.state());
        append_prefixed(all, "opt_d.", opt_d_.state());
        return all;
    }
    // All or nothing: a state that does not fit changes nothing (see load_or_keep).
    void load_state(const NamedTensors<T, D>& all) {
        load_or_keep(state(), all, [this](const NamedTensors<T, D>& s) {
            generator_->load_state_dict(take_prefix("generator.", s));
            discriminator_->load_state_dict(take_prefix("discriminator.", s));
            opt_g_.load_state(take_prefix("opt_g.", s));
            opt_d_.load_state(take_prefix("opt_d.", s));
        });
    }
    // The generator alone (what `sample` needs and what PyTorch's G.load_state_dict takes).
    NamedTensors<T, D> generator_state() const { return generator_->state_dict(); }
    void load_generator_state(const NamedTensors<T, D>& s) { generator_->load_state_dict(s); }

    nn::Sequential<T, D>& generator() { return *generator_; }
    nn::Sequential<T, D>& discriminator() { return *discriminator_; }
    const GanConfig& config() const { return config_; }

private:
    // Checked before any layer is built, so the error names the config field rather than a Linear.
    static const GanConfig& validated(const GanConfig& c) {
        AIGC_CHECK(c.latent > 0 && c.image > 0, "Gan: latent and image sizes must be positive, given latent ", c.latent,
                   ", image ", c.image);
        for (std::size_t i = 0; i < c.generator_hidden.size(); ++i)
            AIGC_CHECK(c.generator_hidden[i] > 0, "Gan: generator_hidden[", i, "] must be positive, given ",
                       c.generator_hidden[i]);
        for (std::size_t i = 0; i < c.discriminator_hidden.size(); ++i)
            AIGC_CHECK(c.discriminator_hidden[i] > 0, "Gan: discriminator_hidden[", i, "] must be positive, given ",
                       c.discriminator_hidden[i]);
        AIGC_CHECK(c.slope >= 0.0 && std::isfinite(c.slope), "Gan: LeakyReLU slope must be finite and >= 0, given ",
                   c.slope);
        return c;
    }
    static std::shared_ptr<nn::Sequential<T, D>> make_generator(const GanConfig& c, Generator& gen) {
        auto seq = std::make_shared<nn::Sequential<T, D>>();
        index_t in = c.latent;
        for (index_t width : c.generator_hidden) {
            seq->push_back(std::make_shared<nn::Linear<T, D>>(in, width, gen));
            seq->push_back(std::make_shared<nn::LeakyReLU<T, D>>(c.slope));
            in = width;
        }
        seq->push_back(std::make_shared<nn::Linear<T, D>>(in, c.image, gen));
        seq->push_back(std::make_shared<nn::Tanh<T, D>>());
        return seq;
    }
    // Ends at the logit: the article's final Sigmoid (index 3k+1) has no parameters, so the names
    // of this Sequential equal the PyTorch model's.
    std::shared_ptr<nn::Sequential<T, D>> make_discriminator(const GanConfig& c, Generator& gen) {
        auto seq = std::make_shared<nn::Sequential<T, D>>();
        index_t in = c.image;
        for (index_t width : c.discriminator_hidden) {
            seq->push_back(std::make_shared<nn::Linear<T, D>>(in, width, gen));
            seq->push_back(std::make_shared<nn::LeakyReLU<T, D>>(c.slope));
            seq->push_back(std::make_shared<nn::Dropout<T, D>>(c.dropout, gen));
            in = width;
        }
        seq->push_back(std::make_shared<nn::Linear<T, D>>(in, 1, gen));
        return seq;
    }

    // Mean of sigmoid(logits[begin..end)), computed on the host (a few hundred values).
    static double mean_sigmoid(const std::vector<T>& logits, index_t begin, index_t end) {
        double total = 0;
        for (index_t i = begin; i < end; ++i) total += fn::Sigmoid{}(static_cast<double>(logits[std::size_t(i)]));
        return total / static_cast<double>(end - begin);
    }

    GanConfig config_;
    std::shared_ptr<nn::Sequential<T, D>> generator_;
    std::shared_ptr<nn::Sequential<T, D>> discriminator_;
    optim::Adam<T, D> opt_g_;
    optim::Adam<T, D> opt_d_;
    Tn ones_, real_then_fake_;
};

}  // namespace aigc::models
