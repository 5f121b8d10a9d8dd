#pragma once
// Helpers of the CUDA tests: deterministic inputs, host <-> device round trips and element-wise
// comparisons that report how many elements are off and the worst one.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <aigc/cuda.cuh>

namespace aigc::test {

// n standard-normal values from the CPU generator (seeded: the same numbers every run).
inline std::vector<float> random_values(index_t n, std::uint64_t seed, float stddev = 1.0f) {
    Generator gen(seed);
    return Tensor<float>::normal(Shape{n}, gen, 0.0f, stddev).to_vector();
}

inline std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

template <class T>
Tensor<T, Cuda> upload(const std::vector<T>& values) {
    return Tensor<T, Cuda>::from_vector(Shape{static_cast<index_t>(values.size())}, values);
}

// Passes when |got[i] - want[i]| <= bound[i] for every i (NaN never passes).
template <class T, class U>
void check_within(const std::vector<T>& got, const std::vector<U>& want, const std::vector<double>& bound,
                  const std::string& what) {
    REQUIRE(got.size() == want.size());
    REQUIRE(bound.size() == want.size());
    // Report the first element outside its bound, or (when all pass) the one closest to it.
    std::size_t bad = 0, worst = 0;
    double worst_ratio = -1.0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        double error = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
        if (!(error <= bound[i])) {
            if (bad++ == 0) worst = i;
        } else if (bad == 0) {
            double ratio = bound[i] > 0 ? error / bound[i] : 0.0;
            if (ratio > worst_ratio) {
                worst_ratio = ratio;
                worst = i;
            }
        }
    }
    std::ostringstream out;
    out.precision(9);
    out << what << ": " << bad << " of " << got.size() << " elements outside the bound";
    if (!got.empty())
        out << "; " << (bad ? "first failure" : "closest to the bound") << " at " << worst << ": got " << got[worst]
            << ", want " << want[worst] << ", bound " << bound[worst];
    INFO(out.str());
    CHECK(bad == 0);
}

// Passes when |got - want| <= atol + rtol |want| element-wise.
template <class T, class U>
void check_close(const std::vector<T>& got, const std::vector<U>& want, double atol, double rtol,
                 const std::string& what) {
    std::vector<double> bound(want.size());
    for (std::size_t i = 0; i < want.size(); ++i) bound[i] = atol + rtol * std::fabs(static_cast<double>(want[i]));
    check_within(got, want, bound, what);
}

template <class T>
void check_equal(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
    check_close(got, want, 0.0, 0.0, what);
}

// Routes gemm to cuBLAS for its lifetime (restores our kernel even when a check throws).
struct UseCublas {
    UseCublas() { cuda::set_gemm_backend(cuda::GemmBackend::cublas); }
    ~UseCublas() { cuda::set_gemm_backend(cuda::GemmBackend::ours); }
};

// Routes fill_uniform/fill_normal to cuRAND for its lifetime (restores ours even when a check throws).
struct UseCurand {
    UseCurand() { cuda::set_fill_backend(cuda::FillBackend::curand); }
    ~UseCurand() { cuda::set_fill_backend(cuda::FillBackend::ours); }
};

inline std::string sizes(index_t a, index_t b, index_t c = -1) {
    std::ostringstream out;
    out << "[" << a << ", " << b;
    if (c >= 0) out << ", " << c;
    out << "]";
    return out.str();
}

}  // namespace aigc::test
