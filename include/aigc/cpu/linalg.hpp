#pragma once
// Host-side dense linear algebra for the sample-quality metrics (models/metrics.hpp): fitting a
// Gaussian to a feature set and the Fréchet distance between two fitted Gaussians, which needs a
// symmetric eigen-decomposition. Eigen belongs to this backend, so this is where it is used; the
// callers pass plain row-major host arrays. Not part of the kernel table: nothing trains through
// it, and a metric computed once per epoch has no reason to run on the GPU. Not in <aigc/cpu.hpp>
// either, so only programs that compute metrics compile Eigen's eigensolver.
#include <vector>

#include "simd_headers.hpp"  // Eigen/Core, with the GCC 12 intrinsics warning silenced
#include <Eigen/Eigenvalues>

#include "../core/error.hpp"
#include "../core/shape.hpp"

namespace aigc::cpu {

// A Gaussian fitted to n samples of dimension d.
struct Gaussian {
    index_t dim = 0;
    std::vector<double> mean;        // [d]
    std::vector<double> covariance;  // [d, d], row-major; unbiased (divided by n - 1)
};

namespace detail {
using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Symmetric PSD square root through the eigen-decomposition (negative round-off clipped to 0).
inline Eigen::MatrixXd psd_sqrt(const Eigen::MatrixXd& a) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(a);
    Eigen::VectorXd roots = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    return solver.eigenvectors() * roots.asDiagonal() * solver.eigenvectors().transpose();
}

inline Eigen::MatrixXd covariance_matrix(const Gaussian& g) {
    return Eigen::Map<const RowMajor>(g.covariance.data(), g.dim, g.dim);
}
}  // namespace detail

// x [n, d] row-major, n >= 2; the samples are read in double.
template <class T>
Gaussian fit_gaussian(const T* x, index_t n, index_t d) {
    AIGC_CHECK(n >= 2 && d >= 1, "fit_gaussian: need at least 2 samples of dimension >= 1, given ", n, " of ", d);
    Eigen::MatrixXd samples(n, d);
    for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < d; ++j) samples(i, j) = static_cast<double>(x[i * d + j]);
    Eigen::RowVectorXd mu = samples.colwise().mean();
    Eigen::MatrixXd centered = samples.rowwise() - mu;
    Eigen::MatrixXd cov = centered.transpose() * centered / double(n - 1);
    Gaussian g{d, std::vector<double>(mu.data(), mu.data() + d), std::vector<double>(static_cast<std::size_t>(d * d))};
    Eigen::Map<detail::RowMajor>(g.covariance.data(), d, d) = cov;
    return g;
}

// Fréchet distance between two Gaussians of the same dimension:
//   |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)
// (the symmetric form of tr sqrt(S_a S_b), which has the same eigenvalues; the product is
// symmetrised before its square root so round-off cannot make the eigensolver see an asymmetric matrix).
inline double frechet_distance(const Gaussian& a, const Gaussian& b) {
    AIGC_CHECK(a.dim == b.dim, "frechet_distance: Gaussians of dimension ", a.dim, " and ", b.dim);
    // Owning copies, not Maps: Eigen's vectorised sums start at the first aligned element, so a Map
    // over a vector's storage could round differently from run to run of the allocator.
    Eigen::RowVectorXd mu_a = Eigen::Map<const Eigen::RowVectorXd>(a.mean.data(), a.dim);
    Eigen::RowVectorXd mu_b = Eigen::Map<const Eigen::RowVectorXd>(b.mean.data(), b.dim);
    Eigen::MatrixXd cov_a = detail::covariance_matrix(a), cov_b = detail::covariance_matrix(b);
    Eigen::MatrixXd root_a = detail::psd_sqrt(cov_a);
    Eigen::MatrixXd middle = root_a * cov_b * root_a;
    double trace_sqrt = detail::psd_sqrt(0.5 * (middle + middle.transpose())).trace();
    return (mu_a - mu_b).squaredNorm() + cov_a.trace() + cov_b.trace() - 2.0 * trace_sqrt;
}

}  // namespace aigc::cpu
