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

// Adam (Kingma & Ba) with PyTorch's formula; decoupled = AdamW (Loshchilov & Hutter).
template <class T>
struct AdamUpdate {
    T lr, beta1, beta2, eps, weight_decay;
    T bias_correction1, bias_correction2_sqrt;  // 1 - beta1^t, sqrt(1 - beta2^t)
    bool decoupled;
    AIGC_HD void operator()(T& p, T g, T& m, T& v) const {
        if (weight_decay != T(0)) {
            if (decoupled) p -= lr * weight_decay * p;
            else g += weight_decay * p;
        }
        m = beta1 * m + (T(1) - beta1) * g;
        v = beta2 * v + (T(1) - beta2) * g * g;
        T denom = std::sqrt(v) / bias_correction2_sqrt + eps;
        p -= (lr / bias_correction1) * m / denom;
    }
};

// SGD with momentum/dampening/nesterov/weight decay, as torch.optim.SGD.
template <class T>
struct SgdUpdate {
    T lr, momentum, dampening, weight_decay;
    bool nesterov, first_step;
    AIGC_HD void operator()(T& p, T g, T* buf) const {
        if (weight_decay != T(0)) g += weight_decay * p;
        if (momentum != T(0)) {
            T b = first_step ? g : momentum * (*buf) + (T(1) - dampening) * g;
            *buf = b;
            g = nesterov ? g + momentum * b : b;
        }
        p -= lr * g;
    }
};

// RMSprop as torch.optim.RMSprop (eps added outside the square root).
template <class T>
struct RmspropUpdate {
    T lr, alpha, eps, weight_decay, momentum;
    bool centered;
    AIGC_HD void operator()(T& p, T g, T& square_avg, T* momentum_buf, T* grad_avg) const {
        if (weight_decay != T(0)) g += weight_decay * p;
        square_avg = alpha * square_avg + (T(1) - alpha) * g * g;
        T avg;
        if (centered) {
            *grad_avg = alpha * (*grad_avg) + (T(1) - alpha) * g;
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
