// The vector forms of core/functors.hpp and core/optim_math.hpp against their scalar forms,
// evaluated as the CPU backend evaluates them: detail::map_contiguous over arrays aligned to
// Eigen's largest packet and a whole number of packets long, so every element goes through the
// SIMD path (Eigen would otherwise hand an unaligned head and the tail to its scalar libm path).
//
// At each point (ordinary values, and 0, -0, ±denorm_min, ± a mid-range subnormal, ±80, ±700,
// ±max, ±inf, NaN as any operand), with s the scalar form's result and v the vector form's:
//   - s is NaN: v is NaN;  s is ±inf: v is the same infinity;
//   - otherwise v is finite and |v - s| <= 8 ulp(scale) + exp_weight * min_normal, where
//       scale      is the magnitude of the formula's largest term (|s| unless the formula
//                  cancels, e.g. 1 + logvar - e^logvar near logvar = 0, where the error of e^x
//                  is measured against e^x, not against the small difference);
//       8 ulp      Eigen's log1p and tanh are within 3 ulp of libm, its exp within 1 ulp for
//                  |x| < 10 but, on AVX-512 in float (ln 2 taken out in one step), ~0.9 + |x| / 22
//                  ulp from the exact value, 5 ulp near |x| = 88; a form rounds one or two more
//                  times around them (as its scalar form does);
//       exp_weight is the factor by which the formula multiplies its e^x terms: Eigen's exp
//                  clamps its input (functors.hpp), so where e^x is below the smallest normal
//                  number it may be a different subnormal or 0, and the result moves by that
//                  difference times the factor (g sigmoid(x) with g = max even moves by ~1);
//   - the differences documented in functors.hpp (Log of a subnormal; float exp's early overflow on
//     AVX-512; g = ±inf times a clamped sigmoid) are asserted as documented: v is then s or the
//     documented value.
// The lane forms do the scalar form's operations exactly: bit for bit. Adam's block form: below.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <aigc/cpu.hpp>

