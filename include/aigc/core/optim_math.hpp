#pragma once
// Per-element optimizer updates shared by both backends: Kernels<D>::apply_update walks a list of
// parameter slots and calls update.apply_at(slot, i) for every element (on CUDA the whole list is
// one launch). An update may also have a block form, apply_block, the same statements on arrays,
// which the CPU backend runs over L1-sized blocks; it sits beside the scalar form it restates.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "device.hpp"
#include "error.hpp"
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

// The state buffers an update reads and writes (state0, state1, state2 of its slots).
struct StateNeeds {
    bool state0, state1, state2;
};

// The checks both backends make before an update touches memory: a slot with elements has its
// parameter, its gradient and every state buffer the update needs.
template <class T, class Update>
void check_update_slots(std::span<const ParamSlot<T>> slots, const Update& update) {
    const StateNeeds needs = update.needs();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const ParamSlot<T>& s = slots[i];
        AIGC_CHECK(s.n >= 0, "apply_update (", Update::name, "): slot ", i, " has negative length ", s.n);
        if (s.n == 0) continue;
        AIGC_CHECK(s.param && s.grad, "apply_update (", Update::name, "): slot ", i, " (", s.n,
                   " elements) has no ", s.param ? "gradient" : "parameter", " buffer");
        AIGC_CHECK(!needs.state0 || s.state0, "apply_update (", Update::name, "): slot ", i,
                   " needs its first state buffer");
        AIGC_CHECK(!needs.state1 || s.state1, "apply_update (", Update::name, "): slot ", i,
                   " needs its second state buffer");
        AIGC_CHECK(!needs.state2 || s.state2, "apply_update (", Update::name, "): slot ", i,
                   " needs its third state buffer");
    }
}

// Coefficients such as 1 - beta2 are fields computed by the caller in double, as PyTorch computes
// them in Python floats: in float, 1 - float(0.999) is off by 1.3e-5 relative, which shifts Adam's
// second moment against its (double) bias correction and moves float trajectories by ~1e-6.

// Adam (Kingma & Ba) with PyTorch's formula:
//   g += weight_decay p (Adam's L2 term);  p *= decay (AdamW's decoupled decay, 1 - lr wd);
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   p -= step_size m / (sqrt(v) / sqrt(1 - beta2^t) + eps),  step_size = lr / (1 - beta1^t).
// Slots: state0 = m, state1 = v.
template <class T>
struct AdamUpdate {
    static constexpr const char* name = "Adam";
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
    // Block form, run by the CPU backend on Eigen arrays over an L1-sized block (b.param, b.grad,
    // b.state0 = m, b.state1 = v): the statements above in the same order. The scalar form's g is
    // a copy; here g + weight_decay p goes to b.scratch, and only when weight decay is on.
    // Not the same roundings (tests/test_vector_forms.cpp bounds them): the compiler fuses
    // multiply-adds differently here and in a scalar loop, and Eigen's sqrt (EIGEN_FAST_MATH, its
    // default: float on x86, double with AVX-512) is a reciprocal-square-root estimate refined by
    // Newton steps, within 4 ulp, 0 for a subnormal v, and NaN for v = +inf: where (1 - beta2) g^2
    // overflows, the scalar form's step is m / inf = 0, this form's p becomes NaN.
    template <class Block>
    void apply_block(Block& b) const {
        if (decay != T(1)) b.param *= decay;
        // The gradient, or g + weight_decay p in the scratch block, through the gradient's own
        // read-only type either way, so the moments and the step are compiled once, not twice.
        const T* g = b.grad.data();
        if (weight_decay != T(0)) {
            b.scratch = b.grad + weight_decay * b.param;
            g = b.scratch.data();
        }
        using Gradient = std::remove_cvref_t<decltype(b.grad)>;
        moments_and_step(b.param, Gradient(g, b.grad.size()), b.state0, b.state1);
    }
    AIGC_HD void apply_at(const ParamSlot<T>& s, index_t i) const {
        (*this)(s.param[i], s.grad[i], s.state0[i], s.state1[i]);
    }
    StateNeeds needs() const { return {true, true, false}; }

private:
    template <class P, class G, class M, class V>
    void moments_and_step(P& p, const G& g, M& m, V& v) const {
        m = beta1 * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * g * g;
        p -= step_size * m / (v.sqrt() / bias_correction2_sqrt + eps);
    }
};

// SGD with momentum/dampening/nesterov/weight decay, as torch.optim.SGD:
//   g += wd p;  b = g (first step) or mu b + (1 - dampening) g;  g = g + mu b (nesterov) or b;  p -= lr g.
// Slots: state0 = the momentum buffer (only with momentum).
template <class T>
struct SgdUpdate {
    static constexpr const char* name = "SGD";
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
    AIGC_HD void apply_at(const ParamSlot<T>& s, index_t i) const {
        (*this)(s.param[i], s.grad[i], s.state0 ? s.state0 + i : nullptr);
    }
    StateNeeds needs() const { return {momentum != T(0), false, false}; }
};

// RMSprop as torch.optim.RMSprop (eps added outside the square root):
//   g += wd p;  s = alpha s + (1 - alpha) g^2;  centered: a = alpha a + (1 - alpha) g, s - a^2 under the root;
//   momentum > 0: b = mu b + g / denom, p -= lr b;  else p -= lr g / denom.
// Slots: state0 = s, state1 = b (only with momentum), state2 = a (only when centered).
template <class T>
struct RmspropUpdate {
    static constexpr const char* name = "RMSprop";
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
    AIGC_HD void apply_at(const ParamSlot<T>& s, index_t i) const {
        (*this)(s.param[i], s.grad[i], s.state0[i], s.state1 ? s.state1 + i : nullptr,
                s.state2 ? s.state2 + i : nullptr);
    }
    StateNeeds needs() const { return {true, momentum > T(0), centered}; }
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
