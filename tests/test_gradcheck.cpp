// Finite-difference gradient checks (double precision) for every differentiable op and loss, in the
// spirit of dlib's test_layer: generic routines, aigc::gradcheck (first order) and
// aigc::gradgradcheck (second order: the op's differentiable backward), applied to each op in turn.
// Inputs are deterministic waves kept away from kinks (relu at 0) and domain edges (log at 0).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <aigc/autograd/autograd.hpp>
#include <aigc/autograd/gradcheck.hpp>
#include <aigc/nn/nn.hpp>

using namespace aigc;

namespace {

using V = Var<double>;
using T = Tensor<double>;
using Inputs = std::vector<V>;

// x_i = offset + scale * sin(freq * i + phase): smooth, reproducible, no RNG.
T wave(const Shape& shape, double scale = 1.0, double freq = 0.37, double phase = 0.1, double offset = 0.0) {
    T t(shape);
    for (index_t i = 0; i < t.numel(); ++i)
        t.data()[i] = offset + scale * std::sin(freq * static_cast<double>(i) + phase);
    return t;
}

// Pushes every element at least `gap` away from zero, keeping its sign (for relu / leaky_relu).
T away_from_zero(T t, double gap = 0.1) {
    for (index_t i = 0; i < t.numel(); ++i) t.data()[i] += t.data()[i] >= 0 ? gap : -gap;
    return t;
}

// First and second order: the gradient, and the gradient of the gradient (grad with create_graph).
void expect_gradients_match(const CheckedFunction& f, const std::vector<T>& inputs) {
    GradcheckResult first = gradcheck(f, inputs);
    INFO(first.message);
    CHECK(first.ok);
    GradcheckResult second = gradgradcheck(f, inputs);
    INFO(second.message);
    CHECK(second.ok);
}

const char* reduction_name(Reduction r) {
    switch (r) {
        case Reduction::mean: return "mean";
        case Reduction::sum: return "sum";
        case Reduction::none: return "none";
    }
    return "?";
}
const Reduction all_reductions[] = {Reduction::mean, Reduction::sum, Reduction::none};

}  // namespace

// ---- linear algebra ------------------------------------------------------------------------

TEST_CASE("gradcheck: matmul", "[autograd][gradcheck][matmul]") {
    expect_gradients_match([](const Inputs& v) { return matmul(v[0], v[1]); },
                           {wave({3, 4}), wave({4, 5}, 0.8, 0.23, 0.4)});
    // Degenerate inner and outer sizes of 1.
    expect_gradients_match([](const Inputs& v) { return matmul(v[0], v[1]); }, {wave({1, 3}), wave({3, 1}, 0.5)});
}

TEST_CASE("gradcheck: linear with and without bias", "[autograd][gradcheck][linear]") {
    T x = wave({4, 3}), w = wave({2, 3}, 0.7, 0.23, 0.4), b = wave({2}, 0.3, 1.1);
    expect_gradients_match([](const Inputs& v) { return linear(v[0], v[1], v[2]); }, {x, w, b});
    expect_gradients_match([](const Inputs& v) { return linear(v[0], v[1]); }, {x, w});
}

TEST_CASE("gradcheck: a two-layer perceptron with a loss (the seed's smoke test)",
          "[autograd][gradcheck][linear][leaky_relu][bce_with_logits]") {
    T x = wave({5, 4}), w1 = wave({6, 4}, 0.5, 0.23, 0.4), b1 = wave({6}, 0.2, 0.9);
    T w2 = wave({3, 6}, 0.5, 0.61, 0.2), b2 = wave({3}, 0.1, 1.3);
    auto target = Tensor<double>::from_vector({5, 3}, {1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0});
    expect_gradients_match(
        [target](const Inputs& v) {
            V hidden = leaky_relu(linear(v[0], v[1], v[2]), 0.2);
            return bce_with_logits(linear(hidden, v[3], v[4]), target);
        },
        {x, w1, b1, w2, b2});
}

// ---- arithmetic with broadcasting -----------------------------------------------------------

