#pragma once
// Variational auto-encoder (Kingma & Welling) as in PyTorch's examples/vae:
//   encoder 784-400-(mu 20, logvar 20), decoder 20-400-784 with a Bernoulli (sigmoid) output.
// loss per example = BCE(sum over pixels) + beta * KL(q(z|x) || N(0, I)), computed from the
// decoder's logits (bce_with_logits) so saturated pixels never produce log(0).
// Names equal the PyTorch example: fc1, fc21, fc22, fc3, fc4. Deeper configurations (the seed's
// 2-D latent VAE) add fc1_2, fc1_3, ... after fc1 and fc3_2, ... after fc3.
//
// Training objectives (VaeConfig): KL warm-up (beta rises linearly over the first steps, Bowman et
// al. 2016), free bits (each latent dimension's batch-mean KL counts as at least that many nats,
// Kingma et al. 2016), and the importance-weighted bound with k samples (IWAE, Burda et al. 2016),
// whose log-mean-exp over samples is a differentiable logsumexp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../autograd/autograd.hpp"
#include "../nn/nn.hpp"
#include "../optim/optim.hpp"
#include "named_state.hpp"

namespace aigc::models {

struct VaeConfig {
    index_t input = 784;
    std::vector<index_t> hidden = {400};  // encoder widths; the decoder mirrors them
    index_t latent = 20;
    double beta = 1.0;
    double lr = 1e-3;
    std::int64_t kl_warmup = 0;  // steps over which the KL weight rises from beta/kl_warmup to beta; 0: none
    double free_bits = 0.0;      // nats per latent dimension below which its KL is not pushed down; 0: none
    int iw_train = 1;            // importance samples of the training bound: 1 is the ELBO, k > 1 the IWAE bound
};

template <class T = float, class D = Cpu>
class Vae : public nn::Module<T, D> {
public:
    using V = Var<T, D>;
    using Tn = Tensor<T, D>;

    Vae(const VaeConfig& config, Generator& gen) : config_(config) {
        AIGC_CHECK(!config.hidden.empty(), "Vae: needs at least one hidden layer");
        AIGC_CHECK(config.latent > 0 && config.input > 0, "Vae: input and latent sizes must be positive, given ",
                   config.input, " and ", config.latent);
        for (std::size_t i = 0; i < config.hidden.size(); ++i)
            AIGC_CHECK(config.hidden[i] > 0, "Vae: hidden[", i, "] must be positive, given ", config.hidden[i]);
        // beta weighs the KL term; a negative beta rewards moving away from the prior (no ELBO).
        AIGC_CHECK(config.beta >= 0.0 && std::isfinite(config.beta), "Vae: beta must be finite and >= 0, given ",
                   config.beta);
        AIGC_CHECK(config.kl_warmup >= 0, "Vae: kl_warmup must be >= 0 steps, given ", config.kl_warmup);
        AIGC_CHECK(config.free_bits >= 0.0 && std::isfinite(config.free_bits),
                   "Vae: free_bits must be finite and >= 0, given ", config.free_bits);
        AIGC_CHECK(config.iw_train >= 1, "Vae: iw_train must be at least 1 sample, given ", config.iw_train);
        index_t in = config.input;
        for (std::size_t i = 0; i < config.hidden.size(); ++i) {
            encoder_.push_back(add_linear(layer_name("fc1", i), in, config.hidden[i], gen));
            in = config.hidden[i];
        }
        mu_head_ = add_linear("fc21", in, config.latent, gen);
        logvar_head_ = add_linear("fc22", in, config.latent, gen);
        in = config.latent;
        for (std::size_t i = 0; i < config.hidden.size(); ++i) {
            index_t width = config.hidden[config.hidden.size() - 1 - i];
            decoder_.push_back(add_linear(layer_name("fc3", i), in, width, gen));
            in = width;
        }
        output_ = add_linear("fc4", in, config.input, gen);
    }

    struct Encoding {
        V mu, logvar;  // [batch, latent]
    };
    Encoding encode(const V& x) {
        V h = x;
        for (auto& layer : encoder_) h = relu(layer->forward(h));
        return {mu_head_->forward(h), logvar_head_->forward(h)};
    }
    // Bernoulli logits of every pixel [batch, input].
    V decode(const V& z) {
        V h = z;
        for (auto& layer : decoder_) h = relu(layer->forward(h));
        return output_->forward(h);
    }
    // z = mu + exp(logvar / 2) * eps, eps ~ N(0, I): the reparameterisation trick.
    V reparameterize(const Encoding& e, Generator& gen) {
        V eps(Tn::normal(e.mu.shape(), gen));
        return e.mu + exp(e.logvar * T(0.5)) * eps;
    }
    // Deterministic reconstruction logits (decodes the posterior mean).
    V forward(const V& x) override { return decode(encode(x).mu); }

