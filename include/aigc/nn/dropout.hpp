#pragma once
// nn::Dropout: in training, zeroes each element with probability p and scales the survivors by
// 1/(1-p) (so E[y] = x); in evaluation, the identity. The masks are drawn from the Generator
// given at construction, which must outlive the module.
#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class Dropout : public Module<T, D> {
public:
    Dropout(double p, Generator& gen) : p_(p), gen_(&gen) {
        AIGC_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability must be in [0, 1], given ", p);
    }
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::dropout(x, p_, this->is_training(), *gen_); }
    std::string type_name() const override { return "Dropout"; }
    double p() const { return p_; }

private:
    double p_;
    Generator* gen_;
};

}  // namespace aigc::nn