namespace {

using namespace aigc;

template <class T>
using AlignedVector = std::vector<T, Eigen::aligned_allocator<T>>;

constexpr int allowed_ulps = 8;

template <class T>
std::vector<T> edge_values() {
    using L = std::numeric_limits<T>;
    const T mid_subnormal = L::min() / T(std::int64_t(1) << (L::digits / 2));  // 2^-138 / 2^-1048
    return {T(0),    -T(0),   L::denorm_min(), -L::denorm_min(), mid_subnormal, -mid_subnormal,
            T(80),   T(-80),  T(700),          T(-700),          L::max(),      -L::max(),
            L::infinity(), -L::infinity(), L::quiet_NaN()};
}

// Values a model meets: both signs from 1e-6 to 50, and a grid over [-30, 30] whose steps avoid
// round numbers.
template <class T>
std::vector<T> ordinary_values() {
    std::vector<T> values;
    for (double magnitude : {1e-6, 1e-3, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0}) {
        values.push_back(T(magnitude));
        values.push_back(T(-magnitude));
    }
    for (int k = 0; k <= 82; ++k) values.push_back(T(-30.0 + 0.73 * k));
    return values;
}

// Around the limits of e^x: where it overflows (88.72 / 709.78), where Eigen's exp clamps or flushes
// (functors.hpp), and where libm's result becomes subnormal and 0.
template <class T>
std::vector<T> exp_limit_values() {
    std::vector<T> values;
    for (double x : {85.5, 87.9, 88.0, 88.3, 88.5, 88.7, 88.72283, 88.7229, 709.0, 709.78, 709.79})
        for (double sign : {1.0, -1.0}) values.push_back(T(sign * x));
    for (double x : {-87.3, -87.6, -100.0, -104.0, -708.0, -745.0, -746.0}) values.push_back(T(x));
    return values;
}

template <class T>
std::vector<T> all_values() {
    std::vector<T> values = edge_values<T>(), ordinary = ordinary_values<T>(), limits = exp_limit_values<T>();
    values.insert(values.end(), ordinary.begin(), ordinary.end());
    values.insert(values.end(), limits.begin(), limits.end());
    return values;
}

// Edge values plus a few ordinary ones: for the extra operands of binary and ternary forms.
template <class T>
std::vector<T> edges_and(std::initializer_list<T> ordinary) {
    std::vector<T> values = edge_values<T>();
    values.insert(values.end(), ordinary.begin(), ordinary.end());
    return values;
}

// Spacing of T at `magnitude` (magnitudes beyond max count as max, below min_normal as denorm_min).
template <class T>
long double ulp_at(long double magnitude) {
    using L = std::numeric_limits<T>;
    if (!(magnitude >= L::min())) return L::denorm_min();
    if (magnitude > L::max()) magnitude = L::max();
    return std::ldexp(1.0L, std::ilogb(magnitude) - (L::digits - 1));
}

struct Allowance {
    long double scale;       // magnitude of the formula's largest term
    long double exp_weight;  // factor on the formula's e^x terms
};

template <class T>
bool agrees(T v, T s, Allowance a) {
    if (std::isnan(s)) return std::isnan(v);
    if (std::isinf(s)) return v == s;
    if (!std::isfinite(v)) return false;
    long double difference = std::fabs(static_cast<long double>(v) - static_cast<long double>(s));
    return difference <= allowed_ulps * ulp_at<T>(a.scale) + a.exp_weight * std::numeric_limits<T>::min();
}

// Every combination of the operand values, as operand columns padded to whole 64-byte packets.
template <class T>
std::vector<AlignedVector<T>> combinations(const std::vector<std::vector<T>>& values) {
    std::size_t count = 1;
    for (const auto& v : values) count *= v.size();
    const std::size_t packet = 64 / sizeof(T), padded = (count + packet - 1) / packet * packet;
    std::vector<AlignedVector<T>> columns(values.size(), AlignedVector<T>(padded, T(0)));
    for (std::size_t k = 0; k < count; ++k) {
        std::size_t rest = k;
        for (std::size_t a = values.size(); a-- > 0;) {
            columns[a][k] = values[a][rest % values[a].size()];
            rest /= values[a].size();
        }
    }
    return columns;
}

template <class... Args>
std::string point(const char* name, Args... args) {
    std::ostringstream out;
    out.precision(10);
    out << name << "(";
    const char* separator = "";
    ((out << separator << static_cast<long double>(args), separator = ", "), ...);
    out << ")";
    return out.str();
}

// The forms of f over every combination of `values` (one list per operand). allowance(args...)
// gives the Allowance; documented(args...) the documented vector result where one applies.
template <class T, std::size_t Arity, class F, class Allow, class Documented>
void check_forms(const char* name, F f, const std::vector<T> (&values)[Arity], Allow allowance,
                 Documented documented) {
    auto columns = combinations(std::vector<std::vector<T>>(values, values + Arity));
    const std::size_t n = columns[0].size();
    AlignedVector<T> vector_result(n);
    std::size_t failures = 0;
    std::string first_failures;
    auto check_point = [&](T v, auto... args) {
        T s = f(args...);
        if (agrees(v, s, allowance(args...))) return;
        std::optional<T> alternative = documented(args...);
        if (alternative && agrees(v, *alternative, Allowance{std::fabs(static_cast<long double>(*alternative)), 0}))
            return;
        if (++failures <= 8)
            first_failures += point(name, args...) + ": vector " + std::to_string(static_cast<double>(v)) +
                              ", scalar " + std::to_string(static_cast<double>(s)) + "\n";
    };
    [&]<std::size_t... Operand>(std::index_sequence<Operand...>) {
        static_assert(detail::has_array_form<F, T, decltype(Operand)...>, "the form under test exists");
        detail::map_contiguous(static_cast<index_t>(n), f, vector_result.data(), false,
                               static_cast<const T*>(columns[Operand].data())...);
        for (std::size_t k = 0; k < n; ++k) check_point(vector_result[k], columns[Operand][k]...);
    }(std::make_index_sequence<Arity>{});
    INFO(first_failures);
    CHECK(failures == 0);
}

auto magnitude_of_result(const auto& f) {
    return [f](auto... args) { return Allowance{std::fabs(static_cast<long double>(f(args...))), 0}; };
}
template <class T>
constexpr auto none() {
    return [](auto...) { return std::optional<T>(); };
}

// Float exp on AVX-512 builds (functors.hpp): e^x is +inf from x = 88.3763 on, where the scalar
// form reaches max only at 88.7228. Where the exponent lies in that window, the documented result
// is the formula's with e^x = +inf.
template <class T>
bool in_early_overflow_window(T exponent) {
#if defined(EIGEN_VECTORIZE_AVX512)
    return std::is_same_v<T, float> && exponent >= T(88.3762626647950) && exponent <= T(88.7228391);
#else
    (void)exponent;
    return false;
#endif
}

// What Eigen's exp gives below its input clamp (functors.hpp), where that is not e^x: e^-709.784
// (double), e^-88.723 (float), or 0 below -87.68 (float on AVX-512).
template <class T>
std::optional<T> clamped_exp(T x) {
    if constexpr (std::is_same_v<T, double>) {
        return x < -709.784 ? std::optional<T>(std::exp(-709.784)) : std::nullopt;
    } else {
#if defined(EIGEN_VECTORIZE_AVX512)
        return x < T(-87.6831) ? std::optional<T>(T(0)) : std::nullopt;
#else
        return x < T(-88.723) ? std::optional<T>(std::exp(T(-88.723))) : std::nullopt;
#endif
    }
}

// sigmoid(x) for x < 0 with Eigen's e^x: e^x / (1 + e^x), the same subnormal where e^x is clamped.
template <class T>
std::optional<T> clamped_sigmoid(T x) {
    std::optional<T> e = clamped_exp(x);
    return e ? std::optional<T>(*e / (T(1) + *e)) : std::nullopt;
}

constexpr long double infinity = std::numeric_limits<long double>::infinity();

}  // namespace

