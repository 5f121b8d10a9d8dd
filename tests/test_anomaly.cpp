// Anomaly mode: off by default, on through AnomalyMode (RAII) or set_anomaly_mode; when on, the
// first NaN/Inf in a forward output or a backward gradient throws an aigc::Error that names the
// op, the phase and the shapes, and says whether the op's inputs were already non-finite.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include <aigc/all.hpp>

using namespace aigc;
using Catch::Matchers::Contains;

namespace {

using V = Var<double>;
using T = Tensor<double>;

V leaf(std::initializer_list<double> values, Shape shape, bool requires_grad = true) {
    return V(T::from_vector(shape, std::vector<double>(values)), requires_grad);
}

// The message of the aigc::Error that body throws; fails the test when it throws nothing.
template <class F>
std::string error_of(F&& body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("expected an aigc::Error");
    return {};
}

}  // namespace

TEST_CASE("anomaly mode is off by default and lets NaN through silently", "[anomaly][autograd]") {
    REQUIRE_FALSE(anomaly_mode_enabled());
    V x = leaf({1.0, -1.0, 4.0, 0.5}, {2, 2});
    V y = log(x);
    CHECK(std::isnan(y.value().to_vector()[1]));
}

TEST_CASE("AnomalyMode is scoped, nests, and set_anomaly_mode switches it", "[anomaly][autograd]") {
    {
        AnomalyMode on;
        CHECK(anomaly_mode_enabled());
        {
            AnomalyMode off(false);
            CHECK_FALSE(anomaly_mode_enabled());
        }
        CHECK(anomaly_mode_enabled());
    }
    CHECK_FALSE(anomaly_mode_enabled());
    set_anomaly_mode(true);
    CHECK(anomaly_mode_enabled());
    set_anomaly_mode(false);
    CHECK_FALSE(anomaly_mode_enabled());
}

TEST_CASE("anomaly mode belongs to the thread that set it", "[anomaly][autograd]") {
    AnomalyMode on;
    bool seen_by_other_thread = true;
    std::thread other([&] { seen_by_other_thread = anomaly_mode_enabled(); });
    other.join();
    CHECK_FALSE(seen_by_other_thread);
    CHECK(anomaly_mode_enabled());
}

TEST_CASE("anomaly: a NaN forward output names the op, the element and the input shapes", "[anomaly][autograd]") {
    AnomalyMode on;
    V x = leaf({1.0, -1.0, 4.0, 0.5}, {2, 2});
    std::string message = error_of([&] { log(x); });
    CHECK_THAT(message, Contains("anomaly: op 'log' produced NaN (first at element 1)"));
    CHECK_THAT(message, Contains("forward output [2, 2]"));
    CHECK_THAT(message, Contains("inputs [2, 2]: all finite"));
}

TEST_CASE("anomaly: an overflow to Inf in the forward pass is caught with its sign", "[anomaly][autograd]") {
    AnomalyMode on;
    V x = leaf({0.0, 1.0, 1000.0}, {3});
    CHECK_THAT(error_of([&] { exp(x); }), Contains("op 'exp' produced +Inf (first at element 2)"));
    V big = leaf({-1e300, 1.0}, {1, 2});
    V scale = leaf({1e300, 1.0}, {1, 2});
    CHECK_THAT(error_of([&] { mul(big, scale); }), Contains("op 'mul' produced -Inf (first at element 0)"));
}

TEST_CASE("anomaly: an op handed a NaN says which input already held it", "[anomaly][autograd]") {
    V poisoned = leaf({1.0, std::numeric_limits<double>::quiet_NaN(), 2.0, 3.0, 4.0, 5.0}, {2, 3});
    V weight = leaf({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2}, {4, 3});
    AnomalyMode on;
    std::string message = error_of([&] { linear(poisoned, weight); });
    CHECK_THAT(message, Contains("op 'linear' produced NaN"));
    CHECK_THAT(message, Contains("forward output [2, 4]"));
    CHECK_THAT(message, Contains("inputs [2, 3]: holds NaN (first at element 1), [4, 3]: all finite"));
}

