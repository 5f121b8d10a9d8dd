// The Philox generator: known-answer block, reproducibility, state save/restore, and the
// distribution of the uniform and normal fills.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <aigc/aigc.hpp>

using namespace aigc;

namespace {

template <class T>
std::vector<T> uniform_fill(Generator& gen, index_t n, T low = T(0), T high = T(1)) {
    return Tensor<T>::uniform({n}, gen, low, high).to_vector();
}
template <class T>
std::vector<T> normal_fill(Generator& gen, index_t n, T mean = T(0), T stddev = T(1)) {
    return Tensor<T>::normal({n}, gen, mean, stddev).to_vector();
}

template <class T>
void expect_moments(const std::vector<T>& values, double mean, double stddev, double tolerance) {
    double sum = 0.0, sum_sq = 0.0;
    for (T v : values) {
        sum += v;
        sum_sq += static_cast<double>(v) * v;
    }
    double n = static_cast<double>(values.size());
    double sample_mean = sum / n;
    double sample_std = std::sqrt(sum_sq / n - sample_mean * sample_mean);
    CHECK(sample_mean == Approx(mean).margin(tolerance));
    CHECK(sample_std == Approx(stddev).margin(tolerance));
}

}  // namespace

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vector", "[generator][philox]") {
    // Random123's kat_vectors: philox4x32 10 rounds, counter {0, 0, 0, 0}, key {0, 0}.
    philox::Block b = philox::generate(0, 0);
    CHECK(b.v[0] == 0x6627e8d5u);
    CHECK(b.v[1] == 0xe169c58du);
    CHECK(b.v[2] == 0xbc57ac4cu);
    CHECK(b.v[3] == 0x9b00dbd8u);
}

TEST_CASE("the same seed gives the same stream, a different seed a different one", "[generator][fill]") {
    Generator a(123), b(123), c(124);
    auto from_a = uniform_fill<float>(a, 1000), from_b = uniform_fill<float>(b, 1000);
    auto from_c = uniform_fill<float>(c, 1000);
    CHECK(from_a == from_b);
    index_t equal = 0;
    for (std::size_t i = 0; i < from_a.size(); ++i) equal += from_a[i] == from_c[i];
    CHECK(equal < 5);  // 2^-24 resolution: a handful of coincidences at most
    CHECK(normal_fill<double>(a, 10) == normal_fill<double>(b, 10));
}

TEST_CASE("reserve advances the offset so consecutive fills differ", "[generator]") {
    Generator gen(7);
    CHECK(gen.seed() == 7);
    CHECK(gen.offset() == 0);
    RandomStream first = gen.reserve(10);  // 10 values = 3 blocks of 4
    CHECK(first.seed == 7);
    CHECK(first.offset == 0);
    CHECK(gen.offset() == 3);
    RandomStream second = gen.reserve(4);
    CHECK(second.offset == 3);
    CHECK(gen.offset() == 4);
    gen.reserve(0);
    CHECK(gen.offset() == 4);

    Generator fresh(7);
    auto one = uniform_fill<float>(fresh, 100), two = uniform_fill<float>(fresh, 100);
    CHECK(one != two);
}

TEST_CASE("element i of a fill depends only on (seed, offset, i)", "[generator][philox][fill]") {
    // Counter-based: a short fill is a prefix of a long fill from the same state, and the CUDA
    // backend computing element i in its own thread draws the same number.
    Generator a(99), b(99);
    auto shorter = uniform_fill<double>(a, 7), longer = uniform_fill<double>(b, 1000);
    CHECK(std::equal(shorter.begin(), shorter.end(), longer.begin()));
    RandomStream s = Generator(99).reserve(1000);
    for (std::uint64_t i : {0u, 1u, 5u, 999u})
        CHECK(longer[i] == philox::uniform_at<double>(s.seed, s.offset, i));
}

