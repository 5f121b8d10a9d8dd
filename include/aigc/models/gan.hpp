#pragma once
// The seed article's MLP GAN with its bugs fixed:
//   G: latent-256-512-1024-784, LeakyReLU(0.2), Tanh out (images in [-1, 1])
//   D: 784-1024-512-256-1, LeakyReLU(0.2) + Dropout(0.3), Sigmoid out
// D is trained through the logits (bce_with_logits), which is the sigmoid + BCE of the article
// without its overflow at saturated outputs. The D step sees detached fakes; the G step
// back-propagates through D into G with D's parameters frozen (their gradients are never used).
// Parameter names equal PyTorch's nn.Sequential: generator.0.weight, ..., discriminator.9.bias.
//
// With `classes` > 0 the GAN is conditional (Mirza & Osindero 2014): the label, one-hot, is
// concatenated to G's noise and to D's image, and the fakes of a step take the real batch's labels.
// Concatenation rather than a projection discriminator: it changes the first layer of each network
// only, so every loss and penalty below works unchanged, and on 10 classes it is enough.
//
// GanConfig also chooses among the usual GAN objectives (GanLoss), a WGAN-GP gradient penalty,
// an R1 penalty on real images, spectral normalisation of every D layer, several D steps per G
// step and separate learning rates (TTUR). The penalties are gradients of D by its input, built
// with grad(..., {.create_graph = true}), so D's step differentiates through them.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../autograd/autograd.hpp"
#include "../nn/nn.hpp"
#include "../optim/optim.hpp"
#include "named_state.hpp"

namespace aigc::models {

enum class GanLoss {
    non_saturating,  // D: BCE(D(x), 1) + BCE(D(G(z)), 0); G: BCE(D(G(z)), 1) (the seed's)
    hinge,           // D: E relu(1 - D(x)) + E relu(1 + D(G(z))); G: -E D(G(z))
    wgan_gp,         // D: E D(G(z)) - E D(x) + gp_weight E (|grad D(x_hat)| - 1)^2; G: -E D(G(z))
    least_squares,   // D: E (D(x) - 1)^2 / 2 + E D(G(z))^2 / 2; G: E (D(G(z)) - 1)^2 / 2
};

// "ns", "hinge", "wgan-gp", "lsgan": the trainers' --loss names.
inline const char* gan_loss_name(GanLoss loss) {
    switch (loss) {
        case GanLoss::non_saturating: return "ns";
        case GanLoss::hinge: return "hinge";
        case GanLoss::wgan_gp: return "wgan-gp";
        case GanLoss::least_squares: return "lsgan";
    }
    return "?";
}
inline GanLoss gan_loss_from_name(const std::string& name) {
    for (GanLoss loss : {GanLoss::non_saturating, GanLoss::hinge, GanLoss::wgan_gp, GanLoss::least_squares})
        if (name == gan_loss_name(loss)) return loss;
    fail(aigc::detail::concat("Gan: unknown loss '", name, "' (expected ns, hinge, wgan-gp or lsgan)"));
}

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
    GanLoss loss = GanLoss::non_saturating;
    double gp_weight = 10.0;     // wgan_gp: the penalty's weight (lambda in Gulrajani et al.)
    index_t n_critic = 1;        // D steps per G step
    double r1 = 0.0;             // gamma of the R1 penalty gamma/2 E |grad D(x)|^2 on real x; 0: none
    bool spectral_norm = false;  // every D layer spectrally normalised (nn::SpectralNorm)
    double lr_g = 0.0, lr_d = 0.0;  // each optimizer's learning rate; 0: lr (TTUR sets them apart)
    index_t classes = 0;            // > 0: conditional on a label in [0, classes)
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
          opt_g_(generator_->parameters(),
                 {.lr = rate(config.lr_g, config.lr), .beta1 = config.beta1, .beta2 = config.beta2}),
          opt_d_(discriminator_->parameters(),
                 {.lr = rate(config.lr_d, config.lr), .beta1 = config.beta1, .beta2 = config.beta2}) {}

    struct StepLosses {
        double discriminator;  // D's loss (GanLoss) with its penalties
        double generator;      // G's loss at its last step (with n_critic > 1, not every call steps G)
        double real_score;     // mean D(x): through a sigmoid for the non-saturating loss, else raw
        double fake_score;     // the same of D(G(z)), before the D update
    };