namespace {
struct BinaryCase {
    Shape a, b, out;
};
// Every layout binary_layout accepts, in both operand orders.
const BinaryCase binary_cases[] = {
    {{3, 4}, {3, 4}, {3, 4}},  // same shape
    {{3, 4}, {4}, {3, 4}},     // row [cols]
    {{4}, {3, 4}, {3, 4}},
    {{3, 4}, {1, 4}, {3, 4}},  // row [1, cols]
    {{1, 4}, {3, 4}, {3, 4}},
    {{3, 4}, {3, 1}, {3, 4}},  // column [rows, 1]
    {{3, 1}, {3, 4}, {3, 4}},
    {{3, 4}, {}, {3, 4}},      // scalar tensor (rank 0)
    {{}, {3, 4}, {3, 4}},
    {{3, 4}, {1}, {3, 4}},     // one-element tensor
    {{1}, {3, 4}, {3, 4}},
    {{2, 3, 4}, {4}, {2, 3, 4}},  // a row broadcast over a rank-3 tensor's [rows, cols] view
};

template <class Op>
void check_binary(const char* name, Op op) {
    for (const auto& c : binary_cases) {
        INFO(name << ": " << c.a << " and " << c.b);
        // Operands stay in [1.5, 2.5] so division is smooth; the two waves differ so a swapped
        // gradient would show.
        T a = wave(c.a, 0.5, 0.37, 0.1, 2.0), b = wave(c.b, 0.5, 0.91, 0.7, 2.0);
        {
            V va(a), vb(b);
            CHECK(op(va, vb).shape() == c.out);
        }
        expect_gradients_match([op](const Inputs& v) { return op(v[0], v[1]); }, {a, b});
    }
}
}  // namespace

TEST_CASE("gradcheck: add in every broadcast layout", "[autograd][gradcheck][add][broadcast]") {
    check_binary("add", [](const V& a, const V& b) { return a + b; });
}
TEST_CASE("gradcheck: sub in every broadcast layout", "[autograd][gradcheck][sub][broadcast]") {
    check_binary("sub", [](const V& a, const V& b) { return a - b; });
}
TEST_CASE("gradcheck: mul in every broadcast layout", "[autograd][gradcheck][mul][broadcast]") {
    check_binary("mul", [](const V& a, const V& b) { return a * b; });
}
TEST_CASE("gradcheck: div in every broadcast layout", "[autograd][gradcheck][div][broadcast]") {
    check_binary("div", [](const V& a, const V& b) { return a / b; });
}

TEST_CASE("gradcheck: one Var as both operands", "[autograd][gradcheck][add][sub][mul][div]") {
    T x = wave({3, 4}, 0.5, 0.37, 0.1, 2.0);
    expect_gradients_match([](const Inputs& v) { return v[0] * v[0]; }, {x});
    expect_gradients_match([](const Inputs& v) { return v[0] / v[0] + v[0] - v[0] * 3.0; }, {x});
}

TEST_CASE("gradcheck: scalar forms and neg", "[autograd][gradcheck][add][sub][mul][div][neg]") {
    T x = wave({3, 4});
    expect_gradients_match([](const Inputs& v) { return v[0] + 1.5; }, {x});
    expect_gradients_match([](const Inputs& v) { return 1.5 + v[0]; }, {x});
    expect_gradients_match([](const Inputs& v) { return v[0] - 0.7; }, {x});
    expect_gradients_match([](const Inputs& v) { return 0.7 - v[0]; }, {x});
    expect_gradients_match([](const Inputs& v) { return v[0] * -2.5; }, {x});
    expect_gradients_match([](const Inputs& v) { return -2.5 * v[0]; }, {x});
    expect_gradients_match([](const Inputs& v) { return v[0] / 4.0; }, {x});
    expect_gradients_match([](const Inputs& v) { return neg(v[0]); }, {x});
    expect_gradients_match([](const Inputs& v) { return -v[0]; }, {x});
}

// ---- reductions ------------------------------------------------------------------------------

TEST_CASE("gradcheck: sum and mean over everything and along each axis", "[autograd][gradcheck][sum][mean]") {
    T x = wave({3, 5});
    expect_gradients_match([](const Inputs& v) { return sum(v[0]); }, {x});
    expect_gradients_match([](const Inputs& v) { return mean(v[0]); }, {x});
    expect_gradients_match([](const Inputs& v) { return mean(v[0]); }, {wave({2, 3, 4})});  // rank 3
    for (int axis : {0, 1, -1}) {
        for (bool keepdim : {false, true}) {
            INFO("axis " << axis << ", keepdim " << keepdim);
            expect_gradients_match([=](const Inputs& v) { return sum(v[0], axis, keepdim); }, {x});
            expect_gradients_match([=](const Inputs& v) { return mean(v[0], axis, keepdim); }, {x});
        }
    }
}