TEST_CASE("set_state resumes a stream exactly", "[generator][state]") {
    Generator original(2024);
    uniform_fill<float>(original, 37);
    normal_fill<float>(original, 5);
    std::uint64_t seed = original.seed(), offset = original.offset();
    auto continued = normal_fill<float>(original, 50);

    Generator restored(1);
    restored.set_state(seed, offset);
    CHECK(restored.seed() == 2024);
    CHECK(restored.offset() == offset);
    CHECK(normal_fill<float>(restored, 50) == continued);
    CHECK(restored.offset() == original.offset());
}

TEST_CASE("uniform fills are above 0 and at most 1 with mean 1/2, and scale to a low..high range",
          "[generator][fill]") {
    Generator gen(5);
    auto u = uniform_fill<float>(gen, 100000);
    CHECK(*std::min_element(u.begin(), u.end()) > 0.0f);
    CHECK(*std::max_element(u.begin(), u.end()) <= 1.0f);
    expect_moments(u, 0.5, 1.0 / std::sqrt(12.0), 0.01);

    auto scaled = uniform_fill<double>(gen, 10000, -3.0, 5.0);
    CHECK(*std::min_element(scaled.begin(), scaled.end()) > -3.0);
    CHECK(*std::max_element(scaled.begin(), scaled.end()) <= 5.0);
    expect_moments(scaled, 1.0, 8.0 / std::sqrt(12.0), 0.1);
}

TEST_CASE("the unit conversion never returns 0 and reaches 1", "[generator][philox]") {
    CHECK(philox::to_unit<float>(0u) > 0.0f);
    CHECK(philox::to_unit<float>(0u) == Approx(5.9604644775390625e-8));
    CHECK(philox::to_unit<float>(0xFFFFFFFFu) == 1.0f);
    CHECK(philox::to_unit<double>(0xFFFFFFFFu) == 1.0);
}

TEST_CASE("normal fills have mean 0 and standard deviation 1 over 1e5 samples", "[generator][fill]") {
    Generator gen(11);
    // The standard error of the mean over 1e5 samples is 0.003; 0.015 is five of them.
    auto z = normal_fill<float>(gen, 100000);
    CHECK(std::all_of(z.begin(), z.end(), [](float v) { return std::isfinite(v); }));
    expect_moments(z, 0.0, 1.0, 0.015);
    // About 68.3% within one standard deviation.
    auto within = std::count_if(z.begin(), z.end(), [](float v) { return std::fabs(v) < 1.0f; });
    CHECK(static_cast<double>(within) / 1e5 == Approx(0.6827).margin(0.01));

    auto shifted = normal_fill<double>(gen, 100000, 3.0, 0.5);
    expect_moments(shifted, 3.0, 0.5, 0.01);
}

TEST_CASE("host-side draws: next_uniform and next_below", "[generator]") {
    Generator gen(3);
    double lowest = 1.0, highest = 0.0;
    for (int i = 0; i < 1000; ++i) {
        double u = gen.next_uniform();
        lowest = std::min(lowest, u);
        highest = std::max(highest, u);
    }
    CHECK(lowest > 0.0);
    CHECK(highest <= 1.0);
    std::vector<int> counts(7, 0);  // counts[6] catches anything out of range
    for (int i = 0; i < 6000; ++i) ++counts[std::min<std::uint64_t>(gen.next_below(6), 6)];
    CHECK(counts[6] == 0);
    counts.pop_back();
    for (int c : counts) CHECK(c == Approx(1000).margin(150));
    CHECK_THROWS_WITH(gen.next_below(0), Catch::Contains("next_below: bound must be positive"));

    Generator a(8), b(8);
    CHECK(a.next_below(1000000) == b.next_below(1000000));
    CHECK(a.next_uniform() == b.next_uniform());
}

namespace {
// Rank r of `ranks`' rows of a batch of `total`: the loader's even split.
SampleRows rows_of(int r, int ranks, index_t total) {
    const index_t begin = total * r / ranks, end = total * (r + 1) / ranks;
    return {begin, end - begin, total, 1};
}
}  // namespace

