#pragma once
// Batch normalisation over the batch of a [batch, features] matrix, as torch.nn.BatchNorm1d.
//   training:   y = (x - mean_B) / sqrt(var_B + eps) * weight + bias, with the batch mean and the
//               biased batch variance var_B = 1/N sum (x - mean_B)^2; the running statistics
//               move towards the batch's: running = (1 - momentum) running + momentum stat, where
//               the variance enters unbiased, var_B * N / (N - 1).
//   evaluation: the same formula with running_mean and running_var in place of the batch's.
// The training path is composed from autograd ops, so its gradient (through mean_B and var_B)
// is exact rather than a hand-derived formula.
#include "module.hpp"

namespace aigc::nn {

namespace detail {
// y * weight + bias per feature (row broadcasts); an undefined weight or bias is skipped.
template <class T, class D>
Var<T, D> scale_shift(Var<T, D> y, const Var<T, D>& weight, const Var<T, D>& bias) {
    if (weight.defined()) y = y * weight;
    if (bias.defined()) y = y + bias;
    return y;
}

template <class T, class D>
void check_batch_norm_input(const char* op, const Shape& x, const Var<T, D>& weight, const Var<T, D>& bias) {
    AIGC_CHECK(x.rank() == 2, op, ": input must be [batch, features], given ", x);
    index_t features = x[1];
    if (weight.defined())
        AIGC_CHECK(weight.shape() == Shape{features}, op, ": weight must be [", features, "], given ", weight.shape());
    if (bias.defined())
        AIGC_CHECK(bias.shape() == Shape{features}, op, ": bias must be [", features, "], given ", bias.shape());
}

// running = (1 - momentum) running + momentum * correction * batch_stat, in place.
template <class T, class D>
void blend_running_stat(Tensor<T, D>& running, const Tensor<T, D>& batch_stat, double momentum, double correction) {
    index_t n = running.numel();
    Kernels<D>::transform(1, n, fn::Affine<T>{static_cast<T>(1.0 - momentum), T(0)}, running.data(), running.in(),
                          false);
    Kernels<D>::transform(1, n, fn::Affine<T>{static_cast<T>(momentum * correction), T(0)}, running.data(),
                          batch_stat.in(), true);
}
}  // namespace detail

template <class T, class D>
struct BatchNormResult {
    Var<T, D> output;        // [batch, features]
    Tensor<T, D> mean;       // [features] batch mean
    Tensor<T, D> variance;   // [features] biased batch variance (divided by the batch size)
};

// Training-mode batch norm of x [batch, features]; weight and bias [features] may be undefined.
template <class T, class D>
BatchNormResult<T, D> batch_norm_train(const Var<T, D>& x, const Var<T, D>& weight, const Var<T, D>& bias,
                                       double eps) {
    detail::check_batch_norm_input("batch_norm_train", x.shape(), weight, bias);
    AIGC_CHECK(x.shape()[0] > 1, "batch_norm_train: training needs more than 1 value per feature, given input ",
               x.shape());
    Var<T, D> mean = aigc::mean(x, 0);                           // [features]
    Var<T, D> centered = x - mean;                               // [batch, features]
    Var<T, D> variance = aigc::mean(aigc::square(centered), 0);  // [features], biased
    Var<T, D> inv_std = aigc::pow(variance + static_cast<T>(eps), T(-0.5));
    Var<T, D> y = detail::scale_shift(centered * inv_std, weight, bias);
    return {y, mean.value(), variance.value()};
}

// Evaluation-mode batch norm with fixed statistics running_mean, running_var [features].
template <class T, class D>
Var<T, D> batch_norm_eval(const Var<T, D>& x, const Tensor<T, D>& running_mean, const Tensor<T, D>& running_var,
                          const Var<T, D>& weight, const Var<T, D>& bias, double eps) {
    detail::check_batch_norm_input("batch_norm_eval", x.shape(), weight, bias);
    Shape features{x.shape()[1]};
    AIGC_CHECK(running_mean.shape() == features && running_var.shape() == features,
               "batch_norm_eval: running statistics must be ", features, ", given ", running_mean.shape(), " and ",
               running_var.shape());
    // Constants (no gradient): 1 / sqrt(running_var + eps).
    Var<T, D> inv_std = aigc::pow(Var<T, D>(running_var) + static_cast<T>(eps), T(-0.5));
    return detail::scale_shift((x - Var<T, D>(running_mean)) * inv_std, weight, bias);
}

template <class T = float, class D = Cpu>
class BatchNorm1d : public Module<T, D> {
public:
    // weight = 1 and bias = 0 (only when affine); running_mean = 0, running_var = 1.
    explicit BatchNorm1d(index_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true)
        : num_features_(num_features), eps_(eps), momentum_(momentum) {
        AIGC_CHECK(num_features > 0, "BatchNorm1d: num_features must be positive, given ", num_features);
        AIGC_CHECK(eps >= 0.0, "BatchNorm1d: eps must be non-negative, given ", eps);
        AIGC_CHECK(momentum >= 0.0 && momentum <= 1.0, "BatchNorm1d: momentum must be in [0, 1], given ", momentum);
        Shape features{num_features};
        if (affine) {
            weight_ = this->register_parameter("weight", Tensor<T, D>::ones(features));
            bias_ = this->register_parameter("bias", Tensor<T, D>::zeros(features));
        }
        running_mean_ = this->register_buffer("running_mean", Tensor<T, D>::zeros(features));
        running_var_ = this->register_buffer("running_var", Tensor<T, D>::ones(features));
        // PyTorch stores an int64 scalar; here it has the module's element type (exact up to 2^24 for float).
        num_batches_tracked_ = this->register_buffer("num_batches_tracked", Tensor<T, D>::zeros(Shape{}));
    }

    // x [batch, features] -> [batch, features]
    Var<T, D> forward(const Var<T, D>& x) override {
        AIGC_CHECK(x.shape().rank() == 2 && x.shape()[1] == num_features_, "BatchNorm1d: input must be [batch, ",
                   num_features_, "], given ", x.shape());
        if (!this->is_training()) return batch_norm_eval(x, running_mean_, running_var_, weight_, bias_, eps_);
        AIGC_CHECK(x.shape()[0] > 1, "BatchNorm1d: training needs more than 1 value per feature, given input ",
                   x.shape());
        BatchNormResult<T, D> result = batch_norm_train(x, weight_, bias_, eps_);
        double batch = static_cast<double>(x.shape()[0]);
        detail::blend_running_stat(running_mean_, result.mean, momentum_, 1.0);
        detail::blend_running_stat(running_var_, result.variance, momentum_, batch / (batch - 1.0));
        Kernels<D>::transform(1, 1, fn::Affine<T>{T(1), T(1)}, num_batches_tracked_.data(),
                              num_batches_tracked_.in(), false);
        return result.output;
    }
    std::string type_name() const override { return "BatchNorm1d"; }

    const Var<T, D>& weight() const { return weight_; }  // undefined unless affine
    const Var<T, D>& bias() const { return bias_; }
    const Tensor<T, D>& running_mean() const { return running_mean_; }
    const Tensor<T, D>& running_var() const { return running_var_; }
    const Tensor<T, D>& num_batches_tracked() const { return num_batches_tracked_; }
    index_t num_features() const { return num_features_; }
    double eps() const { return eps_; }
    double momentum() const { return momentum_; }

private:
    index_t num_features_;
    double eps_, momentum_;
    Var<T, D> weight_, bias_;
    Tensor<T, D> running_mean_, running_var_, num_batches_tracked_;
};

}  // namespace aigc::nn