TEST_CASE("anomaly: concat checks its output like every other op", "[anomaly][autograd][concat]") {
    V finite = leaf({1.0, 2.0}, {2, 1});
    V poisoned = leaf({3.0, std::numeric_limits<double>::infinity()}, {2, 1});
    AnomalyMode on;
    std::string message = error_of([&] { concat(std::vector<V>{finite, poisoned}); });
    CHECK_THAT(message, Contains("op 'concat' produced +Inf"));
    CHECK_THAT(message, Contains("inputs [2, 1]: all finite, [2, 1]: holds +Inf (first at element 1)"));
}

TEST_CASE("anomaly: a finite forward with an infinite gradient is caught in the backward pass", "[anomaly][autograd]") {
    AnomalyMode on;
    // sqrt(x) = x^0.5 is finite at 0, its derivative 0.5 x^-0.5 is +Inf there.
    V x = leaf({4.0, 0.0, 1.0}, {3});
    V loss = sum(pow(x, 0.5));
    CHECK(loss.item() == 3.0);  // the forward pass went through
    std::string message = error_of([&] { loss.backward(); });
    CHECK_THAT(message, Contains("anomaly: the backward of op 'pow' produced +Inf (first at element 1)"));
    CHECK_THAT(message, Contains("in the gradient of its input 0 [op 'leaf', shape [3]]"));
    CHECK_THAT(message, Contains("output [3], incoming gradient all finite"));
}

TEST_CASE("anomaly: a NaN seed gradient is blamed on the op that passed it on", "[anomaly][autograd]") {
    AnomalyMode on;
    V x = leaf({1.0, 2.0}, {2});
    V y = mul(x, 3.0);
    std::string message = error_of([&] { y.backward(T::from_vector({2}, {1.0, std::nan("")})); });
    CHECK_THAT(message, Contains("the backward of op 'mul' produced NaN (first at element 1)"));
    CHECK_THAT(message, Contains("incoming gradient holds NaN (first at element 1)"));
}

TEST_CASE("anomaly: a loss built on a diverged logit stops at the first bad op", "[anomaly][autograd]") {
    // A tiny D step: logits = x W^T + b, bce_with_logits. A weight blown up to Inf (as after an
    // optimizer step with a huge learning rate) makes the linear output non-finite.
    Tensor<float> x = Tensor<float>::from_vector({2, 2}, {1.f, 2.f, -1.f, 0.5f});
    auto w = parameter(Tensor<float>::from_vector({1, 2}, {std::numeric_limits<float>::infinity(), 1.f}));
    auto b = parameter(Tensor<float>::from_vector({1}, {0.f}));
    Tensor<float> target = Tensor<float>::from_vector({2, 1}, {1.f, 0.f});
    AnomalyMode on;
    std::string message = error_of([&] { bce_with_logits(linear(Var<float>(x), w, b), target); });
    CHECK_THAT(message, Contains("op 'linear' produced +Inf (first at element 0)"));
    CHECK_THAT(message, Contains("[1, 2]: holds +Inf (first at element 0)"));
}

TEST_CASE("anomaly mode changes nothing in a finite training step", "[anomaly][autograd]") {
    auto run = [](bool anomaly) {
        AnomalyMode mode(anomaly);
        Generator rng(7);
        nn::Sequential<double> model(std::make_shared<nn::Linear<double>>(3, 4, rng),
                                     std::make_shared<nn::LeakyReLU<double>>(0.2),
                                     std::make_shared<nn::Linear<double>>(4, 1, rng));
        T x = T::normal({5, 3}, rng);
        T target = T::from_vector({5, 1}, {1, 0, 1, 1, 0});
        V loss = bce_with_logits(model.forward(V(x)), target);
        loss.backward();
        std::vector<double> grads;
        for (auto& p : model.parameters())
            for (double g : p.grad().to_vector()) grads.push_back(g);
        grads.push_back(loss.item());
        return grads;
    };
    CHECK(run(true) == run(false));
}