TEST_CASE("per-sample draws under sample rows are the whole batch's rows, whatever the split",
          "[generator][fill][sample_rows]") {
    // Row widths that start ranks' rows in every lane of a Philox block, and a batch stacked twice.
    for (index_t width : {1, 3, 5, 20, 100})
        for (int ranks : {2, 3, 5})
            for (index_t copies : {1, 2}) {
                const index_t total = 13;
                Generator whole_gen(21);
                whole_gen.reserve(3);  // an offset that is not 0
                Generator start = whole_gen;
                const auto normal = Tensor<float>::normal({copies * total, width}, whole_gen).to_vector();
                const auto uniform = Tensor<double>::uniform({copies * total, width}, whole_gen, -2.0, 3.0).to_vector();
                for (int r = 0; r < ranks; ++r) {
                    Generator gen = start;
                    const SampleRows rows = rows_of(r, ranks, total).stacked(copies);
                    std::vector<float> n;
                    std::vector<double> u;
                    {
                        SampleRowsScope scope(gen, rows);
                        n = Tensor<float>::normal({copies * rows.count, width}, gen).to_vector();
                        u = Tensor<double>::uniform({copies * rows.count, width}, gen, -2.0, 3.0).to_vector();
                    }
                    CHECK_FALSE(gen.sample_rows().has_value());
                    CHECK(gen.offset() == whole_gen.offset());  // every rank moves as far as the whole draw
                    bool same_n = true, same_u = true;
                    for (index_t c = 0; c < copies; ++c)
                        for (index_t i = 0; i < rows.count * width; ++i) {
                            const auto whole_at = static_cast<std::size_t>((c * total + rows.first) * width + i);
                            const auto local_at = static_cast<std::size_t>(c * rows.count * width + i);
                            same_n &= n[local_at] == normal[whole_at];
                            same_u &= u[local_at] == uniform[whole_at];
                        }
                    INFO("width " << width << ", rank " << r << " of " << ranks << ", copies " << copies);
                    CHECK(same_n);
                    CHECK(same_u);
                }
            }
}

TEST_CASE("dropout masks under sample rows are the whole batch's rows", "[generator][sample_rows]") {
    const index_t total = 10, width = 7;
    auto ones = [](index_t n) { return Var<float, Cpu>(Tensor<float>::ones({n, width})); };
    Generator whole_gen(5);
    Generator start = whole_gen;
    const auto whole = dropout(ones(total), 0.5, true, whole_gen).value().to_vector();
    for (int r = 0; r < 3; ++r) {
        Generator gen = start;
        const SampleRows rows = rows_of(r, 3, total);
        SampleRowsScope scope(gen, rows);
        const auto mine = dropout(ones(rows.count), 0.5, true, gen).value().to_vector();
        CHECK(std::equal(mine.begin(), mine.end(), whole.begin() + rows.first * width));
    }
}

TEST_CASE("a draw that is not per-sample under sample rows is refused", "[generator][sample_rows][errors]") {
    Generator gen(1);
    SampleRowsScope scope(gen, SampleRows{4, 4, 8, 1});
    CHECK_THROWS_WITH(Tensor<float>::normal({5, 3}, gen),
                      "Tensor::normal: a draw of shape [5, 3] while the generator takes sample rows [4, 8) x 1 of 8: "
                      "per-sample draws must have 4 rows");
    CHECK_THROWS_WITH(gen.set_sample_rows(SampleRows{6, 4, 8, 1}),
                      "Generator: sample rows [6, 10) x 1 do not fit a batch of 8");
    // The whole batch on one process draws exactly what no rows would.
    Generator plain(1), whole(1);
    SampleRowsScope whole_scope(whole, SampleRows{0, 8, 8, 2});
    CHECK(Tensor<float>::normal({16, 3}, whole).to_vector() == Tensor<float>::normal({16, 3}, plain).to_vector());
}
