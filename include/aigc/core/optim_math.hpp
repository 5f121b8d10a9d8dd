#pragma once
// Per-element optimizer updates shared by both backends. Each backend walks a list of parameter
// slots and applies one of these functors; on CUDA the whole list is one launch.
#include <cmath>
#include <cstdint>

#include "device.hpp"
#include "shape.hpp"

namespace aigc {

// One parameter tensor and its optimizer state buffers (null when unused), all of length n.
template <class T>
struct ParamSlot {
    T* param = nullptr;
    const T* grad = nullptr;
    T* state0 = nullptr;  // Adam m, SGD momentum buffer, RMSprop square average
    T* state1 = nullptr;  // Adam v, RMSprop momentum buffer
    T* state2 = nullptr;  // centered RMSprop: gradient average
    index_t n = 0;
};

// Coefficients such as 1 - beta2 are fields computed by the caller in double, as PyTorch computes
// them in Python floats: in float, 1 - float(0.999) is off by 1.3e-5 relative, which shifts Adam's
// second moment against its (double) bias correction and moves float trajectories by ~1e-6.

// Adam (Kingma & Ba) with PyTorch's formula:
//   g += weight_decay p (Adam's L2 term);  p *= decay (AdamW's decoupled decay, 1 - lr wd);
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   p -= step_size m / (sqrt(v) / sqrt(1 - beta2^t) + eps),  step_size = lr / (1 - beta1^t).
template <class T>
struct AdamUpdate {
    T beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
    T weight_decay;           // L2 coefficient added to the gradient (0 for AdamW)
    T decay;                  // multiplies the parameter first (1 for Adam)
    T step_size;              // lr / (1 - beta1^t)
    T bias_correction2_sqrt;  // sqrt(1 - beta2^t)
    AIGC_HD void operator()(T& p, T g, T& m, T& v) const {
        if (decay != T(1)) p *= decay;
        if (weight_decay != T(0)) g += weight_decay * p;
        m = beta1 * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * g * g;
        T denom = std::sqrt(v) / bias_correction2_sqrt + eps;
        p -= step_size * m / denom;
    }
};

// SGD with momentum/dampening/nesterov/weight decay, as torch.optim.SGD:
//   g += wd p;  b = g (first step) or mu b + (1 - dampening) g;  g = g + mu b (nesterov) or b;  p -= lr g.
template <class T>
struct SgdUpdate {
    T lr, momentum, one_minus_dampening, weight_decay;
    bool nesterov, first_step;
    AIGC_HD void operator()(T& p, T g, T* buf) const {
        if (weight_decay != T(0)) g += weight_decay * p;
        if (momentum != T(0)) {
            T b = first_step ? g : momentum * (*buf) + one_minus_dampening * g;
            *buf = b;
            g = nesterov ? g + momentum * b : b;
        }
        p -= lr * g;
    }
};

// RMSprop as torch.optim.RMSprop (eps added outside the square root):
//   g += wd p;  s = alpha s + (1 - alpha) g^2;  centered: a = alpha a + (1 - alpha) g, s - a^2 under the root;
//   momentum > 0: b = mu b + g / denom, p -= lr b;  else p -= lr g / denom.
template <class T>
struct RmspropUpdate {
    T lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
    bool centered;
    AIGC_HD void operator()(T& p, T g, T& square_avg, T* momentum_buf, T* grad_avg) const {
        if (weight_decay != T(0)) g += weight_decay * p;
        square_avg = alpha * square_avg + one_minus_alpha * g * g;
        T avg;
        if (centered) {
            *grad_avg = alpha * (*grad_avg) + one_minus_alpha * g;
            avg = std::sqrt(square_avg - (*grad_avg) * (*grad_avg)) + eps;
        } else {
            avg = std::sqrt(square_avg) + eps;
        }
        if (momentum > T(0)) {
            *momentum_buf = momentum * (*momentum_buf) + g / avg;
            p -= lr * (*momentum_buf);
        } else {
            p -= lr * g / avg;
        }
    }
};

}  // namespace aigc

namespace aigc::fn {
// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
struct Abs { template <class T> AIGC_HD T operator()(T x) const { return std::fabs(x); } };
template <class T>
struct AbsPow {  // |x|^p: one term of the p-norm sum_i |x_i|^p
    T exponent;
    AIGC_HD T operator()(T x) const { return std::pow(std::fabs(x), exponent); }
};
template <class T>
struct Clamp {  // min(max(x, low), high); NaN stays NaN like torch.clamp
    T low, high;
    AIGC_HD T operator()(T x) const { return x < low ? low : (x > high ? high : x); }
};
}  // namespace aigc::fn