// ---- one operand -----------------------------------------------------------------------------

TEMPLATE_TEST_CASE("tanh: vector form agrees with the scalar form", "[vector_forms][tanh]", float, double) {
    using T = TestType;
    check_forms<T>("tanh", fn::Tanh{}, {all_values<T>()}, magnitude_of_result(fn::Tanh{}), none<T>());
}

TEMPLATE_TEST_CASE("sigmoid: vector form agrees with the scalar form", "[vector_forms][sigmoid]", float, double) {
    using T = TestType;
    check_forms<T>("sigmoid", fn::Sigmoid{}, {all_values<T>()},
                   [](T x) { return Allowance{std::fabs(static_cast<long double>(fn::Sigmoid{}(x))), 1}; }, none<T>());
}

TEMPLATE_TEST_CASE("exp: vector form agrees with the scalar form", "[vector_forms][exp]", float, double) {
    using T = TestType;
    check_forms<T>("exp", fn::Exp{}, {all_values<T>()},
                   [](T x) { return Allowance{std::fabs(static_cast<long double>(fn::Exp{}(x))), 1}; },
                   [](T x) { return in_early_overflow_window(x) ? std::optional<T>(T(infinity)) : std::nullopt; });
}

TEMPLATE_TEST_CASE("log: vector form agrees with the scalar form", "[vector_forms][log]", float, double) {
    using T = TestType;
    using L = std::numeric_limits<T>;
    std::vector<T> values = all_values<T>();
    for (double x : {0.999, 0.9999999, 1.0, 1.0000001, 1.001, 1e-30, 1e30}) values.push_back(T(x));
    values.push_back(L::min());
    // fn::Log: a subnormal x is read as min_normal.
    check_forms<T>("log", fn::Log{}, {values}, magnitude_of_result(fn::Log{}), [](T x) {
        bool subnormal = x > T(0) && x < L::min();
        return subnormal ? std::optional<T>(std::log(L::min())) : std::nullopt;
    });
}