TEST_CASE("sum and mean along an axis have PyTorch's shapes", "[autograd][sum][mean]") {
    V x(wave({3, 5}));
    CHECK(sum(x, 0).shape() == Shape{5});
    CHECK(sum(x, 1).shape() == Shape{3});
    CHECK(sum(x, -1).shape() == Shape{3});
    CHECK(sum(x, 0, true).shape() == Shape{1, 5});
    CHECK(mean(x, 1, true).shape() == Shape{3, 1});
    CHECK(sum(x).shape() == Shape{});
}

// ---- element-wise functions --------------------------------------------------------------------

TEST_CASE("gradcheck: activations and element-wise functions",
          "[autograd][gradcheck][relu][leaky_relu][tanh][sigmoid][exp][log][softplus][square]") {
    T x = wave({3, 4}, 2.0);
    T kinked = away_from_zero(x);
    T positive = wave({3, 4}, 0.8, 0.37, 0.1, 1.0);  // in [0.2, 1.8]
    expect_gradients_match([](const Inputs& v) { return relu(v[0]); }, {kinked});
    expect_gradients_match([](const Inputs& v) { return leaky_relu(v[0]); }, {kinked});
    expect_gradients_match([](const Inputs& v) { return leaky_relu(v[0], 0.2); }, {kinked});
    expect_gradients_match([](const Inputs& v) { return tanh(v[0]); }, {x});
    expect_gradients_match([](const Inputs& v) { return sigmoid(v[0]); }, {x});
    expect_gradients_match([](const Inputs& v) { return exp(v[0]); }, {x});
    expect_gradients_match([](const Inputs& v) { return log(v[0]); }, {positive});
    expect_gradients_match([](const Inputs& v) { return softplus(v[0]); }, {wave({3, 4}, 6.0)});
    expect_gradients_match([](const Inputs& v) { return square(v[0]); }, {x});
    // A rank-3 input goes through the same [rows, cols] view.
    expect_gradients_match([](const Inputs& v) { return tanh(v[0]); }, {wave({2, 3, 4})});
}

TEST_CASE("gradcheck: pow by a scalar", "[autograd][gradcheck][pow]") {
    T positive = wave({3, 4}, 0.8, 0.37, 0.1, 1.0);
    for (double exponent : {3.0, 0.5, -1.5, 2.7}) {
        INFO("exponent " << exponent);
        expect_gradients_match([=](const Inputs& v) { return pow(v[0], exponent); }, {positive});
    }
    // Integer exponents are defined for negative bases too.
    expect_gradients_match([](const Inputs& v) { return pow(v[0], 3.0); }, {wave({3, 4}, 2.0)});
}

// ---- shape ops ---------------------------------------------------------------------------------

TEST_CASE("gradcheck: reshape and view", "[autograd][gradcheck][reshape][view]") {
    // Multiplying by a fixed pattern after the reshape makes every element's gradient distinct.
    T pattern = wave({2, 6}, 1.0, 1.3, 0.2);
    expect_gradients_match([pattern](const Inputs& v) { return reshape(v[0], {2, 6}) * V(pattern); }, {wave({3, 4})});
    expect_gradients_match([pattern](const Inputs& v) { return view(v[0], {2, 6}) * V(pattern); }, {wave({12})});
    expect_gradients_match([](const Inputs& v) { return reshape(v[0], {2, 2, 3}); }, {wave({3, 4})});
}

