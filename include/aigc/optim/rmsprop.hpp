#pragma once
// RMSprop, as torch.optim.RMSprop:
//   g <- g + wd p;  s <- alpha s + (1 - alpha) g^2;
//   centered: a <- alpha a + (1 - alpha) g, denom = sqrt(s - a^2) + eps; else denom = sqrt(s) + eps;
//   momentum > 0: b <- mu b + g / denom, p <- p - lr b;  else p <- p - lr g / denom.
#include "optimizer.hpp"

namespace aigc::optim {

struct RmspropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum = 0.0;
    bool centered = false;
};

template <class T, class D = Cpu>
class RMSprop : public Optimizer<T, D> {
public:
    using Options = RmspropOptions;

    explicit RMSprop(std::vector<Var<T, D>> params, Options options = {})
        : Optimizer<T, D>(std::move(params), validated(options).lr, "RMSprop",
                          {"square_avg", options.momentum > 0.0 ? "momentum_buffer" : nullptr,
                           options.centered ? "grad_avg" : nullptr}),
          options_(options) {}

    // The hyper-parameters in use (lr as currently set, e.g. by a scheduler).
    Options options() const {
        Options current = options_;
        current.lr = this->lr();
        return current;
    }

private:
    // PyTorch only asks alpha >= 0; alpha > 1 would make (1 - alpha) negative and the square
    // average (hence the square root) negative, so it is refused here too.
    static const Options& validated(const Options& o) {
        using N = OptionsCheck::Named;
        OptionsCheck("RMSprop")
            .non_negative("learning rate", o.lr)
            .finite(N("lr", o.lr), N("eps", o.eps), N("weight_decay", o.weight_decay), N("momentum", o.momentum))
            .unit_interval("alpha", o.alpha, true)
            .non_negative("eps", o.eps)
            .non_negative("weight_decay", o.weight_decay)
            .non_negative("momentum", o.momentum);
        return o;
    }

    void update(std::span<const ParamSlot<T>> slots, std::int64_t) override {
        Kernels<D>::apply_update(slots, RmspropUpdate<T>{.lr = T(this->lr()),
                                                         .alpha = T(options_.alpha),
                                                         .one_minus_alpha = T(1.0 - options_.alpha),
                                                         .eps = T(options_.eps),
                                                         .weight_decay = T(options_.weight_decay),
                                                         .momentum = T(options_.momentum),
                                                         .centered = options_.centered});
    }

    Options options_;
};

}  // namespace aigc::optim
