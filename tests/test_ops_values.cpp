// Forward values (and some gradients) in float against PyTorch 1.13. The reference numbers come
// from tests/reference/ops_reference.py (run with /usr/bin/python3) and are pasted below; both
// sides build their inputs from the same formula `wave`, evaluated in double and rounded to float.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <vector>

#include <aigc/autograd/autograd.hpp>

using namespace aigc;

namespace {

using V = Var<float>;
using T = Tensor<float>;

// float(scale * sin(freq * i + phase)), i = 0..n-1: identical to `wave` in ops_reference.py.
std::vector<float> wave(index_t n, double scale = 1.0, double freq = 0.37, double phase = 0.1) {
    std::vector<float> values(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i)
        values[static_cast<std::size_t>(i)] =
            static_cast<float>(scale * std::sin(freq * static_cast<double>(i) + phase));
    return values;
}

// Relative tolerance for float results computed in a different order than PyTorch's. Expected
// zeros get an absolute margin far below float's smallest normal number (1.2e-38): PyTorch and we
// may disagree on sub-normal results such as sigmoid(-100) = 3.8e-44, but a value that should be
// 1.9e-22 (softplus(-50)) cannot hide behind the margin.
void expect_values(const std::vector<float>& actual, const std::vector<float>& expected, double relative = 2e-5) {
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
        INFO("element " << i << ": actual " << actual[i] << ", expected " << expected[i]);
        CHECK(std::isfinite(actual[i]));
        CHECK(actual[i] == Approx(expected[i]).epsilon(relative).margin(1e-30));
    }
}
void expect_values(const V& actual, const std::vector<float>& expected) {
    expect_values(actual.value().to_vector(), expected);
}

// loss(r) for each reduction against PyTorch's reduction='none' / 'mean' / 'sum'.
template <class Loss>
void expect_reductions(Loss loss, const std::vector<float>& none, const std::vector<float>& mean_value,
                       const std::vector<float>& sum_value) {
    {
        INFO("reduction none");
        expect_values(loss(Reduction::none), none);
    }
    {
        INFO("reduction mean");
        expect_values(loss(Reduction::mean), mean_value);
    }
    {
        INFO("reduction sum");
        expect_values(loss(Reduction::sum), sum_value);
    }
}

}  // namespace

TEST_CASE("bce matches PyTorch, including the clamp at p = 0 and p = 1", "[autograd][bce]") {
    const std::vector<float> bce_none = {
        100.0f, 100.0f, 0.0f, -0.0f, 0.526134551f, 0.105360545f, 18.420681f, 0.693147182f
    };
    const std::vector<float> bce_mean = {27.4681664f};
    const std::vector<float> bce_sum = {219.745331f};
    const std::vector<float> bce_mean_grad = {
        -1.24999999e+11f, 1.24999999e+11f, 0.0f, 0.0f, 0.0595238134f, -0.138888896f, -12500000.0f, 0.0f
    };
    auto p = parameter(T::from_vector({8}, {0.0f, 1.0f, 0.0f, 1.0f, 0.3f, 0.9f, 1e-8f, 0.5f}));
    auto t = T::from_vector({8}, {1.0f, 0.0f, 0.0f, 1.0f, 0.2f, 1.0f, 1.0f, 0.5f});
    expect_reductions([&](Reduction r) { return bce(p, t, r); }, bce_none, bce_mean, bce_sum);
    // The gradient clamps its denominator p (1 - p) at 1e-12, as PyTorch does: finite at p = 0 and 1.
    bce(p, t).backward();
    expect_values(p.grad().to_vector(), bce_mean_grad);
}