TEST_CASE("gradcheck: concat and slice_cols", "[autograd][gradcheck][concat][slice_cols]") {
    expect_gradients_match([](const Inputs& v) { return concat(std::vector<V>{v[0], v[1], v[2]}); },
                           {wave({3, 2}), wave({3, 4}, 0.5, 0.9), wave({3, 1}, 2.0, 0.3)});
    expect_gradients_match([](const Inputs& v) { return concat(std::vector<V>{v[0]}); }, {wave({2, 3})});
    // One part used twice: its gradient is the sum of both column blocks.
    expect_gradients_match([](const Inputs& v) { return concat(std::vector<V>{v[0], v[1], v[0]}); },
                           {wave({3, 2}), wave({3, 3}, 0.5, 0.9)});
    expect_gradients_match([](const Inputs& v) { return slice_cols(v[0], 1, 3); }, {wave({3, 5})});
    expect_gradients_match([](const Inputs& v) { return slice_cols(v[0], 0, 5); }, {wave({3, 5})});
    // Slices that overlap accumulate into the same columns.
    expect_gradients_match([](const Inputs& v) { return slice_cols(v[0], 0, 3) * slice_cols(v[0], 2, 3); },
                           {wave({3, 5})});
}

TEST_CASE("gradcheck: dropout with a generator re-seeded on every call", "[autograd][gradcheck][dropout]") {
    T x = wave({8, 16});
    auto dropped = [](const Inputs& v) {
        Generator gen(42);  // the same seed gives the same mask on every evaluation
        return dropout(v[0], 0.3, true, gen);
    };
    expect_gradients_match(dropped, {x});

    // The check above is only meaningful if the mask drops some elements and scales the rest.
    V out = dropped({V(x)});
    index_t zeros = 0;
    for (index_t i = 0; i < out.numel(); ++i) {
        double y = out.value().data()[i];
        if (y == 0.0) ++zeros;
        else CHECK(y == Approx(x.data()[i] / 0.7));
    }
    CHECK(zeros > 0);
    CHECK(zeros < out.numel());

    Generator gen(42);
    expect_gradients_match([&gen](const Inputs& v) { return dropout(v[0], 0.3, false, gen); }, {x});  // identity
}

TEST_CASE("gradcheck: concat, stack and slice along every axis of a rank-3 tensor",
          "[autograd][gradcheck][concat][stack][slice]") {
    for (int axis : {0, 1, 2, -1}) {
        INFO("axis " << axis);
        const int a = axis < 0 ? axis + 3 : axis;
        Shape first{3, 3, 4}, second = detail::resized_shape(first, a, 2);
        expect_gradients_match([=](const Inputs& v) { return concat({v[0], v[1], v[0]}, axis); },
                               {wave(first), wave(second, 0.5, 0.9)});
        expect_gradients_match([=](const Inputs& v) { return slice(v[0], axis, 1, 2); }, {wave(first)});
        expect_gradients_match([=](const Inputs& v) { return slice(v[0], axis, 0, 1) * 2.0; }, {wave(first)});
    }
    for (int axis : {0, 1, 2, 3, -1}) {
        INFO("stack axis " << axis);
        expect_gradients_match([=](const Inputs& v) { return stack({v[0], v[1]}, axis); },
                               {wave({2, 3, 2}), wave({2, 3, 2}, 0.5, 0.9)});
    }
}

TEST_CASE("concat, stack and slice put each element where PyTorch does", "[autograd][concat][stack][slice]") {
    V a(T::from_vector({2, 2}, {1, 2, 3, 4})), b(T::from_vector({1, 2}, {5, 6}));
    CHECK(concat({a, b}, 0).value().to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
    CHECK(concat({a, a}).value().to_vector() == std::vector<double>{1, 2, 1, 2, 3, 4, 3, 4});
    V s = stack({a, a * 10.0}, 1);
    CHECK(s.shape() == Shape{2, 2, 2});
    CHECK(s.value().to_vector() == std::vector<double>{1, 2, 10, 20, 3, 4, 30, 40});
    CHECK(slice(s, 2, 1, 1).value().to_vector() == std::vector<double>{2, 20, 4, 40});
    CHECK(transpose(a).value().to_vector() == std::vector<double>{1, 3, 2, 4});
    CHECK_THROWS_WITH(concat({a, V(T::zeros({2, 3}))}, 0),
                      Catch::Contains("concat: part 1 has shape [2, 3], part 0 has [2, 2]; they may differ only along axis 0"));
    CHECK_THROWS_WITH(slice(a, 1, 1, 2), Catch::Contains("slice: [1, 3) is out of range for axis 1 of [2, 2]"));
    CHECK_THROWS_WITH(sum(a, 2), Catch::Contains("sum: axis 2 is out of range for [2, 2]"));
}

TEST_CASE("gradcheck: transpose and matmul through it", "[autograd][gradcheck][transpose]") {
    expect_gradients_match([](const Inputs& v) { return transpose(v[0]); }, {wave({3, 5})});
    expect_gradients_match([](const Inputs& v) { return matmul(transpose(v[0]), v[0]); }, {wave({3, 2})});
}

TEST_CASE("gradcheck: minimum, maximum and lerp", "[autograd][gradcheck][minimum][maximum][lerp]") {
    T a = wave({3, 4}, 1.0, 0.37, 0.1), b = wave({3, 4}, 1.0, 0.91, 0.7);  // no ties
    expect_gradients_match([](const Inputs& v) { return minimum(v[0], v[1]) * v[0]; }, {a, b});
    expect_gradients_match([](const Inputs& v) { return maximum(v[0], v[1]) * v[1]; }, {a, b});
    expect_gradients_match([](const Inputs& v) { return maximum(v[0], v[1]); }, {a, wave({4}, 1.0, 0.91, 0.7)});
    expect_gradients_match([](const Inputs& v) { return lerp(v[0], v[1], 0.3); }, {a, b});
    expect_gradients_match([](const Inputs& v) { return lerp(v[0], v[1], v[2]); }, {a, b, wave({3, 1}, 0.4, 0.5, 0.1, 0.5)});
    // A tie splits the gradient in half, as torch.maximum's does.
    V x(T::from_vector({2}, {1, 2}), true), y(T::from_vector({2}, {1, 3}), true);
    sum(maximum(x, y)).backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0.5, 0});
    CHECK(y.grad().to_vector() == std::vector<double>{0.5, 1});
}

