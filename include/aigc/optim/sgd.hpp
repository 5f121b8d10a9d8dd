#pragma once
// Stochastic gradient descent, as torch.optim.SGD:
//   g <- g + wd p;  b <- g (first step) or mu b + (1 - dampening) g;
//   g <- g + mu b (nesterov) or b;  p <- p - lr g.
#include "optimizer.hpp"

namespace aigc::optim {

struct SgdOptions {
    double lr = 1e-3;  // PyTorch >= 2.2 default (earlier versions required lr)
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
};

template <class T, class D = Cpu>
class SGD : public Optimizer<T, D> {
public:
    using Options = SgdOptions;

    explicit SGD(std::vector<Var<T, D>> params, Options options = {})
        : Optimizer<T, D>(std::move(params), validated(options).lr, "SGD",
                          {options.momentum != 0.0 ? "momentum_buffer" : nullptr, nullptr, nullptr}),
          options_(options) {}

    // The hyper-parameters in use (lr as currently set, e.g. by a scheduler).
    Options options() const {
        Options current = options_;
        current.lr = this->lr();
        return current;
    }

private:
    static const Options& validated(const Options& o) {
        using N = OptionsCheck::Named;
        OptionsCheck("SGD")
            .non_negative("learning rate", o.lr)
            .finite(N("lr", o.lr), N("momentum", o.momentum), N("weight_decay", o.weight_decay))
            .non_negative("momentum", o.momentum)
            .finite(N("dampening", o.dampening))
            .non_negative("weight_decay", o.weight_decay)
            .require(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                     "nesterov momentum requires momentum > 0 and dampening = 0, given momentum ", o.momentum,
                     ", dampening ", o.dampening);
        return o;
    }

    // The momentum buffer starts as a copy of the first gradient (PyTorch's `buf is None` branch).
    void update(std::span<const ParamSlot<T>> slots, std::int64_t t) override {
        Kernels<D>::apply_update(slots, SgdUpdate<T>{.lr = T(this->lr()),
                                                     .momentum = T(options_.momentum),
                                                     .one_minus_dampening = T(1.0 - options_.dampening),
                                                     .weight_decay = T(options_.weight_decay),
                                                     .nesterov = options_.nesterov,
                                                     .first_step = t == 1});
    }

    Options options_;
};

}  // namespace aigc::optim
