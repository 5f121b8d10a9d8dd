// An outside program built against the installed aigc: one tanh unit learns y = tanh(2x + 1) on
// x in [-1, 1] by full-batch gradient descent. The target lies inside the model family, so the
// mean squared error goes to ~0; exits 0 only if it ends below 1e-6.
// Only the autograd layer, which keeps this check quick to compile.
#include <aigc/autograd/autograd.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    using namespace aigc;
    const index_t points = 32;
    std::vector<float> xs, ys;
    for (index_t i = 0; i < points; ++i) {
        float x = -1.0f + 2.0f * static_cast<float>(i) / static_cast<float>(points - 1);
        xs.push_back(x);
        ys.push_back(std::tanh(2.0f * x + 1.0f));
    }
    Var<float> x(Tensor<float>::from_vector({points, 1}, xs));  // x [32, 1]
    auto y = Tensor<float>::from_vector({points, 1}, ys);        // y [32, 1]
    auto weight = parameter(Tensor<float>::zeros({1, 1}));       // [out, in]
    auto bias = parameter(Tensor<float>::zeros({1}));

    const float learning_rate = 0.5f, target_loss = 1e-6f;
    float loss_value = 0.0f;
    for (int step = 0; step < 500; ++step) {
        auto loss = mse(tanh(linear(x, weight, bias)), y);
        loss_value = loss.item();
        weight.zero_grad();
        bias.zero_grad();
        loss.backward();
        for (auto* p : {&weight, &bias})  // gradient descent: p -= lr * dL/dp
            for (index_t i = 0; i < p->numel(); ++i) p->value().data()[i] -= learning_rate * p->grad().data()[i];
    }
    std::printf("mse %.3g (must be below %.0e), weight %.4f (2), bias %.4f (1)\n", loss_value, target_loss,
                weight.item(), bias.item());
    return loss_value < target_loss ? 0 : 1;
}