TEST_CASE("gradcheck: abs, clamp and sqrt", "[autograd][gradcheck][abs][clamp][sqrt]") {
    T kinked = away_from_zero(wave({3, 4}, 2.0));
    expect_gradients_match([](const Inputs& v) { return abs(v[0]) * v[0]; }, {kinked});
    // Bounds away from every element, so no difference step crosses one.
    expect_gradients_match([](const Inputs& v) { return clamp(v[0], -1.05, 0.95) * v[0]; }, {kinked});
    expect_gradients_match([](const Inputs& v) { return sqrt(v[0]); }, {wave({3, 4}, 0.8, 0.37, 0.1, 1.0)});
    V x(T::from_vector({3}, {-2, 0, 2}), true);
    sum(clamp(x, -2.0, 1.0) + abs(x)).backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 1});  // clamp passes at its bound; |x|' = 0 at 0
    CHECK_THROWS_WITH(clamp(x, 1.0, -1.0), Catch::Contains("clamp: low 1 is above high -1"));
}

TEST_CASE("gradcheck: sum, mean and var along every axis of rank 1 to 4", "[autograd][gradcheck][sum][mean][var]") {
    for (const Shape& shape : {Shape{5}, Shape{3, 4}, Shape{2, 3, 4}, Shape{2, 3, 2, 2}}) {
        for (int axis = -1; axis < shape.rank(); ++axis) {
            for (bool keepdim : {false, true}) {
                INFO(shape << " axis " << axis << " keepdim " << keepdim);
                T x = wave(shape);
                expect_gradients_match([=](const Inputs& v) { return sum(v[0], axis, keepdim); }, {x});
                expect_gradients_match([=](const Inputs& v) { return square(mean(v[0], axis, keepdim)); }, {x});
                expect_gradients_match([=](const Inputs& v) { return var(v[0], axis, keepdim); }, {x});
            }
        }
    }
    expect_gradients_match([](const Inputs& v) { return var(v[0]); }, {wave({2, 3, 4})});
    expect_gradients_match([](const Inputs& v) { return var(v[0], 0, false, 0); }, {wave({2, 3, 4})});
}

TEST_CASE("var and logsumexp have torch's values", "[autograd][var][logsumexp]") {
    V x(T::from_vector({2, 3}, {1, 2, 4, -1, 0, 7}));
    // torch.var(x, 1) = [2.3333, 19.0]; torch.var(x, 1, correction=0) = [1.5556, 12.6667]
    CHECK(var(x, 1).value().to_vector()[0] == Approx(7.0 / 3));
    CHECK(var(x, 1).value().to_vector()[1] == Approx(19.0));
    CHECK(var(x, 1, false, 0).value().to_vector()[1] == Approx(38.0 / 3));
    // torch.logsumexp(x, 0) = [1.1269, 2.1269, 7.0486]
    std::vector<double> lse = logsumexp(x, 0).value().to_vector();
    CHECK(lse[0] == Approx(1.126928));
    CHECK(lse[2] == Approx(7.048587));
    // Large values do not overflow (the shift by the maximum).
    CHECK(logsumexp(x + 1000.0, 1).value().to_vector()[1] == Approx(1007.003420));
    std::vector<double> p = softmax(x, 0).value().to_vector();
    CHECK(p[0] + p[3] == Approx(1.0));
}

