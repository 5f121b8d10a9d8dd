#pragma once
// optim::Ema: an exponential moving average of parameters (Polyak averaging), which GANs use for
// the generator they sample from: after every optimizer step
//
//     shadow = shadow + (1 - decay) (param - shadow)        (PyTorch: shadow.lerp_(param, 1 - decay))
//
// With warm-up, update t (counted from 1) uses min(decay, (1 + t) / (10 + t)), so the average
// forgets the initial weights quickly at first (TensorFlow's ExponentialMovingAverage with
// num_updates). The shadows start as copies of the parameters.
//
//   optim::Ema<float> ema(generator.named_parameters(), {.decay = 0.999});
//   opt_g.step(); ema.update();
//   { auto averaged = ema.apply(); save(generator); }   // the module holds the shadows in this scope
//
// state()/load_state() carry the shadows and the update count for checkpoints ("shadow.<name>",
// "updates"), so a resumed run continues the same average.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../autograd/var.hpp"
#include "../nn/named_tensors.hpp"
#include "../nn/state_check.hpp"
#include "options_check.hpp"

namespace aigc::optim {

struct EmaOptions {
    double decay = 0.999;
    bool warmup = false;
};

template <class T = float, class D = Cpu>
class Ema {
public:
    using Parameters = std::vector<std::pair<std::string, Var<T, D>>>;

    explicit Ema(Parameters parameters, EmaOptions options = {}) : parameters_(std::move(parameters)), options_(options) {
        using N = OptionsCheck::Named;
        OptionsCheck("Ema").finite(N("decay", options.decay));
        AIGC_CHECK(options.decay >= 0.0 && options.decay <= 1.0, "Ema: decay must be in [0, 1], given ", options.decay);
        for (const auto& [name, p] : parameters_) shadow_.emplace_back(name, p.value().clone());
    }
    Ema(const Ema&) = delete;  // shadows are tensor handles: a copy would share them
    Ema& operator=(const Ema&) = delete;

    // The decay update t (from 1) uses.
    double decay_at(std::int64_t t) const {
        return options_.warmup ? std::min(options_.decay, (1.0 + double(t)) / (10.0 + double(t))) : options_.decay;
    }
    std::int64_t updates() const { return updates_; }

    // Moves every shadow towards its parameter's current value; call after each optimizer step.
    void update() {
        ++updates_;
        const T weight = static_cast<T>(1.0 - decay_at(updates_));
        for (std::size_t i = 0; i < shadow_.size(); ++i) {
            Tensor<T, D>& s = shadow_[i].second;
            const Tensor<T, D>& p = parameters_[i].second.value();
            Kernels<D>::transform(1, s.numel(), fn::Lerp<T>{weight}, s.data(), In<T>::full(s.data(), s.numel()),
                                  In<T>::full(p.data(), p.numel()), false);
        }
    }

    const nn::NamedTensors<T, D>& shadow() const { return shadow_; }

    // While the returned guard lives, the parameters hold the averaged values (and the shadows the
    // trained ones); at its end they are swapped back, bit for bit.
    class Applied {
    public:
        explicit Applied(Ema& ema) : ema_(&ema) { ema_->swap(); }
        Applied(Applied&& other) noexcept : ema_(std::exchange(other.ema_, nullptr)) {}
        Applied(const Applied&) = delete;
        Applied& operator=(const Applied&) = delete;
        Applied& operator=(Applied&&) = delete;
        ~Applied() {
            if (ema_) ema_->swap();
        }

    private:
        Ema* ema_;
    };
    [[nodiscard]] Applied apply() { return Applied(*this); }

    // For checkpoints: "shadow.<parameter>" for each parameter, then "updates" (a scalar).
    nn::NamedTensors<T, D> state() const {
        nn::NamedTensors<T, D> out;
        for (const auto& [name, s] : shadow_) out.emplace_back("shadow." + name, s);
        out.emplace_back("updates", Tensor<T, D>::scalar(static_cast<T>(updates_)));
        return out;
    }
    // All or nothing: a state of other parameters (names, shapes) changes nothing and says why.
    void load_state(const nn::NamedTensors<T, D>& state) {
        nn::check_state("Ema::load_state: the state does not match these parameters", nn::signatures(this->state()),
                        nn::signatures(state));
        for (const auto& [name, tensor] : state) {
            if (name == "updates") {
                const T count = tensor.item();
                AIGC_CHECK(count >= T(0) && std::floor(count) == count, "Ema::load_state: updates must be a whole "
                           "number >= 0, given ", count);
                updates_ = static_cast<std::int64_t>(count);
                continue;
            }
            for (auto& [shadow_name, s] : shadow_)
                if ("shadow." + shadow_name == name) s.copy_from(tensor);
        }
    }

private:
    void swap() {
        for (std::size_t i = 0; i < shadow_.size(); ++i) {
            Tensor<T, D>& live = parameters_[i].second.value();
            Tensor<T, D> trained = live.clone();
            live.copy_from(shadow_[i].second);
            shadow_[i].second.copy_from(trained);
        }
    }

    Parameters parameters_;
    EmaOptions options_;
    nn::NamedTensors<T, D> shadow_;
    std::int64_t updates_ = 0;
};

}  // namespace aigc::optim
