#pragma once
// nn::Linear: y = x W^T + b with weight [out, in] and bias [out], as torch.nn.Linear.
#include <cmath>

#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class Linear : public Module<T, D> {
public:
    // PyTorch's default init: kaiming_uniform_(a = sqrt(5)) on the weight gives
    // bound = gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), i.e.
    // W ~ U(-1/sqrt(in), 1/sqrt(in)); the bias uses the same bound. Weight is drawn first.
    Linear(index_t in_features, index_t out_features, Generator& gen, bool bias = true)
        : in_features_(in_features), out_features_(out_features) {
        AIGC_CHECK(in_features > 0 && out_features > 0, "Linear: in_features and out_features must be positive, given ",
                   in_features, " and ", out_features);
        T bound = static_cast<T>(1.0 / std::sqrt(static_cast<double>(in_features)));
        weight_ = this->register_parameter("weight",
                                           Tensor<T, D>::uniform(Shape{out_features, in_features}, gen, -bound, bound));
        if (bias) bias_ = this->register_parameter("bias", Tensor<T, D>::uniform(Shape{out_features}, gen, -bound, bound));
    }

    // x [batch, in] -> [batch, out]
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::linear(x, weight_, bias_); }
    std::string type_name() const override { return "Linear"; }

    const Var<T, D>& weight() const { return weight_; }  // [out, in]
    const Var<T, D>& bias() const { return bias_; }      // [out]; undefined when built without bias
    bool has_bias() const { return bias_.defined(); }
    index_t in_features() const { return in_features_; }
    index_t out_features() const { return out_features_; }

private:
    index_t in_features_, out_features_;
    Var<T, D> weight_, bias_;
};

}  // namespace aigc::nn