TEST_CASE("gradcheck: logsumexp, softmax and log_softmax", "[autograd][gradcheck][logsumexp][softmax][log_softmax]") {
    for (int axis : {0, 1, -1}) {
        INFO("axis " << axis);
        T x = wave({3, 4}, 3.0);
        expect_gradients_match([=](const Inputs& v) { return logsumexp(v[0], axis); }, {x});
        expect_gradients_match([=](const Inputs& v) { return logsumexp(v[0], axis, true); }, {x});
        expect_gradients_match([=](const Inputs& v) { return softmax(v[0], axis); }, {x});
        expect_gradients_match([=](const Inputs& v) { return log_softmax(v[0], axis); }, {x});
    }
    expect_gradients_match([](const Inputs& v) { return softmax(v[0], 1); }, {wave({2, 3, 4}, 2.0)});
}

TEST_CASE("one_hot puts a 1 at each label and rejects labels out of range", "[autograd][one_hot]") {
    T h = one_hot<double>(std::vector<int>{2, 0}, 3);
    CHECK(h.shape() == Shape{2, 3});
    CHECK(h.to_vector() == std::vector<double>{0, 0, 1, 1, 0, 0});
    CHECK_THROWS_WITH(one_hot<double>(std::vector<int>{1, 3}, 3),
                      Catch::Contains("one_hot: label 3 at position 1 is outside [0, 3)"));
}

TEST_CASE("gradcheck: LayerNorm and Embedding through their parameters", "[autograd][gradcheck][layer_norm][embedding]") {
    // The normalisation, then the affine part with weight and bias as checked inputs.
    expect_gradients_match([](const Inputs& v) { return nn::LayerNorm<double>(4, 1e-5, false)(v[0]) * v[1] + v[2]; },
                           {wave({3, 4}), wave({4}, 0.5, 0.7, 0.2, 1.0), wave({4}, 0.3)});
    expect_gradients_match([](const Inputs& v) { return nn::LayerNorm<double>(4, 1e-5, false)(v[0]); }, {wave({2, 3, 4})});
    // Embedding rows as matmul(one_hot, weight): the gradient reaches the rows looked up.
    expect_gradients_match([](const Inputs& v) { return matmul(V(one_hot<double>(std::vector<int>{2, 0, 2}, 3)), v[0]); },
                           {wave({3, 5})});
}

TEST_CASE("LayerNorm and Embedding give torch's values", "[nn][layer_norm][embedding]") {
    nn::LayerNorm<double> norm(3);
    std::vector<double> y = norm(V(T::from_vector({1, 3}, {1, 2, 6}))).value().to_vector();
    // torch.nn.LayerNorm(3)(tensor([[1., 2., 6.]])) = [-0.9258, -0.4629, 1.3887]
    CHECK(y[0] == Approx(-0.9258201).epsilon(1e-5));
    CHECK(y[2] == Approx(1.3887301).epsilon(1e-5));
    Generator gen(1);
    nn::Embedding<double> table(4, 2, gen);
    V rows = table(V(T::from_vector({3}, {3, 0, 3})));
    std::vector<double> w = table.weight().value().to_vector(), r = rows.value().to_vector();
    CHECK(r == std::vector<double>{w[6], w[7], w[0], w[1], w[6], w[7]});
    CHECK(table.named_parameters().at(0).first == "weight");
    CHECK_THROWS_WITH(table(V(T::from_vector({1}, {4}))), Catch::Contains("one_hot: label 4 at position 0 is outside [0, 4)"));
    CHECK_THROWS_WITH(table(V(T::from_vector({1}, {0.5}))), Catch::Contains("Embedding: index 0.5 is not a whole number"));
}

// ---- losses ------------------------------------------------------------------------------------

