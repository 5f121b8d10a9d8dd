#pragma once
// Gradient norms and clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Parameters whose
// gradient is undefined (never reached by backward) are ignored, like PyTorch's None grads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../autograd/var.hpp"

namespace aigc::optim {

// The joint p-norm of all gradients, viewed as one concatenated vector (what clip_grad_norm
// clips and returns):  (sum_i |g_i|^p)^(1/p), or max_i |g_i| for p = inf; 0 when no gradient is
// defined. Reduced on the gradients' device; only one value per gradient comes to the host.
template <class T, class D>
T grad_norm(const std::vector<Var<T, D>>& params, double norm_type = 2.0) {
    using K = Kernels<D>;
    AIGC_CHECK(norm_type > 0.0, "grad_norm: norm_type must be > 0 (or infinity), given ", norm_type);
    const bool infinity_norm = std::isinf(norm_type);
    index_t largest = 0;
    for (const auto& p : params)
        if (p.node().grad.defined()) largest = std::max(largest, p.node().grad.numel());
    if (largest == 0) return T(0);

    // Per gradient: |g|^p (or |g|) into scratch, then one device reduction to a single value.
    Tensor<T, D> scratch(Shape{largest});
    Tensor<T, D> reduced(Shape{});
    double total = 0.0;  // sum of |g|^p, or the running max for p = inf
    for (const auto& p : params) {
        const Tensor<T, D>& g = p.node().grad;
        if (!g.defined() || g.numel() == 0) continue;
        const index_t n = g.numel();
        In<T> in = In<T>::full(g.data(), n);
        if (infinity_norm) K::transform(1, n, fn::Abs{}, scratch.data(), in, false);
        else if (norm_type == 2.0) K::transform(1, n, fn::Square{}, scratch.data(), in, false);
        else if (norm_type == 1.0) K::transform(1, n, fn::Abs{}, scratch.data(), in, false);
        else K::transform(1, n, fn::AbsPow<T>{T(norm_type)}, scratch.data(), in, false);
        if (infinity_norm) {
            K::max_rows(1, n, scratch.data(), reduced.data());
            double m = static_cast<double>(reduced.item());
            total = (std::isnan(m) || m > total) ? m : total;
            if (std::isnan(total)) break;
        } else {
            K::sum_all(n, scratch.data(), reduced.data(), false);
            total += static_cast<double>(reduced.item());
        }
    }
    return infinity_norm ? T(total) : T(std::pow(total, 1.0 / norm_type));
}

// Scales all gradients together so that their joint p-norm (grad_norm) is at most max_norm:
//                 g <- g * min(1, max_norm / (total + 1e-6)).
// Returns the total norm before clipping. A non-finite total scales every gradient by NaN (or
// zero), as PyTorch does, unless error_if_nonfinite asks for an aigc::Error instead.
template <class T, class D>
T clip_grad_norm(const std::vector<Var<T, D>>& params, double max_norm, double norm_type = 2.0,
                 bool error_if_nonfinite = false) {
    AIGC_CHECK(max_norm >= 0.0, "clip_grad_norm: max_norm must be >= 0, given ", max_norm);
    AIGC_CHECK(norm_type > 0.0, "clip_grad_norm: norm_type must be > 0 (or infinity), given ", norm_type);
    const T total_norm = grad_norm(params, norm_type);
    AIGC_CHECK(!error_if_nonfinite || std::isfinite(static_cast<double>(total_norm)), "clip_grad_norm: the total ",
               norm_type, "-norm of the gradients is ", total_norm,
               ", which cannot be clipped (pass error_if_nonfinite = false to scale by it anyway)");

    // torch.clamp(coef, max=1) keeps NaN, so a NaN coefficient is applied too.
    const T clip_coef = T(max_norm) / (total_norm + T(1e-6));
    if (!(clip_coef >= T(1)))
        for (const auto& p : params) {
            Tensor<T, D>& g = p.node().grad;
            if (g.defined() && g.numel() > 0)
                Kernels<D>::transform(1, g.numel(), fn::Affine<T>{clip_coef, T(0)}, g.data(),
                                      In<T>::full(g.data(), g.numel()), false);
        }
    return total_norm;
}

// Clamps every gradient element to [-clip_value, clip_value].
template <class T, class D>
void clip_grad_value(const std::vector<Var<T, D>>& params, double clip_value) {
    AIGC_CHECK(clip_value >= 0.0, "clip_grad_value: clip_value must be >= 0, given ", clip_value);
    const fn::Clamp<T> clamp{T(-clip_value), T(clip_value)};
    for (const auto& p : params) {
        Tensor<T, D>& g = p.node().grad;
        if (!g.defined() || g.numel() == 0) continue;
        Kernels<D>::transform(1, g.numel(), clamp, g.data(), In<T>::full(g.data(), g.numel()), false);
    }
}

}  // namespace aigc::optim
