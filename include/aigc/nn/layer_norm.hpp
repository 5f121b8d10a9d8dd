#pragma once
// nn::LayerNorm over the last axis, as torch.nn.LayerNorm(features): (x - mean) / sqrt(var + eps)
// with the biased variance, then weight (ones) and bias (zeros) per feature. Written with
// differentiable ops, so a penalty through it (R1, WGAN-GP) differentiates it twice.
#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class LayerNorm : public Module<T, D> {
public:
    explicit LayerNorm(index_t features, double eps = 1e-5, bool elementwise_affine = true)
        : features_(features), eps_(eps) {
        AIGC_CHECK(features > 0, "LayerNorm: features must be positive, given ", features);
        AIGC_CHECK(eps > 0, "LayerNorm: eps must be positive, given ", eps);
        if (elementwise_affine) {
            weight_ = this->register_parameter("weight", Tensor<T, D>::ones(Shape{features}));
            bias_ = this->register_parameter("bias", Tensor<T, D>::zeros(Shape{features}));
        }
    }

    // x [..., features] -> the same shape
    Var<T, D> forward(const Var<T, D>& x) override {
        const Shape& s = x.shape();
        AIGC_CHECK(s.rank() >= 1 && s[s.rank() - 1] == features_, "LayerNorm: input must end in ", features_,
                   " features, given ", s);
        const int last = s.rank() - 1;
        auto spread = [&](const Var<T, D>& per_row) { return aigc::detail::repeat(per_row, s, last); };
        Var<T, D> centred = x - spread(aigc::mean(x, last, true));
        Var<T, D> variance = aigc::mean(aigc::square(centred), last, true);
        Var<T, D> y = centred / spread(aigc::sqrt(variance + static_cast<T>(eps_)));
        if (!weight_.defined()) return y;
        return y * weight_ + bias_;
    }
    std::string type_name() const override { return "LayerNorm"; }

    const Var<T, D>& weight() const { return weight_; }  // [features]; undefined without affine
    const Var<T, D>& bias() const { return bias_; }

private:
    index_t features_;
    double eps_;
    Var<T, D> weight_, bias_;
};

}  // namespace aigc::nn
