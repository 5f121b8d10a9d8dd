#pragma once
// What test_dist.cpp (MPI, CPU tensors) and test_nccl.cu (NCCL, GPU tensors) share: failures
// counted per rank instead of Catch2 (every rank must reach every collective in the same order),
// the values each rank contributes, and the rows of a fixed whole batch.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace dist_checks {

inline int failures = 0;
inline int rank_for_messages = 0;

inline void check(bool ok, const std::string& what) {
    if (ok) return;
    ++failures;
    std::cerr << "rank " << rank_for_messages << ": FAILED: " << what << "\n";
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const aigc::Error& e) {
        return e.what();
    }
    return "";
}

// Rank r holds r + 1 + i / 8 at index i: exact in float and double, sums known in closed form.
template <class T, class D = aigc::Cpu>
aigc::Tensor<T, D> ranked(aigc::index_t n, int rank) {
    std::vector<T> values(static_cast<std::size_t>(n));
    for (aigc::index_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = T(rank + 1) + T(i) / T(8);
    return aigc::Tensor<T, D>::from_vector(aigc::Shape{n}, values);
}

// How many values of ranked() summed, and averaged, over `size` ranks are wrong: the sums must be
// exact, the means within `tolerance` relative.
template <class T>
std::pair<int, int> wrong_sum_and_mean(const std::vector<T>& sum, const std::vector<T>& mean, int size, T tolerance) {
    const T rank_sum = T(size * (size + 1) / 2);  // sum of rank + 1
    int wrong_sum = 0, wrong_mean = 0;
    for (std::size_t i = 0; i < sum.size(); ++i) {
        const T expected = rank_sum + T(size) * T(i) / T(8);
        wrong_sum += sum[i] != expected;
        wrong_mean += std::abs(mean[i] - expected / T(size)) > tolerance * expected;
    }
    return {wrong_sum, wrong_mean};
}

// comm.all_reduce of ranked() values on device D, summed and averaged, at awkward lengths; `call`
// names the collective in the failures.
template <class T, class D, class Comm>
void check_all_reduce(const Comm& comm, const std::string& call, T mean_tolerance) {
    for (aigc::index_t n : {1, 17, 1023, 100003}) {
        auto sum = ranked<T, D>(n, comm.rank());
        comm.all_reduce(sum, aigc::dist::Reduce::sum);
        auto mean = ranked<T, D>(n, comm.rank());
        comm.all_reduce(mean, aigc::dist::Reduce::mean);
        const auto [wrong_sum, wrong_mean] = wrong_sum_and_mean(sum.to_vector(), mean.to_vector(), comm.size(), mean_tolerance);
        check(wrong_sum == 0, call + " sum of " + std::to_string(n) + " values: " + std::to_string(wrong_sum) + " wrong");
        check(wrong_mean == 0, call + " mean of " + std::to_string(n) + " values: " + std::to_string(wrong_mean) + " wrong");
    }
}

// Rows [first, first + count) of a fixed whole batch of `width` columns.
template <class D = aigc::Cpu>
aigc::Tensor<float, D> rows(aigc::index_t first, aigc::index_t count, aigc::index_t width, float phase) {
    std::vector<float> v(static_cast<std::size_t>(count * width));
    for (aigc::index_t i = 0; i < count * width; ++i)
        v[static_cast<std::size_t>(i)] = std::sin(0.37f * float(first * width + i) + phase);
    return aigc::Tensor<float, D>::from_vector(aigc::Shape{count, width}, v);
}

inline float max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
    float scale = 0, diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::abs(b[i]));
        diff = std::max(diff, std::abs(a[i] - b[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

}  // namespace dist_checks
