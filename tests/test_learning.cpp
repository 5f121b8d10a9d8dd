// End-to-end learning: small MLPs built from nn::Sequential and trained by our optimizers solve
// problems with a known answer. Each run is seeded (same seed -> the same numbers) and full-batch,
// so the thresholds below are properties of one deterministic trajectory, with a wide margin.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include <aigc/all.hpp>

namespace {

using namespace aigc;
using V = Var<float>;
using Tn = Tensor<float>;

// The matrices here are tiny and CTest runs test programs side by side on few cores: one thread
// each is fastest (waking pool threads for a small GEMM costs more than it saves).
const bool single_threaded = (set_num_threads(1), true);

// in -> hidden... -> out with Tanh between the layers (smooth, so a regression fits a smooth target).
std::shared_ptr<nn::Sequential<float>> tanh_mlp(index_t in, const std::vector<index_t>& hidden, index_t out,
                                                Generator& gen) {
    auto net = std::make_shared<nn::Sequential<float>>();
    for (index_t width : hidden) {
        net->push_back(std::make_shared<nn::Linear<float>>(in, width, gen));
        net->push_back(std::make_shared<nn::Tanh<float>>());
        in = width;
    }
    net->push_back(std::make_shared<nn::Linear<float>>(in, out, gen));
    return net;
}

struct XorResult {
    double loss;       // mean BCE over the four points after training
    double accuracy;   // fraction of the four points on the right side of logit 0
    std::vector<float> logits;
};

// XOR is the classic problem a linear model cannot solve: 2-8-1 Tanh MLP, BCE with logits, Adam.
XorResult train_xor(std::uint64_t seed, int steps) {
    Generator gen(seed);
    auto net = tanh_mlp(2, {8}, 1, gen);
    optim::Adam<float> adam(net->parameters(), {.lr = 0.05});
    const Tn x = Tn::from_vector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
    const Tn y = Tn::from_vector({4, 1}, {0, 1, 1, 0});
    for (int step = 0; step < steps; ++step) {
        V loss = bce_with_logits(net->forward(V(x)), y);
        adam.zero_grad();
        loss.backward();
        adam.step();
    }
    NoGrad no_grad;
    V logits = net->forward(V(x));
    XorResult result{bce_with_logits(logits, y).item(), 0.0, logits.value().to_vector()};
    const std::vector<float> targets = y.to_vector();
    for (int i = 0; i < 4; ++i) result.accuracy += ((result.logits[i] > 0) == (targets[i] > 0.5f)) / 4.0;
    return result;
}

// y = sin(x1) + x2^2 on a 15 x 15 grid over [-1.5, 1.5]^2: inputs [225, 2], targets [225, 1].
struct Grid {
    Tn x, y;
    double target_variance;
};
Grid regression_grid() {
    const int side = 15;
    std::vector<float> xs, ys;
    double mean = 0, square = 0;
    for (int i = 0; i < side; ++i)
        for (int j = 0; j < side; ++j) {
            double x1 = -1.5 + 3.0 * i / (side - 1), x2 = -1.5 + 3.0 * j / (side - 1);
            double target = std::sin(x1) + x2 * x2;
            xs.push_back(float(x1));
            xs.push_back(float(x2));
            ys.push_back(float(target));
            mean += target;
            square += target * target;
        }
    const double n = side * side;
    mean /= n;
    return {Tn::from_vector({side * side, 2}, xs), Tn::from_vector({side * side, 1}, ys), square / n - mean * mean};
}

struct RegressionResult {
    double initial_mse, final_mse;
};
// Adam with a cosine-annealed learning rate (to 0 at the last step): the fit settles instead of
// ending on one of constant-lr Adam's loss spikes, so the final MSE is stable across seeds and
// across the rounding of different kernels.
RegressionResult train_regression(const Grid& grid, std::uint64_t seed, int steps) {
    Generator gen(seed);
    auto net = tanh_mlp(2, {32, 32}, 1, gen);
    optim::Adam<float> adam(net->parameters(), {.lr = 2e-2});
    optim::CosineAnnealingLR schedule(adam, steps);
    auto mse_now = [&] {
        NoGrad no_grad;
        return mse(net->forward(V(grid.x)), grid.y).item();
    };
    RegressionResult result{mse_now(), 0.0};
    for (int step = 0; step < steps; ++step) {
        V loss = mse(net->forward(V(grid.x)), grid.y);
        adam.zero_grad();
        loss.backward();
        adam.step();
        schedule.step();
    }
    result.final_mse = mse_now();
    return result;
}

}  // namespace

TEST_CASE("a 2-8-1 MLP learns XOR to 100% accuracy and BCE < 0.05 within 300 Adam steps",
          "[learning][adam][bce_with_logits]") {
    XorResult first = train_xor(7, 300);
    INFO("final loss " << first.loss << ", logits " << first.logits[0] << " " << first.logits[1] << " "
                       << first.logits[2] << " " << first.logits[3]);
    CHECK(first.accuracy == 1.0);
    CHECK(first.loss < 0.05);

    // Another initialisation solves it too: the result is not a lucky seed.
    XorResult other_seed = train_xor(123, 300);
    CHECK(other_seed.accuracy == 1.0);
    CHECK(other_seed.loss < 0.05);

    // Seeded and deterministic: the same seed repeats the trajectory bit for bit.
    XorResult again = train_xor(7, 300);
    CHECK(again.logits == first.logits);
    CHECK(again.loss == first.loss);
}

TEST_CASE("a 2-32-32-1 MLP fits y = sin(x1) + x2^2 on a grid to MSE < 5e-4 within 800 Adam steps",
          "[learning][adam][mse][lr_scheduler]") {
    Grid grid = regression_grid();
    RegressionResult r = train_regression(grid, 11, 800);
    INFO("target variance " << grid.target_variance << ", MSE " << r.initial_mse << " -> " << r.final_mse);
    // Measured: 0.65e-4 .. 1.3e-4 for seeds 11..14; the target's variance is 1.09.
    CHECK(r.final_mse < 5e-4);
    CHECK(r.final_mse < r.initial_mse / 1000);

    RegressionResult other_seed = train_regression(grid, 12, 800);
    CHECK(other_seed.final_mse < 5e-4);

    RegressionResult again = train_regression(grid, 11, 800);
    CHECK(again.final_mse == r.final_mse);
}