TEMPLATE_TEST_CASE("softplus: vector form agrees with the scalar form", "[vector_forms][softplus]", float, double) {
    using T = TestType;
    check_forms<T>("softplus", fn::Softplus{}, {all_values<T>()},
                   [](T x) { return Allowance{std::fabs(static_cast<long double>(fn::Softplus{}(x))), 1}; },
                   none<T>());
}

// ---- two operands ----------------------------------------------------------------------------

TEMPLATE_TEST_CASE("softplus_grad: vector form agrees with the scalar form", "[vector_forms][softplus]", float,
                   double) {
    using T = TestType;
    check_forms<T>("softplus_grad", fn::SoftplusGrad{}, {edges_and<T>({T(1), T(-2.5), T(0.01)}), all_values<T>()},
                   [](T g, T x) {
                       return Allowance{std::fabs(static_cast<long double>(fn::SoftplusGrad{}(g, x))),
                                        std::fabs(static_cast<long double>(g))};
                   },
                   [](T g, T x) {  // g = ±inf turns the clamped sigmoid into ±inf or NaN
                       std::optional<T> sigmoid = clamped_sigmoid(x);
                       return sigmoid ? std::optional<T>(g * *sigmoid) : std::nullopt;
                   });
}

TEMPLATE_TEST_CASE("bce_with_logits: vector form agrees with the scalar form", "[vector_forms][bce]", float, double) {
    using T = TestType;
    // max(x, 0) - x t + log1p(e^-|x|): the first two cancel for t = 1, x > 0.
    check_forms<T>("bce_with_logits", fn::BceWithLogits{},
                   {all_values<T>(), edges_and<T>({T(0.25), T(0.5), T(1)})},
                   [](T x, T t) {
                       long double lx = x, lt = t;
                       return Allowance{std::fabs(std::fmax(lx, 0.0L)) + std::fabs(lx * lt) +
                                            std::log1p(std::exp(-std::fabs(lx))),
                                        1};
                   },
                   none<T>());
}

TEMPLATE_TEST_CASE("gaussian_kl: vector form agrees with the scalar form", "[vector_forms][kl]", float, double) {
    using T = TestType;
    // -1/2 (1 + logvar - mu^2 - e^logvar): 1 + logvar and e^logvar cancel near logvar = 0.
    check_forms<T>("gaussian_kl", fn::GaussianKl{}, {edges_and<T>({T(0), T(0.5), T(-3)}), all_values<T>()},
                   [](T mu, T logvar) {
                       long double m = mu, lv = logvar;
                       return Allowance{0.5L * (1 + std::fabs(lv) + m * m + std::exp(lv)), 0.5L};
                   },
                   [](T mu, T logvar) {
                       return in_early_overflow_window(logvar)
                                  ? std::optional<T>(T(-0.5) * (T(1) + logvar - mu * mu - T(infinity)))
                                  : std::nullopt;
                   });
}

TEMPLATE_TEST_CASE("gaussian_kl_grad_logvar: vector form agrees with the scalar form", "[vector_forms][kl]", float,
                   double) {
    using T = TestType;
    // g (e^logvar - 1) / 2: cancels near logvar = 0.
    check_forms<T>("gaussian_kl_grad_logvar", fn::GaussianKlGradLogvar{},
                   {edges_and<T>({T(1), T(-2.5), T(0.01)}), all_values<T>()},
                   [](T g, T logvar) {
                       long double lg = std::fabs(static_cast<long double>(g));
                       return Allowance{0.5L * lg * (std::exp(static_cast<long double>(logvar)) + 1), 0.5L * lg};
                   },
                   [](T g, T logvar) {
                       return in_early_overflow_window(logvar) ? std::optional<T>(T(0.5) * g * (T(infinity) - T(1)))
                                                               : std::nullopt;
                   });
}

