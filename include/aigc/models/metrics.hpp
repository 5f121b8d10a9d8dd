#pragma once
// Sample-quality metrics in the feature space of our MNIST classifier. These are classifier-based
// analogues of FID and Inception Score, not the Inception-v3 numbers papers report: comparable
// between our runs, not with published values.
#include <cmath>
#include <vector>

#include "../cpu.hpp"
#include "../cpu/linalg.hpp"

namespace aigc::models {

// Fréchet distance between Gaussians fitted to two feature sets [n, d] (cpu::frechet_distance has
// the formula).
inline double frechet_distance(const Tensor<float, Cpu>& features_a, const Tensor<float, Cpu>& features_b) {
    AIGC_CHECK(features_a.rank() == 2 && features_b.rank() == 2 && features_a.shape()[1] == features_b.shape()[1] &&
                   features_a.shape()[1] >= 1,
               "frechet_distance: feature sets must be [n, d] with the same d >= 1, given ", features_a.shape(),
               " and ", features_b.shape());
    AIGC_CHECK(features_a.shape()[0] >= 2 && features_b.shape()[0] >= 2,
               "frechet_distance: need at least 2 samples per set, given ", features_a.shape()[0], " and ",
               features_b.shape()[0]);
    auto fit = [](const Tensor<float, Cpu>& features) {
        const std::vector<float> host = features.to_vector();
        return cpu::fit_gaussian(host.data(), features.shape()[0], features.shape()[1]);
    };
    return cpu::frechet_distance(fit(features_a), fit(features_b));
}

// exp(E_x KL(p(y|x) || p(y))) from class probabilities [n, classes]; 1 (worst) .. classes (best).
inline double inception_score(const Tensor<float, Cpu>& probabilities) {
    AIGC_CHECK(probabilities.rank() == 2 && probabilities.shape()[0] > 0,
               "inception_score: expected probabilities [n, classes], given ", probabilities.shape());
    const index_t n = probabilities.shape()[0], classes = probabilities.shape()[1];
    const std::vector<float> p = probabilities.to_vector();
    auto at = [&](index_t i, index_t j) { return static_cast<double>(p[static_cast<std::size_t>(i * classes + j)]); };
    std::vector<double> marginal(static_cast<std::size_t>(classes), 0.0);  // p(y), the mean over x
    for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < classes; ++j) marginal[static_cast<std::size_t>(j)] += at(i, j);
    for (double& m : marginal) m /= double(n);
    double kl_total = 0;
    for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < classes; ++j)
            if (at(i, j) > 0)
                kl_total += at(i, j) * (std::log(at(i, j)) - std::log(marginal[static_cast<std::size_t>(j)]));
    return std::exp(kl_total / double(n));
}

}  // namespace aigc::models