TEST_CASE("gradcheck: bce on probabilities", "[autograd][gradcheck][bce]") {
    T p = wave({4, 3}, 0.4, 0.37, 0.1, 0.5);  // in [0.1, 0.9]
    T t = wave({4, 3}, 0.5, 0.77, 0.3, 0.5);  // soft targets in [0, 1]
    for (Reduction r : all_reductions) {
        INFO("reduction " << reduction_name(r));
        expect_gradients_match([=](const Inputs& v) { return bce(v[0], t, r); }, {p});
    }
}

TEST_CASE("gradcheck: bce_with_logits", "[autograd][gradcheck][bce_with_logits]") {
    T x = wave({4, 3}, 4.0);
    T t = wave({4, 3}, 0.5, 0.77, 0.3, 0.5);
    for (Reduction r : all_reductions) {
        INFO("reduction " << reduction_name(r));
        expect_gradients_match([=](const Inputs& v) { return bce_with_logits(v[0], t, r); }, {x});
    }
}

TEST_CASE("gradcheck: mse", "[autograd][gradcheck][mse]") {
    T prediction = wave({4, 3}), target = wave({4, 3}, 0.5, 0.5, 1.0);
    for (Reduction r : all_reductions) {
        INFO("reduction " << reduction_name(r));
        expect_gradients_match([=](const Inputs& v) { return mse(v[0], target, r); }, {prediction});
    }
}

TEST_CASE("gradcheck: cross_entropy", "[autograd][gradcheck][cross_entropy]") {
    T logits = wave({4, 5}, 3.0);
    std::vector<int> labels{2, 0, 4, 1};
    for (Reduction r : all_reductions) {
        INFO("reduction " << reduction_name(r));
        expect_gradients_match([=](const Inputs& v) { return cross_entropy(v[0], labels, r); }, {logits});
    }
    // Large logits go through the max-shifted log-sum-exp.
    expect_gradients_match([=](const Inputs& v) { return cross_entropy(v[0] + 500.0, labels); }, {logits});
}

TEST_CASE("gradcheck: gaussian_kl", "[autograd][gradcheck][gaussian_kl]") {
    T mu = wave({3, 4}), logvar = wave({3, 4}, 2.0, 0.23, 0.4);
    for (Reduction r : all_reductions) {
        INFO("reduction " << reduction_name(r));
        expect_gradients_match([=](const Inputs& v) { return gaussian_kl(v[0], v[1], r); }, {mu, logvar});
    }
}

// ---- the checker itself ------------------------------------------------------------------------

namespace {
// y = x^2 with a deliberately wrong backward (3x instead of 2x), built like any op in autograd/.
V wrong_square(const V& x) {
    T out(x.shape());
    for (index_t i = 0; i < out.numel(); ++i) out.data()[i] = x.value().data()[i] * x.value().data()[i];
    return detail::make_result(std::move(out), "wrong_square", {x}, [xv = x.value()](Node<double, Cpu>& self) {
        T& g = self.inputs[0]->grad_buffer();
        for (index_t i = 0; i < g.numel(); ++i) g.data()[i] += self.grad.data()[i] * 3.0 * xv.data()[i];
    });
}
// The same op whose backward writes NaN: comparisons with NaN are false, so a careless `error > tol`
// test would let it pass.
V nan_square(const V& x) {
    T out(x.shape());
    for (index_t i = 0; i < out.numel(); ++i) out.data()[i] = x.value().data()[i] * x.value().data()[i];
    return detail::make_result(std::move(out), "nan_square", {x}, [](Node<double, Cpu>& self) {
        T& g = self.inputs[0]->grad_buffer();
        for (index_t i = 0; i < g.numel(); ++i) g.data()[i] = std::nan("");
    });
}
}  // namespace

TEST_CASE("gradcheck fails on a wrong gradient and names the element", "[autograd][gradcheck]") {
    GradcheckResult result =
        gradcheck([](const Inputs& v) { return wrong_square(v[0]); }, {wave({2, 3}, 1.0, 0.37, 0.1, 2.0)});
    CHECK_FALSE(result.ok);
    CHECK_FALSE(static_cast<bool>(result));
    CHECK(result.max_abs_error > 1.0);
    CHECK_THAT(result.message, Catch::Contains("input 0 [2, 3] element 0"));
}

