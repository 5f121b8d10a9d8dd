#pragma once
// nn::Dropout: in training, zeroes each element with probability p and scales the survivors by
// 1/(1-p) (so E[y] = x); in evaluation, the identity. The masks come from the Generator given at
// construction: the layer keeps a handle on that same stream (Generator::share), so its draws
// interleave with the caller's other draws, a checkpoint of the caller's generator covers them,
// and the layer stays usable after the caller's Generator object is gone.
#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class Dropout : public Module<T, D> {
public:
    Dropout(double p, Generator& gen) : p_(p), gen_(gen.share()) {
        AIGC_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability must be in [0, 1], given ", p);
    }
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::dropout(x, p_, this->is_training(), gen_); }
    std::string type_name() const override { return "Dropout"; }
    double p() const { return p_; }

private:
    double p_;
    Generator gen_;  // shares the caller's stream
};

}  // namespace aigc::nn
