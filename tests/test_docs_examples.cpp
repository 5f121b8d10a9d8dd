// The programs shown in README.md and docs/getting-started.md, kept compiling and learning here
// so the documentation cannot drift from the API.
#include <catch2/catch.hpp>

#include <cmath>

#include <aigc/aigc.hpp>

using namespace aigc;

TEST_CASE("README: the XOR program learns XOR", "[docs][learning][adam][bce_with_logits]") {
    Generator gen(42);
    nn::Sequential<float> model(std::make_shared<nn::Linear<float>>(2, 16, gen), std::make_shared<nn::Tanh<float>>(),
                                std::make_shared<nn::Linear<float>>(16, 1, gen));
    optim::Adam<float> opt(model.parameters(), {.lr = 1e-2});
    auto x = Tensor<float>::from_vector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
    auto y = Tensor<float>::from_vector({4, 1}, {0, 1, 1, 0});
    for (int step = 0; step < 500; ++step) {
        auto loss = bce_with_logits(model(Var<float>(x)), y);
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    CHECK(bce_with_logits(model(Var<float>(x)), y).item() < 0.05f);
}

TEST_CASE("getting-started: the 2-D regression reaches a small error", "[docs][learning][adam][mse]") {
    Generator gen(7);
    nn::Sequential<float> net(std::make_shared<nn::Linear<float>>(2, 32, gen), std::make_shared<nn::Tanh<float>>(),
                              std::make_shared<nn::Linear<float>>(32, 1, gen));
    optim::Adam<float> opt(net.parameters(), {.lr = 1e-2});
    auto x = Tensor<float>::uniform({256, 2}, gen, -1.f, 1.f);
    std::vector<float> targets;
    for (index_t i = 0; i < 256; ++i) {
        const float* p = x.data() + 2 * i;
        targets.push_back(std::sin(3 * p[0]) * p[1]);
    }
    auto y = Tensor<float>::from_vector({256, 1}, targets);
    float first = 0, last = 0;
    for (int step = 0; step < 2000; ++step) {
        Var<float> loss = mse(net(Var<float>(x)), y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        (step == 0 ? first : last) = loss.item();
    }
    INFO("first " << first << " last " << last);
    CHECK(last < 0.01f);
    CHECK(last < first / 10);
}

TEST_CASE("api.md: the gradient penalty example trains D through a gradient", "[docs][grad]") {
    using V = Var<float>;
    Generator gen(5);
    nn::Sequential<float> D(std::make_shared<nn::Linear<float>>(4, 8, gen), std::make_shared<nn::Tanh<float>>(),
                            std::make_shared<nn::Linear<float>>(8, 1, gen));
    V x_hat(Tensor<float>::normal({6, 4}, gen), true);
    V loss = mean(D(x_hat));
    // As in docs/api.md:
    V dx = aigc::grad(aigc::sum(D(x_hat)), {x_hat}, {.create_graph = true})[0];
    V penalty = aigc::mean(aigc::square(aigc::sqrt(aigc::sum(aigc::square(dx), 1) + 1e-12f) - 1.0f));
    (loss + penalty * 10.0f).backward();
    // Both terms reach D's first weight, the penalty only through the gradient (second order).
    for (const auto& p : D.parameters()) REQUIRE(p.has_grad());
    CHECK(std::isfinite(D.parameters()[0].grad().to_vector()[0]));
    CHECK(penalty.item() > 0);
}