TEMPLATE_TEST_CASE("exp_shifted: vector form agrees with the scalar form", "[vector_forms][exp]", float, double) {
    using T = TestType;
    check_forms<T>("exp_shifted", fn::ExpShifted{}, {all_values<T>(), edges_and<T>({T(0), T(3), T(-8.5)})},
                   [](T x, T m) { return Allowance{std::fabs(static_cast<long double>(fn::ExpShifted{}(x, m))), 1}; },
                   [](T x, T m) {
                       return in_early_overflow_window(T(x - m)) ? std::optional<T>(T(infinity)) : std::nullopt;
                   });
}

// ---- three operands --------------------------------------------------------------------------

TEMPLATE_TEST_CASE("bce_with_logits_grad: vector form agrees with the scalar form", "[vector_forms][bce]", float,
                   double) {
    using T = TestType;
    // g (sigmoid(x) - t): cancels where sigmoid(x) is near t.
    check_forms<T>("bce_with_logits_grad", fn::BceWithLogitsGrad{},
                   {edges_and<T>({T(1), T(-2.5)}), all_values<T>(), edges_and<T>({T(0.25), T(0.5), T(1)})},
                   [](T g, T x, T t) {
                       long double lg = std::fabs(static_cast<long double>(g));
                       long double sigmoid = fn::Sigmoid{}(static_cast<long double>(x));
                       return Allowance{lg * (sigmoid + std::fabs(static_cast<long double>(t))), lg};
                   },
                   [](T g, T x, T t) {  // g = ±inf turns the clamped sigmoid into ±inf or NaN
                       std::optional<T> sigmoid = clamped_sigmoid(x);
                       return sigmoid ? std::optional<T>(g * (*sigmoid - t)) : std::nullopt;
                   });
}

// ---- lane forms: the scalar form's operations on whole registers, bit for bit ------------------