    // One D step on a batch of real images [batch, image] in [-1, 1], and a G step on every
    // n_critic-th call (the first included).
    StepLosses train_step(const Tn& real_images, Generator& gen) { return train_step(real_images, {}, gen); }
    // The conditional form: labels [batch] of the real images (also the fakes' labels).
    StepLosses train_step(const Tn& real_images, const std::vector<int>& labels, Generator& gen) {
        const Shape& s = real_images.shape();
        AIGC_CHECK(s.rank() == 2 && s[1] == config_.image, "gan.train_step: images must be [batch, ", config_.image,
                   "], given ", s);
        index_t batch = s[0];
        AIGC_CHECK(batch > 0, "gan.train_step: empty batch");
        const Tn condition = condition_of("gan.train_step", labels, batch);
        if (!ones_.defined() || ones_.shape()[0] != batch) {
            ones_ = Tn::ones(Shape{batch, 1});
            real_then_fake_ = Tn::zeros(Shape{2 * batch, 1});  // targets: batch ones, then batch zeros
            Kernels<D>::fill(batch, T(1), real_then_fake_.data());
        }
        generator_->train();
        discriminator_->train();
        V fake = generator_->forward(conditioned(V(Tn::normal(Shape{batch, config_.latent}, gen)), condition));

        // D step on real and detached fake images stacked into one batch [2 batch, image]: D's
        // weights are read once per layer instead of twice, and each weight gradient is one GEMM.
        // A mean over each half is twice the mean over the stacked batch, so the losses and their
        // gradients are those of the two separate batches.
        index_t half = real_images.numel();
        Tn stacked(Shape{2 * batch, config_.image});
        Kernels<D>::copy(half, real_images.data(), stacked.data());
        Kernels<D>::copy(half, fake.value().data(), stacked.data() + half);
        if (condition.defined()) {  // [image, label] rows; the fake rows have the real rows' labels
            V labels_twice = aigc::concat({V(condition), V(condition)}, 0);
            stacked = aigc::concat({V(stacked), labels_twice}).value();
        }
        V input(stacked, config_.r1 > 0);  // R1 differentiates D's real logits by their images
        V logits = [&] {  // [2 batch, 1]: real rows, then fake rows
            // D's dropout masks are those of a batch of 2 batch rows: under data parallelism a rank
            // takes its real rows and its fake rows of them (SampleRows::stacked).
            const auto& rows = gen.sample_rows();
            SampleRowsScope stacked_rows(gen, rows ? std::optional(rows->stacked(2)) : std::nullopt);
            return discriminator_->forward(input);
        }();
        V loss_d = discriminator_loss(logits, batch);
        if (config_.loss == GanLoss::wgan_gp)
            loss_d = loss_d + gradient_penalty(real_images, fake.value(), condition, gen);
        if (config_.r1 > 0) loss_d = loss_d + r1_penalty(logits, input, batch);
        opt_d_.zero_grad(true);  // set to none: backward writes the gradients, no zero fill
        loss_d.backward();
        opt_d_.step();

        if (critic_phase_ == 0) {
            discriminator_->set_requires_grad(false);
            V loss_g = generator_loss(discriminator_->forward(conditioned(fake, condition)));
            opt_g_.zero_grad(true);
            loss_g.backward();
            opt_g_.step();
            discriminator_->set_requires_grad(true);
            last_generator_loss_ = loss_g.item();
        }
        critic_phase_ = (critic_phase_ + 1) % config_.n_critic;

        std::vector<T> scores = logits.value().to_vector();
        return {loss_d.item(), last_generator_loss_, mean_score(scores, 0, batch), mean_score(scores, batch, 2 * batch)};
    }

    // n images [n, image] in [-1, 1] from fresh noise, evaluation mode, no graph.
    // Unconditional: no labels. Conditional: one label per image (labels.size() == n).
    Tn sample(index_t n, Generator& gen, const std::vector<int>& labels = {}) {
        return generate(Tn::normal(Shape{n, config_.latent}, gen), labels);
    }
    Tn generate(const Tn& noise, const std::vector<int>& labels = {}) {
        NoGrad no_grad;
        const Tn condition = condition_of("gan.generate", labels, noise.shape()[0]);
        generator_->eval();
        Tn images = generator_->forward(conditioned(V(noise), condition)).value();
        generator_->train();
        return images;
    }

