#pragma once
// Spectral normalisation of a Linear layer (Miyato et al. 2018), as torch.nn.utils.spectral_norm:
// the layer computes y = x (W / sigma)^T + b with sigma ~ the largest singular value of W,
// estimated by power iteration on persistent vectors u [out] and v [in]:
//   training forward: v <- normalize(W^T u), u <- normalize(W v)   (n_power_iterations times)
//   every forward:    sigma = u^T W v, with u and v treated as constants (no gradient through them)
// where normalize(a) = a / max(||a||, eps). Evaluation uses the stored u and v without iterating.
// Parameters are named as PyTorch registers them, "bias" then "weight_orig", with buffers
// "weight_u" and "weight_v", so a spectral-normed discriminator loads PyTorch checkpoints.
#include <algorithm>
#include <cmath>
#include <memory>

#include "linear.hpp"

namespace aigc::nn {

namespace detail {
// a <- a / max(||a||_2, eps), in place.
template <class T, class D>
void l2_normalize(Tensor<T, D>& a, double eps) {
    using K = Kernels<D>;
    index_t n = a.numel();
    Tensor<T, D> squares(a.shape()), total(Shape{});
    K::transform(1, n, fn::Square{}, squares.data(), a.in(), false);
    K::sum_all(n, squares.data(), total.data(), false);
    double norm = std::sqrt(static_cast<double>(total.item()));
    K::transform(1, n, fn::Affine<T>{static_cast<T>(1.0 / std::max(norm, eps)), T(0)}, a.data(), a.in(), false);
}
}  // namespace detail

// One round of power iteration on weight [out, in] per iteration, updating u [out] and v [in] in place.
template <class T, class D>
void power_iteration(const Tensor<T, D>& weight, Tensor<T, D>& u, Tensor<T, D>& v, index_t iterations, double eps) {
    AIGC_CHECK(weight.rank() == 2, "power_iteration: weight must be [out, in], given ", weight.shape());
    index_t out = weight.shape()[0], in = weight.shape()[1];
    AIGC_CHECK(u.shape() == Shape{out} && v.shape() == Shape{in}, "power_iteration: u and v must be [", out, "] and [",
               in, "] for weight ", weight.shape(), ", given ", u.shape(), " and ", v.shape());
    using K = Kernels<D>;
    for (index_t i = 0; i < iterations; ++i) {
        K::gemm(true, false, in, 1, out, T(1), weight.data(), u.data(), T(0), v.data());  // v = W^T u
        detail::l2_normalize(v, eps);
        K::gemm(false, false, out, 1, in, T(1), weight.data(), v.data(), T(0), u.data());  // u = W v
        detail::l2_normalize(u, eps);
    }
}

// W / (u^T W v) for weight [out, in], u [out], v [in]; the gradient flows into W only.
template <class T, class D>
Var<T, D> spectral_normalized(const Var<T, D>& weight, const Tensor<T, D>& u, const Tensor<T, D>& v) {
    AIGC_CHECK(weight.shape().rank() == 2, "spectral_normalized: weight must be [out, in], given ", weight.shape());
    index_t out = weight.shape()[0], in = weight.shape()[1];
    AIGC_CHECK(u.shape() == Shape{out} && v.shape() == Shape{in}, "spectral_normalized: u and v must be [", out,
               "] and [", in, "] for weight ", weight.shape(), ", given ", u.shape(), " and ", v.shape());
    Var<T, D> weight_v = aigc::matmul(weight, Var<T, D>(v.reshape(Shape{in, 1})));   // [out, 1]
    Var<T, D> sigma = aigc::sum(Var<T, D>(u.reshape(Shape{out, 1})) * weight_v);      // scalar
    return weight / sigma;
}

template <class T = float, class D = Cpu>
class SpectralNorm : public Module<T, D> {
public:
    // Adopts the layer's weight (as weight_orig) and bias; u and v start as normalised N(0, 1)
    // draws from gen, u first, as in PyTorch.
    SpectralNorm(std::shared_ptr<Linear<T, D>> layer, Generator& gen, index_t n_power_iterations = 1,
                 double eps = 1e-12)
        : layer_(std::move(layer)), n_power_iterations_(n_power_iterations), eps_(eps) {
        AIGC_CHECK(layer_ != nullptr, "SpectralNorm: the wrapped Linear is null");
        AIGC_CHECK(n_power_iterations > 0, "SpectralNorm: n_power_iterations must be positive, given ",
                   n_power_iterations);
        AIGC_CHECK(eps > 0.0, "SpectralNorm: eps must be positive, given ", eps);
        if (layer_->has_bias()) bias_ = this->register_parameter("bias", layer_->bias());
        weight_orig_ = this->register_parameter("weight_orig", layer_->weight());
        auto u = Tensor<T, D>::normal(Shape{layer_->out_features()}, gen);
        auto v = Tensor<T, D>::normal(Shape{layer_->in_features()}, gen);
        detail::l2_normalize(u, eps_);
        detail::l2_normalize(v, eps_);
        u_ = this->register_buffer("weight_u", u);
        v_ = this->register_buffer("weight_v", v);
    }

    // x [batch, in] -> [batch, out]
    Var<T, D> forward(const Var<T, D>& x) override {
        if (this->is_training()) power_iteration(weight_orig_.value(), u_, v_, n_power_iterations_, eps_);
        return aigc::linear(x, normalized_weight(), bias_);
    }
    std::string type_name() const override { return "SpectralNorm"; }

    // W / sigma from the stored u and v (no iteration). u and v are cloned: the graph must keep
    // the values it was built with even if a later training forward updates the buffers.
    Var<T, D> normalized_weight() const { return spectral_normalized(weight_orig_, u_.clone(), v_.clone()); }

    const Var<T, D>& weight_orig() const { return weight_orig_; }  // [out, in]
    const Var<T, D>& bias() const { return bias_; }                // [out]; undefined without bias
    const Tensor<T, D>& weight_u() const { return u_; }            // [out]
    const Tensor<T, D>& weight_v() const { return v_; }            // [in]
    const Linear<T, D>& layer() const { return *layer_; }

private:
    std::shared_ptr<Linear<T, D>> layer_;
    index_t n_power_iterations_;
    double eps_;
    Var<T, D> weight_orig_, bias_;
    Tensor<T, D> u_, v_;
};

// nn::spectral_norm(linear, gen), spelled like torch.nn.utils.spectral_norm(linear).
template <class T, class D>
std::shared_ptr<SpectralNorm<T, D>> spectral_norm(std::shared_ptr<Linear<T, D>> layer, Generator& gen,
                                                  index_t n_power_iterations = 1, double eps = 1e-12) {
    return std::make_shared<SpectralNorm<T, D>>(std::move(layer), gen, n_power_iterations, eps);
}

}  // namespace aigc::nn
