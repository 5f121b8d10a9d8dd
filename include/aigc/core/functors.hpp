#pragma once
// Element-wise math shared by both backends: the Eigen loops and the CUDA kernels call the same
// AIGC_HD functors, so a formula is written (and fixed) once.
#include <cmath>

#include "device.hpp"

namespace aigc::fn {

// ---- binary arithmetic --------------------------------------------------------------------
struct Add { template <class T> AIGC_HD T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> AIGC_HD T operator()(T a, T b) const { return a - b; } };
struct Mul { template <class T> AIGC_HD T operator()(T a, T b) const { return a * b; } };
struct Div { template <class T> AIGC_HD T operator()(T a, T b) const { return a / b; } };
struct Identity { template <class T> AIGC_HD T operator()(T a) const { return a; } };
struct Neg { template <class T> AIGC_HD T operator()(T a) const { return -a; } };

// y = alpha * x + beta (scalar affine; covers add/mul/sub/div by a constant).
template <class T>
struct Affine {
    T alpha, beta;
    AIGC_HD T operator()(T x) const { return alpha * x + beta; }
};

// d(a/b)/db = -a / b^2, times upstream g.
struct DivGradDenominator {
    template <class T> AIGC_HD T operator()(T g, T a, T b) const { return -g * a / (b * b); }
};

// ---- activations: forward, and backward from the saved input x or output y -----------------
struct Relu { template <class T> AIGC_HD T operator()(T x) const { return x > T(0) ? x : T(0); } };
struct ReluGrad {  // (g, x) -> g * [x > 0]
    template <class T> AIGC_HD T operator()(T g, T x) const { return x > T(0) ? g : T(0); }
};

template <class T>
struct LeakyRelu {
    T slope;
    AIGC_HD T operator()(T x) const { return x > T(0) ? x : slope * x; }
};
template <class T>
struct LeakyReluGrad {
    T slope;
    AIGC_HD T operator()(T g, T x) const { return x > T(0) ? g : slope * g; }
};

struct Tanh { template <class T> AIGC_HD T operator()(T x) const { return std::tanh(x); } };
struct TanhGradFromOutput {  // d tanh = 1 - y^2
    template <class T> AIGC_HD T operator()(T g, T y) const { return g * (T(1) - y * y); }
};

// Written so that exp never overflows: for x < 0 use e^x / (1 + e^x).
struct Sigmoid {
    template <class T> AIGC_HD T operator()(T x) const {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        T e = std::exp(x);
        return e / (T(1) + e);
    }
};
struct SigmoidGradFromOutput {  // d sigmoid = y (1 - y)
    template <class T> AIGC_HD T operator()(T g, T y) const { return g * y * (T(1) - y); }
};

struct Exp { template <class T> AIGC_HD T operator()(T x) const { return std::exp(x); } };
struct Log { template <class T> AIGC_HD T operator()(T x) const { return std::log(x); } };

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for any x.
struct Softplus {
    template <class T> AIGC_HD T operator()(T x) const {
        return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
    }
};
struct SoftplusGrad {  // d softplus = sigmoid(x)
    template <class T> AIGC_HD T operator()(T g, T x) const { return g * Sigmoid{}(x); }
};

struct Square { template <class T> AIGC_HD T operator()(T x) const { return x * x; } };
struct SquareGrad { template <class T> AIGC_HD T operator()(T g, T x) const { return T(2) * g * x; } };

template <class T>
struct Pow {
    T exponent;
    AIGC_HD T operator()(T x) const { return std::pow(x, exponent); }
};
template <class T>
struct PowGrad {  // d x^p = p x^(p-1)
    T exponent;
    AIGC_HD T operator()(T g, T x) const { return g * exponent * std::pow(x, exponent - T(1)); }
};

// ---- losses ------------------------------------------------------------------------------
// BCE on logits: max(x,0) - x t + log1p(e^-|x|)  (never overflows).
struct BceWithLogits {
    template <class T> AIGC_HD T operator()(T x, T t) const {
        return (x > T(0) ? x : T(0)) - x * t + std::log1p(std::exp(-std::fabs(x)));
    }
};
struct BceWithLogitsGrad {  // (g, x, t) -> g (sigmoid(x) - t)
    template <class T> AIGC_HD T operator()(T g, T x, T t) const { return g * (Sigmoid{}(x) - t); }
};

// BCE on probabilities, log clamped at -100 exactly as PyTorch's binary_cross_entropy.
struct Bce {
    template <class T> AIGC_HD T operator()(T p, T t) const {
        T log_p = std::log(p), log_q = std::log(T(1) - p);
        log_p = log_p > T(-100) ? log_p : T(-100);
        log_q = log_q > T(-100) ? log_q : T(-100);
        return -(t * log_p + (T(1) - t) * log_q);
    }
};
struct BceGrad {  // PyTorch: g (p - t) / max(p (1 - p), 1e-12)
    template <class T> AIGC_HD T operator()(T g, T p, T t) const {
        T denom = p * (T(1) - p);
        denom = denom > T(1e-12) ? denom : T(1e-12);
        return g * (p - t) / denom;
    }
};

// KL(N(mu, e^logvar) || N(0,1)) per element = -1/2 (1 + logvar - mu^2 - e^logvar).
struct GaussianKl {
    template <class T> AIGC_HD T operator()(T mu, T logvar) const {
        return T(-0.5) * (T(1) + logvar - mu * mu - std::exp(logvar));
    }
};
struct GaussianKlGradMu { template <class T> AIGC_HD T operator()(T g, T mu) const { return g * mu; } };
struct GaussianKlGradLogvar {
    template <class T> AIGC_HD T operator()(T g, T logvar) const { return T(0.5) * g * (std::exp(logvar) - T(1)); }
};

struct SquaredError {
    template <class T> AIGC_HD T operator()(T a, T b) const { return (a - b) * (a - b); }
};
struct SquaredErrorGrad {  // d/da (a-b)^2 = 2 (a - b)
    template <class T> AIGC_HD T operator()(T g, T a, T b) const { return T(2) * g * (a - b); }
};

// Dropout: keep with probability 1-p and scale by 1/(1-p) so the expectation is unchanged.
template <class T>
struct DropoutMask {
    T keep, scale;
    AIGC_HD T operator()(T u) const { return u <= keep ? scale : T(0); }
};

}  // namespace aigc::fn

namespace aigc::fn {
// Softmax cross-entropy gradient (and any "prediction minus target" gradient): g (p - t).
struct ProbMinusTarget {
    template <class T> AIGC_HD T operator()(T g, T p, T t) const { return g * (p - t); }
};
// exp(x - m): the shifted exponential of log-sum-exp, never overflows.
struct ExpShifted {
    template <class T> AIGC_HD T operator()(T x, T m) const { return std::exp(x - m); }
};
// m + log(s) - picked: per-row cross-entropy from the row max, the shifted sum and the target logit.
struct LogSumExpMinus {
    template <class T> AIGC_HD T operator()(T m, T s, T picked) const { return m + std::log(s) - picked; }
};
}  // namespace aigc::fn
