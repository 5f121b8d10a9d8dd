#pragma once
// Adam and AdamW, as torch.optim.Adam / AdamW (amsgrad = False):
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// Adam adds wd p to g (L2 penalty); AdamW instead decays p <- p (1 - lr wd) before the update
// (Loshchilov & Hutter, decoupled weight decay).
#include "optimizer.hpp"

namespace aigc::optim {

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
};

// Same fields; only the default weight decay differs (torch.optim.AdamW uses 1e-2).
struct AdamWOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 1e-2;
};

namespace detail {

template <class T, class D, class Options>
class AdamFamily : public Optimizer<T, D> {
public:
    // The hyper-parameters in use (lr as currently set, e.g. by a scheduler).
    Options options() const {
        Options current = options_;
        current.lr = this->lr();
        return current;
    }

protected:
    AdamFamily(std::vector<Var<T, D>> params, const Options& options, bool decoupled, const char* name)
        : Optimizer<T, D>(std::move(params), validated(options, name).lr, name, {"exp_avg", "exp_avg_sq", nullptr}),
          options_(options), decoupled_(decoupled) {}

private:
    // beta < 1: the bias corrections 1 - beta^t divide the step.
    static const Options& validated(const Options& o, const char* name) {
        using N = OptionsCheck::Named;
        OptionsCheck(name)
            .non_negative("learning rate", o.lr)
            .finite(N("lr", o.lr), N("eps", o.eps), N("weight_decay", o.weight_decay))
            .unit_interval("beta1", o.beta1, false)
            .unit_interval("beta2", o.beta2, false)
            .non_negative("eps", o.eps)
            .non_negative("weight_decay", o.weight_decay);
        return o;
    }

    // Scalar coefficients in double (as PyTorch computes them in Python floats), then one fused launch.
    void update(std::span<const ParamSlot<T>> slots, std::int64_t t) override {
        const Options& o = options_;
        double lr = this->lr();
        double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
        double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
        Kernels<D>::apply_update(slots, AdamUpdate<T>{.beta1 = T(o.beta1),
                                                      .one_minus_beta1 = T(1.0 - o.beta1),
                                                      .beta2 = T(o.beta2),
                                                      .one_minus_beta2 = T(1.0 - o.beta2),
                                                      .eps = T(o.eps),
                                                      .weight_decay = T(decoupled_ ? 0.0 : o.weight_decay),
                                                      .decay = T(decoupled_ ? 1.0 - lr * o.weight_decay : 1.0),
                                                      .step_size = T(lr / bias_correction1),
                                                      .bias_correction2_sqrt = T(std::sqrt(bias_correction2))});
    }

    Options options_;
    bool decoupled_;
};

}  // namespace detail

template <class T, class D = Cpu>
class Adam : public detail::AdamFamily<T, D, AdamOptions> {
public:
    using Options = AdamOptions;
    explicit Adam(std::vector<Var<T, D>> params, Options options = {})
        : detail::AdamFamily<T, D, AdamOptions>(std::move(params), options, false, "Adam") {}
};

template <class T, class D = Cpu>
class AdamW : public detail::AdamFamily<T, D, AdamWOptions> {
public:
    using Options = AdamWOptions;
    explicit AdamW(std::vector<Var<T, D>> params, Options options = {})
        : detail::AdamFamily<T, D, AdamWOptions>(std::move(params), options, true, "AdamW") {}
};

}  // namespace aigc::optim
