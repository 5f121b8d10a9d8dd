#pragma once
// Element-wise math shared by both backends: the Eigen loops and the CUDA kernels call the same
// AIGC_HD functors, so a formula is written (and fixed) once.
//
// Vector forms sit beside the scalar form they restate; tests/test_vector_forms.cpp compares each
// pair on ordinary and edge values. A scalar tanhf or expf costs 10-20 ns, so a [64, 784] BCE or
// tanh would take a millisecond element by element; the CPU backend (cpu/vector_math.hpp)
// evaluates these forms instead:
//   static array(a[, b, c])  the formula as an array expression over whole operands; the CPU
//                            backend passes Eigen arrays, whose exp/log/log1p/tanh are SIMD
//                            polynomials within a few ulp of libm (float exp on AVX-512: up
//                            to 5 near |x| = 88);
//   lanes(a[, b, c]) const   the formula on whole SIMD registers (GCC vector extensions), for
//                            selects the compiler will not vectorise by itself.
// Both are host-only member templates that only call members of their operands, so this header
// needs no Eigen and stays valid device code for nvcc. Functors without one keep the plain loop,
// which the compiler vectorises itself.
//
// Where Eigen 3.4's exp differs from libm by more than rounding (x86; the limits depend on the
// instruction set Eigen was compiled for):
//   - below its input clamp it returns e^-88.723 = 2.9e-39 (float) / e^-709.784 = 5.6e-309
//     (double) for every smaller x, and float on AVX-512 returns 0 below -87.68 instead. e^x is
//     subnormal or 0 there, so a form moves by less than the smallest normal number times the
//     factor on its e^x term; only an infinite factor makes that visible (SoftplusGrad,
//     BceWithLogitsGrad with g = ±inf);
//   - float on AVX-512: e^x is +inf from x = 88.3763 on (where e^x > 2.4e38), while libm's stays
//     finite up to 88.7228 (Exp, ExpShifted, GaussianKl, GaussianKlGradLogvar).
#include <cmath>

#include "device.hpp"

namespace aigc::fn {

// ---- binary arithmetic --------------------------------------------------------------------
struct Add { template <class T> AIGC_HD T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> AIGC_HD T operator()(T a, T b) const { return a - b; } };
// a + weight (b - a): PyTorch's lerp(start, end, weight), e.g. an average moving towards b.
template <class T>
struct Lerp {
    T weight;
    AIGC_HD T operator()(T a, T b) const { return a + weight * (b - a); }
};
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

// Lane forms: GCC will not if-convert `x > 0 ? x : slope * x` while the multiplication may trap
// (-ftrapping-math, the default), so the scalar loop stays scalar, and Eigen 3.4's select() has no
// SIMD path either. On whole registers both sides are computed and the comparison mask picks one
// per lane: the scalar form's value in every lane, NaN and -0 included.
template <class T>
struct LeakyRelu {
    T slope;
    AIGC_HD T operator()(T x) const { return x > T(0) ? x : slope * x; }
    template <class V> V lanes(V x) const { return x > T(0) ? x : slope * x; }
};
template <class T>
struct LeakyReluGrad {
    T slope;
    AIGC_HD T operator()(T g, T x) const { return x > T(0) ? g : slope * g; }
    template <class V> V lanes(V g, V x) const { return x > T(0) ? g : slope * g; }
};

struct Tanh {
    template <class T> AIGC_HD T operator()(T x) const { return std::tanh(x); }
    // Float: Eigen's rational approximation, within 3 ulp, exactly ±1 beyond |x| = 7.9 (libm's
    // reaches ±1 at 9.01); NaN stays NaN, -0 stays -0.
    template <class A> static auto array(const A& x) { return x.tanh(); }
};
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
    // Both branches in one expression, e^min(x,0) / (1 + e^-|x|) (no SIMD select in Eigen 3.4):
    // x >= 0 gives e^0 / (1 + e^-x), x < 0 gives e^x / (1 + e^x). No exp overflows; below exp's
    // clamp (header) the result is the clamped e^x, a subnormal or 0 like the scalar form's.
    template <class A> static auto array(const A& x) {
        using S = typename A::Scalar;
        return x.min(S(0)).exp() / (S(1) + (-x.abs()).exp());
    }
};
struct SigmoidGradFromOutput {  // d sigmoid = y (1 - y)
    template <class T> AIGC_HD T operator()(T g, T y) const { return g * y * (T(1) - y); }
};