    // Everything a resumed run needs, PyTorch-style names: generator.*, discriminator.*, opt_g.*, opt_d.*.
    // With n_critic > 1 also "schedule.critic_phase" (D steps since the last G step) and
    // "schedule.generator_loss" (that step's loss, reported until the next): a resumed run goes on
    // exactly where it stopped.
    NamedTensors<T, D> state() const {
        NamedTensors<T, D> all;
        append_prefixed(all, "generator.", generator_->state_dict());
        append_prefixed(all, "discriminator.", discriminator_->state_dict());
        append_prefixed(all, "opt_g.", opt_g_.state());
        append_prefixed(all, "opt_d.", opt_d_.state());
        if (config_.n_critic > 1) {
            all.emplace_back("schedule.critic_phase", Tn::full(Shape{}, static_cast<T>(critic_phase_)));
            all.emplace_back("schedule.generator_loss", Tn::full(Shape{}, static_cast<T>(last_generator_loss_)));
        }
        return all;
    }
    // All or nothing: a state that does not fit changes nothing (see load_or_keep).
    void load_state(const NamedTensors<T, D>& all) {
        load_or_keep(state(), all, [this](const NamedTensors<T, D>& s) {
            generator_->load_state_dict(take_prefix("generator.", s));
            discriminator_->load_state_dict(take_prefix("discriminator.", s));
            opt_g_.load_state(take_prefix("opt_g.", s));
            opt_d_.load_state(take_prefix("opt_d.", s));
            if (config_.n_critic > 1) {
                critic_phase_ = loaded_phase(s);
                last_generator_loss_ = static_cast<double>(scalar_entry(s, "schedule.generator_loss"));
            }
        });
    }
    // The generator alone (what `sample` needs and what PyTorch's G.load_state_dict takes).
    NamedTensors<T, D> generator_state() const { return generator_->state_dict(); }
    void load_generator_state(const NamedTensors<T, D>& s) { generator_->load_state_dict(s); }

    nn::Sequential<T, D>& generator() { return *generator_; }
    nn::Sequential<T, D>& discriminator() { return *discriminator_; }
    const GanConfig& config() const { return config_; }

private:
    static double rate(double specific, double shared) { return specific > 0 ? specific : shared; }

    // The one-hot labels of a conditional GAN (an undefined tensor for an unconditional one).
    Tn condition_of(const char* op, const std::vector<int>& labels, index_t batch) const {
        if (config_.classes == 0) {
            AIGC_CHECK(labels.empty(), op, ": this GAN is not conditional, but ", labels.size(), " labels were given");
            return Tn();
        }
        AIGC_CHECK(static_cast<index_t>(labels.size()) == batch, op, ": a conditional GAN needs one label per image: ",
                   labels.size(), " labels for ", batch, " images");
        return one_hot<T, D>(labels, config_.classes);
    }
    static V conditioned(const V& x, const Tn& condition) {
        return condition.defined() ? aigc::concat({x, V(condition)}) : x;
    }

    V discriminator_loss(const V& logits, index_t batch) const {
        V real = slice(logits, 0, 0, batch), fake = slice(logits, 0, batch, batch);
        switch (config_.loss) {
            case GanLoss::non_saturating: return bce_with_logits(logits, real_then_fake_) * T(2);
            case GanLoss::hinge: return mean(relu(T(1) - real)) + mean(relu(T(1) + fake));
            case GanLoss::wgan_gp: return mean(fake) - mean(real);
            case GanLoss::least_squares: return (mean(square(real - T(1))) + mean(square(fake))) * T(0.5);
        }
        fail("Gan: unknown loss");
    }
    V generator_loss(const V& fake_logits) const {
        switch (config_.loss) {
            case GanLoss::non_saturating: return bce_with_logits(fake_logits, ones_);
            case GanLoss::hinge:
            case GanLoss::wgan_gp: return -mean(fake_logits);
            case GanLoss::least_squares: return mean(square(fake_logits - T(1))) * T(0.5);
        }
        fail("Gan: unknown loss");
    }