TEST_CASE("gradcheck fails on a NaN gradient", "[autograd][gradcheck]") {
    GradcheckResult result = gradcheck([](const Inputs& v) { return nan_square(v[0]); }, {wave({2, 3})});
    CHECK_FALSE(result.ok);
    CHECK(std::isnan(result.max_abs_error));
}

TEST_CASE("gradcheck fails when only the second input's gradient is wrong", "[autograd][gradcheck]") {
    GradcheckResult result = gradcheck([](const Inputs& v) { return v[0] * wrong_square(v[1]); },
                                       {wave({2, 3}), wave({2, 3}, 1.0, 0.5, 0.2, 2.0)});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.message, Catch::Contains("input 1"));
}

TEST_CASE("gradcheck passes a correct custom op", "[autograd][gradcheck]") {
    auto square_by_hand = [](const Inputs& v) { return v[0] * v[0]; };
    GradcheckResult result = gradcheck(square_by_hand, {wave({2, 3})});
    CHECK(result.ok);
    CHECK(result.message == "gradcheck: ok");
    CHECK(result.max_abs_error < 1e-6);
}

namespace {
// y = x^3: the tensor backward is right (3x^2), its differentiable form is wrong (2x^2) but
// consistent with its own derivative, so only comparing the two forms can see it.
V cube_with_wrong_graph(const V& x) {
    T out(x.shape());
    for (index_t i = 0; i < out.numel(); ++i) out.data()[i] = std::pow(x.value().data()[i], 3);
    return detail::make_result(
        std::move(out), "cube", {x},
        [xv = x.value()](Node<double, Cpu>& self) {
            T& g = self.inputs[0]->grad_buffer();
            for (index_t i = 0; i < g.numel(); ++i) g.data()[i] += self.grad.data()[i] * 3.0 * xv.data()[i] * xv.data()[i];
        },
        [](GraphGradient<double, Cpu>& graph) { graph.give(0, graph.grad() * square(graph.input(0)) * 2.0); });
}
}  // namespace

TEST_CASE("gradgradcheck fails on a wrong differentiable backward that gradcheck cannot see", "[autograd][gradcheck]") {
    auto cube = [](const Inputs& v) { return cube_with_wrong_graph(v[0]); };
    CHECK(gradcheck(cube, {wave({2, 3})}).ok);
    GradcheckResult second = gradgradcheck(cube, {wave({2, 3})});
    CHECK_FALSE(second.ok);
    CHECK_THAT(second.message, Catch::Contains("gradgradcheck: input 0 [2, 3] element 0: the differentiable backward gives"));
}

TEST_CASE("gradgradcheck names an op without a differentiable backward", "[autograd][gradcheck]") {
    CHECK_THROWS_WITH(gradgradcheck([](const Inputs& v) { return wrong_square(v[0]); }, {wave({2, 3})}),
                      Catch::Contains("grad with create_graph: op 'wrong_square' has no differentiable backward"));
}

TEST_CASE("gradgradcheck fails on a differentiable backward with the right value but a wrong derivative",
          "[autograd][gradcheck]") {
    // The gradient 3x^2 as a constant: right at first order, but its own derivative is 0, not 6x.
    auto detached_cube = [](const Inputs& v) {
        const V& x = v[0];
        T out(x.shape()), slope(x.shape());
        for (index_t i = 0; i < out.numel(); ++i) {
            out.data()[i] = std::pow(x.value().data()[i], 3);
            slope.data()[i] = 3 * x.value().data()[i] * x.value().data()[i];
        }
        return detail::make_result(
            std::move(out), "cube", {x},
            [slope](Node<double, Cpu>& self) {
                T& g = self.inputs[0]->grad_buffer();
                for (index_t i = 0; i < g.numel(); ++i) g.data()[i] += self.grad.data()[i] * slope.data()[i];
            },
            [slope](GraphGradient<double, Cpu>& graph) { graph.give(0, graph.grad() * V(slope)); });
    };
    CHECK(gradcheck(detached_cube, {wave({2, 3})}).ok);
    GradcheckResult second = gradgradcheck(detached_cube, {wave({2, 3})});
    CHECK_FALSE(second.ok);
    CHECK_THAT(second.message, Catch::Contains("gradgradcheck (second order): gradcheck: input 0 [2, 3]"));
}