struct Exp {
    template <class T> AIGC_HD T operator()(T x) const { return std::exp(x); }
    // The header lists where Eigen's e^x differs: below its clamp, and float overflow on AVX-512.
    template <class A> static auto array(const A& x) { return x.exp(); }
};
struct Log {
    template <class T> AIGC_HD T operator()(T x) const { return std::log(x); }
    // Eigen reads a subnormal x as the smallest normal number: log gives -87.34 (float) / -708.40
    // (double) where libm's goes on down to -103.28 / -744.44. 0 still gives -inf, x < 0 NaN.
    template <class A> static auto array(const A& x) { return x.log(); }
};

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for any x.
struct Softplus {
    template <class T> AIGC_HD T operator()(T x) const {
        return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
    }
    // The same expression, each exp and log1p Eigen's (within 3 ulp of libm here).
    template <class A> static auto array(const A& x) {
        return x.max(typename A::Scalar(0)) + (-x.abs()).exp().log1p();
    }
};
struct SoftplusGrad {  // d softplus = sigmoid(x)
    template <class T> AIGC_HD T operator()(T g, T x) const { return g * Sigmoid{}(x); }
    // With g = ±inf, x below exp's clamp (header): g times the clamped sigmoid, so ±inf where the
    // scalar form's e^x is 0 (inf * 0 = NaN), and NaN on float AVX-512, whose sigmoid is 0 there,
    // where the scalar form's e^x is a subnormal (±inf).
    template <class A, class B> static auto array(const A& g, const B& x) { return g * Sigmoid::array(x); }
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
    // The same expression (see Softplus).
    template <class A, class B> static auto array(const A& x, const B& t) {
        return x.max(typename A::Scalar(0)) - x * t + (-x.abs()).exp().log1p();
    }
};
struct BceWithLogitsGrad {  // (g, x, t) -> g (sigmoid(x) - t)
    template <class T> AIGC_HD T operator()(T g, T x, T t) const { return g * (Sigmoid{}(x) - t); }
    // As SoftplusGrad for g = ±inf and x below exp's clamp; the clamped sigmoid minus a subnormal t
    // may also have the other sign than the scalar form's, so the infinity is of the other sign.
    template <class A, class B, class C> static auto array(const A& g, const B& x, const C& t) {
        return g * (Sigmoid::array(x) - t);
    }
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
    // Float on AVX-512: +inf from logvar = 88.3763 on (header), where the scalar form is finite.
    template <class A, class B> static auto array(const A& mu, const B& logvar) {
        using S = typename A::Scalar;
        return S(-0.5) * (S(1) + logvar - mu * mu - logvar.exp());
    }
};
struct GaussianKlGradMu { template <class T> AIGC_HD T operator()(T g, T mu) const { return g * mu; } };
struct GaussianKlGradLogvar {
    template <class T> AIGC_HD T operator()(T g, T logvar) const { return T(0.5) * g * (std::exp(logvar) - T(1)); }
    // Float on AVX-512: ±inf (NaN for g = 0) from logvar = 88.3763 on (header).
    template <class A, class B> static auto array(const A& g, const B& logvar) {
        using S = typename A::Scalar;
        return S(0.5) * g * (logvar.exp() - S(1));
    }
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
    // Log-sum-exp passes the row maximum as m, so x - m <= 0 and only exp's clamp below matters
    // (header); a smaller m meets float's early overflow on AVX-512 too.
    template <class A, class B> static auto array(const A& x, const B& m) { return (x - m).exp(); }
};
// m + log(s) - picked: per-row cross-entropy from the row max, the shifted sum and the target logit.
struct LogSumExpMinus {
    template <class T> AIGC_HD T operator()(T m, T s, T picked) const { return m + std::log(s) - picked; }
};
}  // namespace aigc::fn

namespace aigc::fn {
// ---- functions whose derivative is a step: forward, and the derivative as a mask ------------
struct Sqrt { template <class T> AIGC_HD T operator()(T x) const { return std::sqrt(x); } };
struct SqrtGradFromOutput {  // d sqrt = 1 / (2 y)
    template <class T> AIGC_HD T operator()(T g, T y) const { return g / (T(2) * y); }
};
// abs and clamp themselves are in optim_math.hpp (gradient clipping uses them too).
// PyTorch's sign(x) as abs's derivative: 0 at 0.
struct AbsGrad {
    template <class T> AIGC_HD T operator()(T g, T x) const { return x > T(0) ? g : x < T(0) ? -g : T(0); }
};
// PyTorch: the gradient passes where low <= x <= high, the bounds included.
template <class T>
struct ClampGrad {
    T low, high;
    AIGC_HD T operator()(T g, T x) const { return x >= low && x <= high ? g : T(0); }
};
struct Minimum { template <class T> AIGC_HD T operator()(T a, T b) const { return b < a ? b : a; } };
struct Maximum { template <class T> AIGC_HD T operator()(T a, T b) const { return b > a ? b : a; } };
// d minimum(a, b)/da (and, swapped, d/db): g where a is the smaller, g/2 on a tie (as PyTorch).
struct MinimumGrad {
    template <class T> AIGC_HD T operator()(T g, T a, T b) const { return a < b ? g : a == b ? g / T(2) : T(0); }
};
struct MaximumGrad {
    template <class T> AIGC_HD T operator()(T g, T a, T b) const { return a > b ? g : a == b ? g / T(2) : T(0); }
};
}  // namespace aigc::fn