    struct Loss {
        V total;               // what is minimised, per example (see loss())
        double reconstruction; // per example, nats
        double kl;             // per example, nats (the true KL, whatever free bits counted)
    };
    // x [batch, input] with pixels in [0, 1] (the Bernoulli means or binarised pixels); `step`
    // counts the optimizer steps before this one (KL warm-up). With iw_train = 1 the total is
    // (reconstruction + w KL') / batch, w = beta min(1, (step + 1) / kl_warmup) and KL' the KL with
    // free bits; with iw_train = k > 1 it is the negative IWAE bound with k samples, which already
    // weighs prior and posterior in each sample (no beta, no warm-up, no free bits).
    Loss loss(const Tn& x, Generator& gen, std::int64_t step = 0) {
        check_input("vae.loss", x);
        auto enc = encode(V(x));
        T batch = static_cast<T>(x.shape()[0]);
        if (config_.iw_train > 1) return iw_loss(x, enc, gen);
        V logits = decode(reparameterize(enc, gen));
        V reconstruction = bce_with_logits(logits, x, Reduction::sum);
        V kl = gaussian_kl(enc.mu, enc.logvar, Reduction::sum);
        V counted = kl;
        if (config_.free_bits > 0) {  // sum_j max(E_batch KL_j, lambda), times batch
            V per_dimension = sum(gaussian_kl(enc.mu, enc.logvar, Reduction::none), 0) / batch;
            V floor(Tn::full(Shape{}, static_cast<T>(config_.free_bits)));
            counted = sum(maximum(per_dimension, floor)) * batch;
        }
        V total = (reconstruction + counted * static_cast<T>(kl_weight(step))) / batch;
        return {total, reconstruction.item() / batch, kl.item() / batch};
    }
    // beta, ramped up over the first kl_warmup steps.
    double kl_weight(std::int64_t step) const {
        if (config_.kl_warmup <= 0) return config_.beta;
        return config_.beta * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(config_.kl_warmup));
    }

    // Per-example negative ELBO (one posterior sample) [batch] in nats.
    std::vector<double> negative_elbo(const Tn& x, Generator& gen) {
        check_input("vae.negative_elbo", x);
        NoGrad no_grad;
        auto enc = encode(V(x));
        V logits = decode(reparameterize(enc, gen));
        auto rec = sum(bce_with_logits(logits, x, Reduction::none), 1).value().to_vector();
        auto kl = sum(gaussian_kl(enc.mu, enc.logvar, Reduction::none), 1).value().to_vector();
        std::vector<double> out(rec.size());
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = double(rec[i]) + config_.beta * double(kl[i]);
        return out;
    }

    // Importance-weighted bound (Burda et al.) with k samples, per example [batch], nats:
    //   -log p(x) ~= -(logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k)
    std::vector<double> negative_iw_bound(const Tn& x, int k, Generator& gen) {
        check_input("vae.negative_iw_bound", x);
        AIGC_CHECK(k >= 1, "vae.negative_iw_bound: need at least 1 importance sample, given ", k);
        NoGrad no_grad;
        auto enc = encode(V(x));
        index_t batch = x.shape()[0], latent = config_.latent;
        std::vector<std::vector<double>> log_w(static_cast<std::size_t>(batch));
        auto mu = enc.mu.value().to_vector(), logvar = enc.logvar.value().to_vector();
        for (int s = 0; s < k; ++s) {
            Tn eps = Tn::normal(enc.mu.shape(), gen);
            V z = enc.mu + exp(enc.logvar * T(0.5)) * V(eps);
            auto rec = sum(bce_with_logits(decode(z), x, Reduction::none), 1).value().to_vector();
            auto e = eps.to_vector();
            auto zs = z.value().to_vector();
            for (index_t i = 0; i < batch; ++i) {
                double log_prior = 0, log_posterior = 0;
                for (index_t j = 0; j < latent; ++j) {
                    std::size_t at = static_cast<std::size_t>(i * latent + j);
                    log_prior += -0.5 * (double(zs[at]) * zs[at] + log_two_pi);
                    log_posterior += -0.5 * (double(e[at]) * e[at] + logvar[at] + log_two_pi);
                }
                log_w[static_cast<std::size_t>(i)].push_back(-double(rec[static_cast<std::size_t>(i)]) + log_prior -
                                                             log_posterior);
            }
        }
        std::vector<double> out;
        for (const auto& w : log_w) {
            double m = *std::max_element(w.begin(), w.end()), acc = 0;
            for (double v : w) acc += std::exp(v - m);
            out.push_back(-(m + std::log(acc) - std::log(double(k))));
        }
        return out;
    }