TEST_CASE("bce_with_logits matches PyTorch and stays finite at |x| = 100", "[autograd][bce_with_logits]") {
    const std::vector<float> bwl_none = {
        100.0f, 0.0f, 0.0f, 100.0f, 20.0f, 20.0f, 0.651413381f, 0.693147182f, 1.10318613f, 1.54858732f
    };
    const std::vector<float> bwl_mean = {24.3996315f};
    const std::vector<float> bwl_sum = {243.996323f};
    const std::vector<float> bwl_mean_grad = {
        -0.100000001f, 0.0f, 0.0f, 0.100000001f, -0.100000001f, 0.100000001f, -0.0117574483f, -0.0500000007f,
        0.0668187737f, 0.0452574119f
    };
    auto x = parameter(
        T::from_vector({10}, {-100.0f, -100.0f, 100.0f, 100.0f, -20.0f, 20.0f, -1.5f, 0.0f, 0.7f, 3.0f}));
    auto t = T::from_vector({10}, {1.0f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.3f, 1.0f, 0.0f, 0.5f});
    expect_reductions([&](Reduction r) { return bce_with_logits(x, t, r); }, bwl_none, bwl_mean, bwl_sum);
    bce_with_logits(x, t).backward();
    expect_values(x.grad().to_vector(), bwl_mean_grad);
}

TEST_CASE("cross_entropy matches PyTorch, including logits around 1000", "[autograd][cross_entropy]") {
    const std::vector<float> ce_none = {1.70214736f, 0.635157108f, 1.66355181f, 3.51682782f};
    const std::vector<float> ce_mean = {1.879421f};
    const std::vector<float> ce_sum = {7.51768398f};
    const std::vector<float> ce_mean_grad = {
        0.0065855924f, 0.0189924799f, -0.204427093f, 0.0808206275f, 0.0980283841f, -0.117536947f, 0.0734143257f,
        0.0302235652f, 0.0104221264f, 0.0034769224f, 0.0948122442f, 0.0455148369f, 0.0309365708f, 0.031370163f,
        -0.202633798f, 0.00274544442f, -0.242576629f, 0.0223072972f, 0.0641947016f, 0.153329194f
    };
    std::vector<float> values = wave(20, 3.0);
    for (std::size_t j = 15; j < 20; ++j) values[j] += 1000.0f;  // row 3: exp would overflow unshifted
    auto logits = parameter(T::from_vector({4, 5}, values));
    std::vector<int> labels{2, 0, 4, 1};
    expect_reductions([&](Reduction r) { return cross_entropy(logits, labels, r); }, ce_none, ce_mean, ce_sum);
    cross_entropy(logits, labels).backward();
    expect_values(logits.grad().to_vector(), ce_mean_grad);
}

TEST_CASE("gaussian_kl matches PyTorch's -1/2 (1 + logvar - mu^2 - exp(logvar))", "[autograd][gaussian_kl]") {
    const std::vector<float> kl_none = {
        0.205033004f, 0.637814522f, 1.29567361f, 1.99605525f, 2.501688f, 2.62462974f, 2.32676864f, 1.74590862f,
        1.11904359f, 0.653757691f, 0.43520999f, 0.417767018f
    };
    const std::vector<float> kl_sum = {15.9593506f};
    const std::vector<float> kl_mean = {1.32994592f};
    const std::vector<float> kl_sum_grad_mu = {
        0.099833414f, 0.452886283f, 0.744643092f, 0.935616016f, 0.999957621f, 0.928959727f, 0.732231438f,
        0.436399072f, 0.0815021545f, -0.284425706f, -0.611857891f, -0.856477976f
    };
    const std::vector<float> kl_sum_grad_logvar = {
        0.589468002f, 1.12440622f, 1.77626944f, 2.4449935f, 2.97044539f, 3.19293046f, 3.03688383f, 2.55577707f,
        1.90003824f, 1.2355423f, 0.675404787f, 0.261007071f
    };
    auto mu = parameter(T::from_vector({3, 4}, wave(12)));
    auto logvar = parameter(T::from_vector({3, 4}, wave(12, 2.0, 0.23, 0.4)));
    expect_reductions([&](Reduction r) { return gaussian_kl(mu, logvar, r); }, kl_none, kl_mean, kl_sum);
    gaussian_kl(mu, logvar).backward();  // the default reduction is sum (the VAE's KL term)
    expect_values(mu.grad().to_vector(), kl_sum_grad_mu);
    expect_values(logvar.grad().to_vector(), kl_sum_grad_logvar);
}