    // gp_weight E (|grad D(x_hat)|_2 - 1)^2 at x_hat = e x + (1 - e) G(z), e ~ U(0, 1] per sample.
    // (Conditional: the label columns join x_hat as constants; the gradient is by the image.)
    V gradient_penalty(const Tn& real, const Tn& fake, const Tn& condition, Generator& gen) {
        index_t batch = real.shape()[0];
        V e(Tn::uniform(Shape{batch, 1}, gen));
        V between((e * V(real) + (T(1) - e) * V(fake)).value(), true);
        V score = discriminator_->forward(conditioned(between, condition));
        V slope = grad(sum(score), {between}, {.create_graph = true})[0];
        // The epsilon keeps sqrt's derivative finite where a gradient vanishes.
        V norm = sqrt(sum(square(slope), 1) + T(1e-12));
        return mean(square(norm - T(1))) * static_cast<T>(config_.gp_weight);
    }
    // gamma/2 E |grad D(x)|^2 over the real rows of the stacked input (D treats rows apart, so
    // the real logits' gradient lives in the real rows alone).
    V r1_penalty(const V& logits, const V& input, index_t batch) const {
        V slope = grad(sum(slice(logits, 0, 0, batch)), {input}, {.create_graph = true, .retain_graph = true})[0];
        if (config_.classes > 0) slope = slice(slope, 1, 0, config_.image);  // by the image, not the label
        return sum(square(slope)) * static_cast<T>(config_.r1 / 2 / static_cast<double>(batch));
    }

    static T scalar_entry(const NamedTensors<T, D>& s, const std::string& name) {
        for (const auto& [entry, t] : s)
            if (entry == name) return t.to_vector().at(0);
        fail(aigc::detail::concat("Gan.load_state: ", name, " is missing"));
    }
    index_t loaded_phase(const NamedTensors<T, D>& s) const {
        double phase = static_cast<double>(scalar_entry(s, "schedule.critic_phase"));
        AIGC_CHECK(phase >= 0 && phase < static_cast<double>(config_.n_critic) && phase == std::floor(phase),
                   "Gan.load_state: schedule.critic_phase ", phase, " is not a step in [0, ", config_.n_critic, ")");
        return static_cast<index_t>(phase);
    }

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
        AIGC_CHECK(c.n_critic >= 1, "Gan: n_critic must be at least 1, given ", c.n_critic);
        AIGC_CHECK(c.gp_weight >= 0.0 && std::isfinite(c.gp_weight), "Gan: gp_weight must be finite and >= 0, given ",
                   c.gp_weight);
        AIGC_CHECK(c.r1 >= 0.0 && std::isfinite(c.r1), "Gan: r1 must be finite and >= 0, given ", c.r1);
        AIGC_CHECK(c.classes >= 0, "Gan: classes must be >= 0, given ", c.classes);
        return c;
    }
    static std::shared_ptr<nn::Sequential<T, D>> make_generator(const GanConfig& c, Generator& gen) {
        auto seq = std::make_shared<nn::Sequential<T, D>>();
        index_t in = c.latent + c.classes;
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
        index_t in = c.image + c.classes;
        auto layer = [&](index_t from, index_t to) -> std::shared_ptr<nn::Module<T, D>> {
            auto linear = std::make_shared<nn::Linear<T, D>>(from, to, gen);
            if (c.spectral_norm) return nn::spectral_norm(linear, gen);
            return linear;
        };
        for (index_t width : c.discriminator_hidden) {
            seq->push_back(layer(in, width));
            seq->push_back(std::make_shared<nn::LeakyReLU<T, D>>(c.slope));
            seq->push_back(std::make_shared<nn::Dropout<T, D>>(c.dropout, gen));
            in = width;
        }
        seq->push_back(layer(in, 1));
        return seq;
    }

    // Mean of D's outputs [begin..end), as probabilities for the non-saturating loss (the others'
    // outputs are no probabilities), computed on the host (a few hundred values).
    double mean_score(const std::vector<T>& logits, index_t begin, index_t end) const {
        double total = 0;
        for (index_t i = begin; i < end; ++i) {
            double logit = static_cast<double>(logits[std::size_t(i)]);
            total += config_.loss == GanLoss::non_saturating ? fn::Sigmoid{}(logit) : logit;
        }
        return total / static_cast<double>(end - begin);
    }

    GanConfig config_;
    std::shared_ptr<nn::Sequential<T, D>> generator_;
    std::shared_ptr<nn::Sequential<T, D>> discriminator_;
    optim::Adam<T, D> opt_g_;
    optim::Adam<T, D> opt_d_;
    Tn ones_, real_then_fake_;
    index_t critic_phase_ = 0;  // D steps since the last G step (mod n_critic)
    double last_generator_loss_ = 0.0;
};

}  // namespace aigc::models