    // Pixel probabilities [n, input] decoded from z ~ N(0, I), or from given latents.
    Tn sample(index_t n, Generator& gen) { return decode_probabilities(Tn::normal(Shape{n, config_.latent}, gen)); }
    Tn decode_probabilities(const Tn& z) {
        NoGrad no_grad;
        return sigmoid(decode(V(z))).value();
    }
    Tn reconstruct(const Tn& x) {
        NoGrad no_grad;
        return sigmoid(forward(V(x))).value();
    }

    const VaeConfig& config() const { return config_; }

private:
    static constexpr double log_two_pi = 1.8378770664093453;

    // -E_batch [logsumexp_k log w_k - log k], log w = log p(x|z) + log p(z) - log q(z|x) with
    // z = mu + sigma eps: every term a Var, so the bound trains encoder and decoder together.
    Loss iw_loss(const Tn& x, const Encoding& enc, Generator& gen) {
        const int k = config_.iw_train;
        const index_t batch = x.shape()[0];
        std::vector<V> log_w;
        V reconstruction_total(Tn::zeros(Shape{}));
        for (int s = 0; s < k; ++s) {
            V eps(Tn::normal(enc.mu.shape(), gen));
            V z = enc.mu + exp(enc.logvar * T(0.5)) * eps;
            V reconstruction = sum(bce_with_logits(decode(z), x, Reduction::none), 1);  // -log p(x|z) [batch]
            // log p(z) - log q(z|x) = -1/2 sum(z^2) + 1/2 sum(eps^2 + logvar): the 2 pi terms cancel.
            V log_ratio = (sum(square(eps) + enc.logvar, 1) - sum(square(z), 1)) * T(0.5);
            log_w.push_back(log_ratio - reconstruction);
            reconstruction_total = reconstruction_total + sum(reconstruction);
        }
        V bound = logsumexp(stack(log_w, 0), 0) - static_cast<T>(std::log(static_cast<double>(k)));  // [batch]
        V total = -mean(bound);
        const double per_example = static_cast<double>(batch) * k;
        NoGrad no_grad;
        double kl = sum(gaussian_kl(enc.mu, enc.logvar, Reduction::sum)).item() / static_cast<double>(batch);
        return {total, reconstruction_total.item() / per_example, kl};
    }

    static std::string layer_name(const std::string& base, std::size_t i) {
        return i == 0 ? base : base + "_" + std::to_string(i + 1);
    }
    std::shared_ptr<nn::Linear<T, D>> add_linear(const std::string& name, index_t in, index_t out, Generator& gen) {
        return this->register_module(name, std::make_shared<nn::Linear<T, D>>(in, out, gen));
    }
    void check_input(const char* op, const Tn& x) const {
        const Shape& s = x.shape();
        AIGC_CHECK(s.rank() == 2 && s[1] == config_.input, op, ": input must be [batch, ", config_.input, "], given ",
                   s);
        AIGC_CHECK(s[0] > 0, op, ": empty batch");
    }

    VaeConfig config_;
    std::vector<std::shared_ptr<nn::Linear<T, D>>> encoder_, decoder_;
    std::shared_ptr<nn::Linear<T, D>> mu_head_, logvar_head_, output_;
};

// The VAE with its Adam optimizer: one object to train, checkpoint and resume.
template <class T = float, class D = Cpu>
class VaeTrainer {
public:
    VaeTrainer(const VaeConfig& config, Generator& gen)
        : model_(std::make_shared<Vae<T, D>>(config, gen)), optimizer_(model_->parameters(), {.lr = config.lr}) {}

    struct StepLosses {
        double loss, reconstruction, kl;  // per example, nats
    };
    // loss: the negative ELBO per example (reconstruction + beta KL) -- the training objective's
    // value only without warm-up, free bits or IWAE; then the last two are what moved.
    StepLosses train_step(const Tensor<T, D>& x, Generator& gen) {
        model_->train();
        auto l = model_->loss(x, gen, optimizer_.step_count());
        optimizer_.zero_grad(true);  // set to none: backward writes the gradients, no zero fill
        l.total.backward();
        optimizer_.step();
        return {l.reconstruction + model_->config().beta * l.kl, l.reconstruction, l.kl};
    }

    NamedTensors<T, D> state() const {
        NamedTensors<T, D> all = model_->state_dict();
        append_prefixed(all, "optimizer.", optimizer_.state());
        return all;
    }
    // All or nothing: a state that does not fit changes nothing (see load_or_keep).
    void load_state(const NamedTensors<T, D>& all) {
        load_or_keep(state(), all, [this](const NamedTensors<T, D>& s) {
            model_->load_state_dict(select_unprefixed(s, "optimizer."));
            optimizer_.load_state(take_prefix("optimizer.", s));
        });
    }

    Vae<T, D>& model() { return *model_; }

private:
    std::shared_ptr<Vae<T, D>> model_;
    optim::Adam<T, D> optimizer_;
};

}  // namespace aigc::models
