#pragma once
// Sample-quality metrics in the feature space of our MNIST classifier. These are classifier-based
// analogues of FID and Inception Score, not the Inception-v3 numbers papers report: comparable
// between our runs, not with published values.
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "../cpu.hpp"

namespace aigc::models {

namespace detail {
inline Eigen::MatrixXd to_matrix(const Tensor<float, Cpu>& t) {
    Eigen::MatrixXd m(t.shape()[0], t.shape()[1]);
    auto host = t.to_vector();
    for (index_t i = 0; i < m.rows(); ++i)
        for (index_t j = 0; j < m.cols(); ++j) m(i, j) = host[static_cast<std::size_t>(i * m.cols() + j)];
    return m;
}
// Symmetric PSD square root through the eigen-decomposition (negative round-off clipped to 0).
inline Eigen::MatrixXd psd_sqrt(const Eigen::MatrixXd& a) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(a);
    Eigen::VectorXd roots = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    return solver.eigenvectors() * roots.asDiagonal() * solver.eigenvectors().transpose();
}
}  // namespace detail

// Fréchet distance between Gaussians fitted to two feature sets [n, d]:
//   |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)
// (the symmetric form of tr sqrt(S_a S_b), which has the same eigenvalues).
inline double frechet_distance(const Tensor<float, Cpu>& features_a, const Tensor<float, Cpu>& features_b) {
    AIGC_CHECK(features_a.rank() == 2 && features_b.rank() == 2 && features_a.shape()[1] == features_b.shape()[1],
               "frechet_distance: feature sets must be [n, d] with the same d, given ", features_a.shape(), " and ",
               features_b.shape());
    AIGC_CHECK(features_a.shape()[0] >= 2 && features_b.shape()[0] >= 2,
               "frechet_distance: need at least 2 samples per set, given ", features_a.shape()[0], " and ",
               features_b.shape()[0]);
    auto stats = [](const Eigen::MatrixXd& x) {
        Eigen::RowVectorXd mu = x.colwise().mean();
        Eigen::MatrixXd centered = x.rowwise() - mu;
        Eigen::MatrixXd cov = centered.transpose() * centered / double(x.rows() - 1);
        return std::make_pair(mu, cov);
    };
    auto [mu_a, cov_a] = stats(detail::to_matrix(features_a));
    auto [mu_b, cov_b] = stats(detail::to_matrix(features_b));
    Eigen::MatrixXd root_a = detail::psd_sqrt(cov_a);
    Eigen::MatrixXd middle = root_a * cov_b * root_a;
    double trace_sqrt = detail::psd_sqrt(0.5 * (middle + middle.transpose())).trace();
    return (mu_a - mu_b).squaredNorm() + cov_a.trace() + cov_b.trace() - 2.0 * trace_sqrt;
}

// exp(E_x KL(p(y|x) || p(y))) from class probabilities [n, classes]; 1 (worst) .. classes (best).
inline double inception_score(const Tensor<float, Cpu>& probabilities) {
    AIGC_CHECK(probabilities.rank() == 2 && probabilities.shape()[0] > 0,
               "inception_score: expected probabilities [n, classes], given ", probabilities.shape());
    Eigen::MatrixXd p = detail::to_matrix(probabilities);
    Eigen::RowVectorXd marginal = p.colwise().mean();
    double kl_total = 0;
    for (index_t i = 0; i < p.rows(); ++i)
        for (index_t j = 0; j < p.cols(); ++j)
            if (p(i, j) > 0) kl_total += p(i, j) * (std::log(p(i, j)) - std::log(marginal(j)));
    return std::exp(kl_total / double(p.rows()));
}

}  // namespace aigc::models