namespace {

template <class T>
bool same_bits(T a, T b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0 || (std::isnan(a) && std::isnan(b));
}

template <class T, class F, class... Columns>
void check_lanes(F f, const Columns&... columns) {
#if defined(AIGC_HAVE_LANE_FORMS)
    static_assert(detail::HasLaneForm<F, detail::LaneOperand<T, Columns>...>, "the form under test exists");
#endif
    const std::size_t n = std::get<0>(std::tie(columns...)).size();
    AlignedVector<T> vector_result(n);
    detail::map_contiguous(static_cast<index_t>(n), f, vector_result.data(), false,
                           static_cast<const T*>(columns.data())...);
    std::size_t failures = 0;
    for (std::size_t k = 0; k < n; ++k)
        if (!same_bits(vector_result[k], f(columns[k]...))) ++failures;
    CHECK(failures == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("leaky_relu: lane forms equal the scalar forms bit for bit", "[vector_forms][leaky_relu]", float,
                   double) {
    using T = TestType;
    auto columns = combinations<T>({edges_and<T>({T(1), T(-2.5)}), all_values<T>()});
    for (T slope : {T(0.2), T(0), T(-1.5)}) {
        check_lanes<T>(fn::LeakyRelu<T>{slope}, columns[1]);
        check_lanes<T>(fn::LeakyReluGrad<T>{slope}, columns[0], columns[1]);
    }
}

// Every other functor keeps the plain loop: a new vector form must get a test case above.
TEST_CASE("functors without a test case here have no vector form", "[vector_forms]") {
    using T = float;
    auto without = []<class F, std::size_t arity>() {
        return []<std::size_t... operand>(std::index_sequence<operand...>) {
            bool no_array_form = !detail::has_array_form<F, T, decltype(operand)...>;
#if defined(AIGC_HAVE_LANE_FORMS)
            return no_array_form && !detail::HasLaneForm<F, detail::LaneOperand<T, decltype(operand)>...>;
#else
            return no_array_form;
#endif
        }(std::make_index_sequence<arity>{});
    };
    STATIC_REQUIRE(without.template operator()<fn::Add, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Sub, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Mul, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Div, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Identity, 1>());
    STATIC_REQUIRE(without.template operator()<fn::Neg, 1>());
    STATIC_REQUIRE(without.template operator()<fn::Affine<T>, 1>());
    STATIC_REQUIRE(without.template operator()<fn::DivGradDenominator, 3>());
    STATIC_REQUIRE(without.template operator()<fn::Relu, 1>());
    STATIC_REQUIRE(without.template operator()<fn::ReluGrad, 2>());
    STATIC_REQUIRE(without.template operator()<fn::TanhGradFromOutput, 2>());
    STATIC_REQUIRE(without.template operator()<fn::SigmoidGradFromOutput, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Square, 1>());
    STATIC_REQUIRE(without.template operator()<fn::SquareGrad, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Pow<T>, 1>());
    STATIC_REQUIRE(without.template operator()<fn::PowGrad<T>, 2>());
    STATIC_REQUIRE(without.template operator()<fn::Bce, 2>());
    STATIC_REQUIRE(without.template operator()<fn::BceGrad, 3>());
    STATIC_REQUIRE(without.template operator()<fn::GaussianKlGradMu, 2>());
    STATIC_REQUIRE(without.template operator()<fn::SquaredError, 2>());
    STATIC_REQUIRE(without.template operator()<fn::SquaredErrorGrad, 3>());
    STATIC_REQUIRE(without.template operator()<fn::DropoutMask<T>, 1>());
    STATIC_REQUIRE(without.template operator()<fn::ProbMinusTarget, 3>());
    STATIC_REQUIRE(without.template operator()<fn::LogSumExpMinus, 3>());
    STATIC_REQUIRE(without.template operator()<fn::Abs, 1>());
    STATIC_REQUIRE(without.template operator()<fn::AbsPow<T>, 1>());
    STATIC_REQUIRE(without.template operator()<fn::Clamp<T>, 1>());
}

// ---- Adam: the block form against the scalar form -----------------------------------------------

namespace {

// Eigen's fast sqrt (EIGEN_FAST_MATH, its default on x86: float with SSE and up, double with
// AVX-512) is a reciprocal-square-root estimate refined by Newton steps; AdamUpdate::apply_block.
template <class T>
constexpr bool fast_sqrt() {
#if EIGEN_FAST_MATH && defined(EIGEN_VECTORIZE_AVX512)
    return true;
#elif EIGEN_FAST_MATH && defined(EIGEN_VECTORIZE_SSE)
    return std::is_same_v<T, float>;
#else
    return false;
#endif
}

}  // namespace

// One step from the same state, 1300 elements (two full 512-element blocks and a partial one)
// whose p, g, m, v span twelve decades. The forms are the same statements in the same order, but
// not the same roundings: the compiler fuses multiply-adds (-ffp-contract=fast, GCC's default)
// differently in a scalar loop and in Eigen's packet code, and Eigen's sqrt may be the fast one.
// Allowed, each against the magnitude of its formula's terms:
//   m = beta1 m + (1 - beta1) g'          2 ulp of |beta1 m| + (1 - beta1) |g'|   (g' = g + wd p)
//   v = beta2 v + (1 - beta2) g'^2        4 ulp of |beta2 v| + (1 - beta2) g'^2   (g' squared)
//   p = decay p - step m / (sqrt(v) / bc2 + eps)
//                                         8 ulp of |decay p| + step (m's terms) / denominator:
//                                         the fast sqrt is within 4 ulp, m and v carry theirs,
//                                         and the quotient and difference round three times.
// (Observed here with AVX-512: 1, 1 and 4 ulp.)
// Documented (apply_block): where g'^2 overflows, v = +inf and the scalar form's step is 0, the
// fast sqrt gives NaN, so p becomes NaN.
TEMPLATE_TEST_CASE("adam: block form agrees with the scalar form", "[vector_forms][adam]", float, double) {
    using T = TestType;
    const std::size_t n = 1300, overflow_row = 100;
    auto decades = [](std::size_t k, double frequency) {
        return std::sin(frequency * double(k) + 0.3) * std::pow(10.0, double(k % 13) - 6.0);
    };
    AlignedVector<T> p0(n), g(n), m0(n), v0(n);
    for (std::size_t k = 0; k < n; ++k) {
        p0[k] = T(decades(k, 0.37));
        g[k] = T(decades(k * 7, 0.11));
        m0[k] = T(0.3 * decades(k * 5, 0.23));
        v0[k] = T(std::pow(decades(k * 3, 0.19), 2));
    }
    g[overflow_row] = T(std::is_same_v<T, float> ? 1e25 : 1e160);  // (1 - beta2) g g overflows
    for (int t : {1, 10})
        for (bool weight_decay : {false, true})
            for (bool decoupled_decay : {false, true}) {
                const double lr = 1e-3, beta1 = 0.9, beta2 = 0.999;
                AdamUpdate<T> update{.beta1 = T(beta1),
                                     .one_minus_beta1 = T(1 - beta1),
                                     .beta2 = T(beta2),
                                     .one_minus_beta2 = T(1 - beta2),
                                     .eps = T(1e-8),
                                     .weight_decay = T(weight_decay ? 0.01 : 0.0),
                                     .decay = T(decoupled_decay ? 1 - lr * 0.05 : 1.0),
                                     .step_size = T(lr / (1 - std::pow(beta1, t))),
                                     .bias_correction2_sqrt = T(std::sqrt(1 - std::pow(beta2, t)))};
                AlignedVector<T> p = p0, m = m0, v = v0, p_scalar = p0, m_scalar = m0, v_scalar = v0;
                std::vector<ParamSlot<T>> slots = {{p.data(), g.data(), m.data(), v.data(), nullptr, index_t(n)}};
                Kernels<Cpu>::apply_update(std::span<const ParamSlot<T>>(slots), update);
                for (std::size_t k = 0; k < n; ++k) update(p_scalar[k], g[k], m_scalar[k], v_scalar[k]);

                INFO("step " << t << ", weight_decay " << weight_decay << ", decoupled decay " << decoupled_decay);
                if (fast_sqrt<T>()) CHECK(std::isnan(p[overflow_row]));
                else CHECK(p[overflow_row] == p_scalar[overflow_row]);
                CHECK(std::isinf(v[overflow_row]));
                std::size_t failures = 0;
                for (std::size_t k = 0; k < n; ++k) {
                    if (k == overflow_row) continue;
                    long double decayed = std::fabs(static_cast<long double>(p0[k]) * update.decay);
                    long double g_terms = std::fabs(static_cast<long double>(g[k])) + update.weight_decay * decayed;
                    long double m_terms = update.beta1 * std::fabs(static_cast<long double>(m0[k])) +
                                          update.one_minus_beta1 * g_terms;
                    long double v_terms = update.beta2 * static_cast<long double>(v0[k]) +
                                          update.one_minus_beta2 * g_terms * g_terms;
                    long double denominator =
                        std::sqrt(static_cast<long double>(v_scalar[k])) / update.bias_correction2_sqrt + update.eps;
                    long double p_terms = decayed + update.step_size * m_terms / denominator;
                    auto error = [](T a, T b, long double allowed) {
                        return std::fabs(static_cast<long double>(a) - static_cast<long double>(b)) / allowed;
                    };
                    if (error(m[k], m_scalar[k], 2 * ulp_at<T>(m_terms)) > 1 ||
                        error(v[k], v_scalar[k], 4 * ulp_at<T>(v_terms)) > 1 ||
                        error(p[k], p_scalar[k], 8 * ulp_at<T>(p_terms)) > 1)
                        ++failures;
                }
                CHECK(failures == 0);
            }
}