TEST_CASE("softplus and sigmoid match PyTorch at |x| up to 100", "[autograd][softplus][sigmoid]") {
    const std::vector<float> softplus_values = {
        3.78350585e-44f, 1.92874989e-22f, 2.06115369e-09f, 0.048587352f, 0.474076986f, 0.693147182f, 0.974076986f,
        3.04858732f, 20.0f, 25.0f, 50.0f, 100.0f
    };
    const std::vector<float> sigmoid_values = {
        0.0f, 1.92874989e-22f, 2.06115369e-09f, 0.0474258736f, 0.377540678f, 0.5f, 0.622459352f, 0.952574134f, 1.0f,
        1.0f, 1.0f, 1.0f
    };
    const std::vector<float> softplus_grad = {
        3.78350585e-44f, 1.92874989e-22f, 2.06115369e-09f, 0.0474258736f, 0.377540678f, 0.5f, 0.622459352f,
        0.952574134f, 1.0f, 1.0f, 1.0f, 1.0f
    };
    auto x = parameter(T::from_vector(
        {12}, {-100.0f, -50.0f, -20.0f, -3.0f, -0.5f, 0.0f, 0.5f, 3.0f, 20.0f, 25.0f, 50.0f, 100.0f}));
    expect_values(softplus(x), softplus_values);
    expect_values(sigmoid(x), sigmoid_values);
    sum(softplus(x)).backward();
    expect_values(x.grad().to_vector(), softplus_grad);
}

TEST_CASE("mse matches PyTorch", "[autograd][mse]") {
    const std::vector<float> mse_none = {
        0.160133287f, 0.000198669266f, 0.225142613f, 0.810445368f, 1.45933902f, 1.76765418f, 1.50608778f,
        0.818350792f, 0.166728437f, 0.0320509523f, 0.568047106f, 1.46606767f, 2.14699531f, 2.15746808f, 1.48873889f
    };
    const std::vector<float> mse_mean = {0.984896541f};
    const std::vector<float> mse_sum = {14.773448f};
    const std::vector<float> mse_mean_grad = {
        -0.0533555448f, 0.00187933457f, 0.0632655993f, 0.120032996f, 0.161070809f, 0.177270889f, 0.163630366f,
        0.120617002f, 0.0544431955f, -0.0238703731f, -0.100491874f, -0.161441714f, -0.195368394f, -0.195844308f,
        -0.162685201f
    };
    auto prediction = parameter(T::from_vector({3, 5}, wave(15)));
    auto target = T::from_vector({3, 5}, wave(15, 0.5, 0.5, std::numbers::pi / 2));
    expect_reductions([&](Reduction r) { return mse(prediction, target, r); }, mse_none, mse_mean, mse_sum);
    mse(prediction, target).backward();
    expect_values(prediction.grad().to_vector(), mse_mean_grad);
}

TEST_CASE("linear and its gradients match PyTorch", "[autograd][linear]") {
    const std::vector<float> linear_values = {
        0.949778557f, 0.862361491f, 1.03926647f, 1.30433989f, -0.579448879f, -0.98955965f
    };
    const std::vector<float> linear_grad_x = {
        0.336911052f, 0.390113413f, 0.422769606f, 0.433159679f, 0.200736448f, 0.244185701f, 0.274774373f,
        0.290891439f, 0.348269165f, 0.427521944f, 0.484258324f, 0.515490174f
    };
    const std::vector<float> linear_grad_w = {
        0.499807298f, 0.365508527f, 0.181739822f, -0.0266264006f, 0.341546357f, 0.34857288f, 0.308421671f,
        0.22652708f
    };
    const std::vector<float> linear_grad_b = {1.57544994f, 1.19573271f};
    auto x = parameter(T::from_vector({3, 4}, wave(12)));
    auto w = parameter(T::from_vector({2, 4}, wave(8, 0.5, 0.23, 0.4)));
    auto b = parameter(T::from_vector({2}, {0.1f, -0.2f}));
    V y = linear(x, w, b);
    expect_values(y, linear_values);
    sum(tanh(y)).backward();  // a non-trivial upstream gradient 1 - tanh^2
    expect_values(x.grad().to_vector(), linear_grad_x);
    expect_values(w.grad().to_vector(), linear_grad_w);
    expect_values(b.grad().to_vector(), linear_grad_b);
}
