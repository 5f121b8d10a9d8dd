#pragma once
// SIMD forms of the functors whose scalar form calls libm (exp, log1p, tanh): a scalar tanhf or
// expf costs 10-20 ns, so a [64, 784] BCE or tanh would take a millisecond element by element.
// Each form is the functor's formula (core/functors.hpp) spelled as an Eigen array expression,
// which Eigen evaluates with its vectorised exp/log/log1p/tanh (SSE2 or AVX, a few ulp from libm;
// one difference: Eigen's exp clamps its input at -88.4, so e^x for x below that, a subnormal or 0,
// comes out as 2.9e-39).
// Functors without an entry here keep the plain loop, which the compiler vectorises itself.
#include <cstring>

#include "simd_headers.hpp"

#include "../core/functors.hpp"
#include "../core/shape.hpp"

namespace aigc::detail {

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ArrayMapC = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// VectorForm<F>::eval(f, a[, b, c]) returns the Eigen expression of f over whole arrays.
template <class F>
struct VectorForm {
    static constexpr bool available = false;
};

// sigmoid(x) as the functor computes it, 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below, written
// without a select (no SIMD select in Eigen 3.4): e^min(x,0) / (1 + e^-|x|). No exp overflows.
template <class A>
auto sigmoid_expression(const A& x) {
    using S = typename A::Scalar;
    return x.min(S(0)).exp() / (S(1) + (-x.abs()).exp());
}

template <>
struct VectorForm<fn::Tanh> {
    static constexpr bool available = true;
    template <class A>
    static auto eval(fn::Tanh, const A& x) { return x.tanh(); }
};
template <>
struct VectorForm<fn::Sigmoid> {
    static constexpr bool available = true;
    template <class A>
    static auto eval(fn::Sigmoid, const A& x) { return sigmoid_expression(x); }
};
template <>
struct VectorForm<fn::Exp> {
    static constexpr bool available = true;
    template <class A>
    static auto eval(fn::Exp, const A& x) { return x.exp(); }
};
template <>
struct VectorForm<fn::Log> {
    static constexpr bool available = true;
    template <class A>
    static auto eval(fn::Log, const A& x) { return x.log(); }
};
template <>
struct VectorForm<fn::Softplus> {  // max(x, 0) + log1p(e^-|x|)
    static constexpr bool available = true;
    template <class A>
    static auto eval(fn::Softplus, const A& x) {
        return x.max(typename A::Scalar(0)) + (-x.abs()).exp().log1p();
    }
};
template <>
struct VectorForm<fn::SoftplusGrad> {  // g sigmoid(x)
    static constexpr bool available = true;
    template <class A, class B>
    static auto eval(fn::SoftplusGrad, const A& g, const B& x) { return g * sigmoid_expression(x); }
};
template <>
struct VectorForm<fn::BceWithLogits> {  // max(x, 0) - x t + log1p(e^-|x|)
    static constexpr bool available = true;
    template <class A, class B>
    static auto eval(fn::BceWithLogits, const A& x, const B& t) {
        return x.max(typename A::Scalar(0)) - x * t + (-x.abs()).exp().log1p();
    }
};
template <>
struct VectorForm<fn::BceWithLogitsGrad> {  // g (sigmoid(x) - t)
    static constexpr bool available = true;
    template <class A, class B, class C>
    static auto eval(fn::BceWithLogitsGrad, const A& g, const B& x, const C& t) {
        return g * (sigmoid_expression(x) - t);
    }
};
template <>
struct VectorForm<fn::GaussianKl> {  // -1/2 (1 + logvar - mu^2 - e^logvar)
    static constexpr bool available = true;
    template <class A, class B>
    static auto eval(fn::GaussianKl, const A& mu, const B& logvar) {
        using S = typename A::Scalar;
        return S(-0.5) * (S(1) + logvar - mu * mu - logvar.exp());
    }
};
template <>
struct VectorForm<fn::GaussianKlGradLogvar> {  // g (e^logvar - 1) / 2
    static constexpr bool available = true;
    template <class A, class B>
    static auto eval(fn::GaussianKlGradLogvar, const A& g, const B& logvar) {
        using S = typename A::Scalar;
        return S(0.5) * g * (logvar.exp() - S(1));
    }
};
template <>
struct VectorForm<fn::ExpShifted> {  // e^(x - m)
    static constexpr bool available = true;
    template <class A, class B>
    static auto eval(fn::ExpShifted, const A& x, const B& m) { return (x - m).exp(); }
};

// LeakyReLU: GCC will not if-convert `x > 0 ? g : slope * g` while the multiplication may trap
// (-ftrapping-math, the default), so that loop stays scalar, and Eigen 3.4's select() has no SIMD
// path either. With GCC's vector extensions both sides are computed on whole registers and the
// comparison mask picks one, which is the functor's value lane by lane.
template <class F>
struct LaneForm {
    static constexpr bool available = false;
};
#if defined(__GNUC__) || defined(__clang__)
#define AIGC_HAVE_LANE_FORMS 1
template <class T>
struct LaneForm<fn::LeakyRelu<T>> {
    static constexpr bool available = true;
    template <class V>
    static V eval(fn::LeakyRelu<T> f, V x) { return x > T(0) ? x : f.slope * x; }
};
template <class T>
struct LaneForm<fn::LeakyReluGrad<T>> {
    static constexpr bool available = true;
    template <class V>
    static V eval(fn::LeakyReluGrad<T> f, V g, V x) { return x > T(0) ? g : f.slope * g; }
};

// One SIMD register of T: 32 bytes where AVX is enabled, else 16 (SSE2, NEON). Passing a 32-byte
// vector by value without AVX would change the calling convention (GCC's -Wpsabi). A member
// typedef per type, not an alias template: nvcc's front end rejects vector_size on a dependent
// type, and this header must be the same code under nvcc (see kernels.hpp).
#if defined(__AVX__)
constexpr int lane_bytes = 32;
#else
constexpr int lane_bytes = 16;
#endif
template <class T>
struct LaneType;
template <>
struct LaneType<float> {
    typedef float type [[gnu::vector_size(lane_bytes)]];
};
template <>
struct LaneType<double> {
    typedef double type [[gnu::vector_size(lane_bytes)]];
};
template <class T>
using Lanes = typename LaneType<T>::type;

template <class T>
inline Lanes<T> load_lanes(const T* p) {
    Lanes<T> v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}
#endif

// y[0..n) (+)= f(a[k], ...) over contiguous arrays, with the SIMD form when there is one.
template <class T, class F, class... Ptrs>
void map_contiguous(index_t n, F f, T* y, bool accumulate, Ptrs... operands) {
    if constexpr (VectorForm<F>::available) {
        ArrayMap<T> out(y, n);
        auto value = VectorForm<F>::eval(f, ArrayMapC<T>(operands, n)...);
        if (accumulate) out += value;
        else out = value;
#if defined(AIGC_HAVE_LANE_FORMS)
    } else if constexpr (LaneForm<F>::available) {
        constexpr index_t width = sizeof(Lanes<T>) / sizeof(T);
        index_t k = 0;
        for (; k + width <= n; k += width) {
            Lanes<T> value = LaneForm<F>::eval(f, load_lanes(operands + k)...);
            if (accumulate) value += load_lanes(y + k);
            std::memcpy(y + k, &value, sizeof(value));
        }
        for (; k < n; ++k) y[k] = accumulate ? y[k] + f(operands[k]...) : f(operands[k]...);
#endif
    } else {
        if (accumulate)
            for (index_t k = 0; k < n; ++k) y[k] += f(operands[k]...);
        else
            for (index_t k = 0; k < n; ++k) y[k] = f(operands[k]...);
    }
}

}  // namespace aigc::detail
