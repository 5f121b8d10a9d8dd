#pragma once
// Element-wise maps over contiguous arrays with the functors' vector forms (core/functors.hpp):
// a functor's `array` form is evaluated over Eigen arrays (Eigen's SIMD exp/log/log1p/tanh), its
// `lanes` form on whole SIMD registers; a functor with neither keeps the plain loop, which the
// compiler vectorises itself.
#include <cstring>

#include "simd_headers.hpp"

#include "../core/functors.hpp"
#include "../core/shape.hpp"

namespace aigc::detail {

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ArrayMapC = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// f.array(a, ...) over Eigen arrays exists for these operand types.
template <class F, class... Operands>
concept HasArrayForm = requires(const F& f, const Operands&... operands) { f.array(operands...); };
// The array operand standing for one operand of any kind (pointer, In<T>) of a map over T.
template <class T, class Operand>
using ArrayOperand = ArrayMapC<T>;
// Whether a map over T of f with these operands runs f's Eigen array form.
template <class F, class T, class... Operands>
constexpr bool has_array_form = HasArrayForm<F, ArrayOperand<T, Operands>...>;

#if defined(__GNUC__) || defined(__clang__)
#define AIGC_HAVE_LANE_FORMS 1
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

// f.lanes(a, ...) on registers exists for these operand types.
template <class F, class... Operands>
concept HasLaneForm = requires(const F& f, Operands... operands) { f.lanes(operands...); };
template <class T, class Operand>
using LaneOperand = Lanes<T>;
#endif

// y[0..n) (+)= f(a[k], ...) over contiguous arrays, with f's vector form when it has one.
template <class T, class F, class... Ptrs>
void map_contiguous(index_t n, F f, T* y, bool accumulate, Ptrs... operands) {
    if constexpr (has_array_form<F, T, Ptrs...>) {
        ArrayMap<T> out(y, n);
        auto value = f.array(ArrayMapC<T>(operands, n)...);
        if (accumulate) out += value;
        else out = value;
#if defined(AIGC_HAVE_LANE_FORMS)
    } else if constexpr (HasLaneForm<F, LaneOperand<T, Ptrs>...>) {
        constexpr index_t width = sizeof(Lanes<T>) / sizeof(T);
        index_t k = 0;
        for (; k + width <= n; k += width) {
            Lanes<T> value = f.lanes(load_lanes(operands + k)...);
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
