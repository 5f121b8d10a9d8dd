#include <catch2/catch.hpp>

#include <aigc/aigc.hpp>

TEST_CASE("a linear layer's gradient passes a finite-difference check") {
    using namespace aigc;
    Generator gen(7);
    auto x = Tensor<double>::normal({4, 3}, gen), w = Tensor<double>::normal({2, 3}, gen);
    auto b = Tensor<double>::normal({2}, gen);
    auto result = gradcheck([](const auto& v) { return linear(v[0], v[1], v[2]); }, {x, w, b});
    INFO(result.message);
    CHECK(result.ok);
}
