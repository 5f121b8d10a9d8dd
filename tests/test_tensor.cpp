// Shape, Tensor, and the CPU kernel table (gemm, reductions, broadcasting transforms, block copies)
// against plain loops.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <aigc/cpu.hpp>

using namespace aigc;

namespace {

using K = Kernels<Cpu>;

// x_i = sin(freq * i + phase): deterministic, no two neighbours equal.
std::vector<double> wave(index_t n, double freq = 0.37, double phase = 0.1) {
    std::vector<double> values(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(freq * static_cast<double>(i) + phase);
    return values;
}

// C = alpha op(A) op(B) + beta C, the textbook triple loop.
void naive_gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, double alpha, const std::vector<double>& a,
                const std::vector<double>& b, double beta, std::vector<double>& c) {
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < n; ++j) {
            double total = 0.0;
            for (index_t p = 0; p < k; ++p) {
                double aip = trans_a ? a[static_cast<std::size_t>(p * m + i)] : a[static_cast<std::size_t>(i * k + p)];
                double bpj = trans_b ? b[static_cast<std::size_t>(j * k + p)] : b[static_cast<std::size_t>(p * n + j)];
                total += aip * bpj;
            }
            double& cij = c[static_cast<std::size_t>(i * n + j)];
            cij = alpha * total + beta * cij;
        }
}

// Kernels<Cpu>::gemm against naive_gemm on deterministic operands. alpha = 1.5 checks that alpha is
// applied; beta = 0.5 that C is scaled rather than overwritten.
void check_gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k) {
    INFO("trans_a " << trans_a << ", trans_b " << trans_b << ", m " << m << ", n " << n << ", k " << k);
    auto a = wave(m * k, 0.37, 0.1), b = wave(k * n, 0.53, 0.7), c = wave(m * n, 0.11, 0.3);
    auto expected = c;
    naive_gemm(trans_a, trans_b, m, n, k, 1.5, a, b, 0.5, expected);
    K::gemm(trans_a, trans_b, m, n, k, 1.5, a.data(), b.data(), 0.5, c.data());
    double worst = 0.0;
    for (std::size_t i = 0; i < c.size(); ++i) worst = std::max(worst, std::fabs(c[i] - expected[i]));
    CHECK(worst < 1e-12 * static_cast<double>(k + 1));
}

}  // namespace

// ---- Shape ---------------------------------------------------------------------------------

TEST_CASE("Shape: numel, rows/cols view and printing", "[tensor][shape]") {
    Shape scalar;
    CHECK(scalar.rank() == 0);
    CHECK(scalar.numel() == 1);
    CHECK(scalar.str() == "[]");
    CHECK(scalar.rows() == 1);
    CHECK(scalar.cols() == 1);

    Shape vector{5};
    CHECK(vector.numel() == 5);
    CHECK(vector.rows() == 1);
    CHECK(vector.cols() == 5);

    Shape batch{64, 784};
    CHECK(batch.rank() == 2);
    CHECK(batch.numel() == 64 * 784);
    CHECK(batch.str() == "[64, 784]");
    CHECK(batch[0] == 64);
    CHECK(batch[1] == 784);

    Shape image{2, 3, 4, 5};
    CHECK(image.numel() == 120);
    CHECK(image.rows() == 24);  // every leading dimension folds into rows
    CHECK(image.cols() == 5);

    Shape empty{0, 3};
    CHECK(empty.numel() == 0);
    CHECK(empty.rows() == 0);
    Shape no_cols{3, 0};
    CHECK(no_cols.rows() == 0);
    CHECK(no_cols.cols() == 0);

    CHECK(Shape{2, 3} == Shape{2, 3});
    CHECK_FALSE(Shape{2, 3} == Shape{3, 2});
    CHECK_FALSE(Shape{6} == Shape{6, 1});
}

TEST_CASE("Shape: rank limit, negative dimensions and bad axes are rejected", "[tensor][shape]") {
    CHECK_NOTHROW(Shape{1, 2, 3, 4});
    CHECK_THROWS_WITH((Shape{1, 2, 3, 4, 5}), Catch::Contains("Shape: rank 5 exceeds the maximum of 4"));
    std::vector<int> five{1, 2, 3, 4, 5};
    CHECK_THROWS_WITH(Shape(five.begin(), five.end()), Catch::Contains("exceeds the maximum of 4"));
    CHECK_THROWS_WITH((Shape{3, -2}), Catch::Contains("Shape: negative dimension -2"));
    std::vector<long> negative{4, -1};
    CHECK_THROWS_AS(Shape(negative.begin(), negative.end()), Error);
    CHECK_THROWS_WITH((Shape{2, 3}[2]), Catch::Contains("Shape: axis 2 out of range for [2, 3]"));
    CHECK_THROWS_AS((Shape{2, 3}[-1]), Error);
    std::vector<int> dims{7, 8};
    CHECK(Shape(dims.begin(), dims.end()) == Shape{7, 8});
}

// ---- Tensor --------------------------------------------------------------------------------

TEST_CASE("Tensor factories", "[tensor]") {
    Tensor<float> undefined;
    CHECK_FALSE(undefined.defined());

    auto zeros = Tensor<float>::zeros({2, 3});
    CHECK(zeros.defined());
    CHECK(zeros.shape() == Shape{2, 3});
    CHECK(zeros.to_vector() == std::vector<float>(6, 0.0f));
    CHECK(Tensor<float>::ones({4}).to_vector() == std::vector<float>(4, 1.0f));
    CHECK(Tensor<double>::full({2, 2}, -1.5).to_vector() == std::vector<double>(4, -1.5));

    auto scalar = Tensor<float>::scalar(3.25f);
    CHECK(scalar.rank() == 0);
    CHECK(scalar.item() == 3.25f);

    auto values = Tensor<double>::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK(values.rows() == 2);
    CHECK(values.cols() == 3);
    CHECK(values.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});

    auto nothing = Tensor<float>::zeros({0, 4});
    CHECK(nothing.numel() == 0);
    CHECK(nothing.to_vector().empty());
}

TEST_CASE("Tensor storage is 64-byte aligned", "[tensor][allocator]") {
    for (index_t n : {1, 3, 17, 1000}) {
        auto t = Tensor<float>::zeros({n});
        CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    }
}

TEST_CASE("Tensor::from_vector rejects a size mismatch", "[tensor]") {
    CHECK_THROWS_WITH(Tensor<float>::from_vector({2, 3}, {1, 2, 3, 4, 5}),
                      Catch::Contains("Tensor::from_vector: shape [2, 3] needs 6 values, got 5"));
    CHECK_THROWS_AS(Tensor<float>::from_vector({2}, std::vector<float>(3, 0.0f)), Error);
}

TEST_CASE("reshape shares storage, clone does not", "[tensor][reshape]") {
    auto t = Tensor<float>::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    auto view = t.reshape({3, 2});
    CHECK(view.shape() == Shape{3, 2});
    CHECK(view.shares_storage_with(t));
    CHECK(view.data() == t.data());
    view.data()[4] = 50.0f;
    CHECK(t.to_vector()[4] == 50.0f);  // written through the view

    auto copy = t.clone();
    CHECK_FALSE(copy.shares_storage_with(t));
    CHECK(copy.to_vector() == t.to_vector());
    copy.data()[0] = -1.0f;
    CHECK(t.to_vector()[0] == 1.0f);

    CHECK_THROWS_WITH(t.reshape({4}), Catch::Contains("reshape: cannot view [2, 3] (6 elements) as [4] (4 elements)"));
}

TEST_CASE("copy_from and fill write in place, visible through views", "[tensor][fill]") {
    auto t = Tensor<float>::zeros({2, 2});
    auto view = t.reshape({4});
    t.copy_from(Tensor<float>::from_vector({2, 2}, {1, 2, 3, 4}));
    CHECK(view.to_vector() == std::vector<float>{1, 2, 3, 4});
    t.fill(7.0f);
    CHECK(view.to_vector() == std::vector<float>(4, 7.0f));
    CHECK_THROWS_WITH(t.copy_from(Tensor<float>::zeros({4})),
                      Catch::Contains("copy_from: expected shape [2, 2], given [4]"));
}

TEST_CASE("to_vector and item", "[tensor]") {
    auto t = Tensor<double>::from_vector({1, 1}, {2.5});
    CHECK(t.item() == 2.5);
    CHECK(t.to_vector() == std::vector<double>{2.5});
    auto many = Tensor<double>::zeros({2, 3});
    CHECK_THROWS_WITH(many.item(), Catch::Contains("item: tensor has 6 elements [2, 3], expected exactly 1"));
    auto same_device = many.to<Cpu>();
    CHECK(same_device.shares_storage_with(many));
}

// ---- Kernels<Cpu> ----------------------------------------------------------------------------

TEST_CASE("gemm matches a triple loop for every transpose combination and awkward sizes", "[kernels][gemm]") {
    const index_t sizes[] = {1, 7, 17, 64, 100};
    for (bool trans_a : {false, true})
        for (bool trans_b : {false, true})
            for (index_t m : sizes)
                for (index_t n : sizes)
                    for (index_t k : sizes) check_gemm(trans_a, trans_b, m, n, k);
}

TEST_CASE("gemm in float, with beta 0 ignoring garbage in C and beta 1 accumulating", "[kernels][gemm]") {
    index_t m = 17, n = 7, k = 64;
    auto ad = wave(m * k), bd = wave(k * n, 0.53, 0.7);
    std::vector<float> a(ad.begin(), ad.end()), b(bd.begin(), bd.end());
    std::vector<double> expected(static_cast<std::size_t>(m * n), 0.0);
    naive_gemm(false, false, m, n, k, 1.0, ad, bd, 0.0, expected);

    std::vector<float> c(static_cast<std::size_t>(m * n), std::nanf(""));  // beta 0 must not read C
    K::gemm(false, false, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
    for (std::size_t i = 0; i < c.size(); ++i) CHECK(c[i] == Approx(expected[i]).margin(1e-5));

    K::gemm(false, false, m, n, k, 1.0f, a.data(), b.data(), 1.0f, c.data());  // c += A B
    for (std::size_t i = 0; i < c.size(); ++i) CHECK(c[i] == Approx(2 * expected[i]).margin(1e-5));
}

// The float path is our own SGEMM (gemm_avx2.hpp) where the CPU has AVX2: sizes that hit
// every blocking edge -- 1..6-row tiles, 16/32/64-column panel groups and partial panels, k beyond
// one 256-deep block, m beyond one 144-row block -- for all four transpose combinations.
static void check_float_gemm_against_double_loop() {
    const index_t ms[] = {1, 5, 6, 7, 150}, ns[] = {1, 16, 17, 33, 64, 100, 130}, ks[] = {1, 9, 256, 300};
    for (bool trans_a : {false, true})
        for (bool trans_b : {false, true})
            for (index_t m : ms)
                for (index_t n : ns)
                    for (index_t k : ks) {
                        INFO("trans_a " << trans_a << ", trans_b " << trans_b << ", m " << m << ", n " << n << ", k "
                                        << k);
                        auto ad = wave(m * k, 0.37, 0.1), bd = wave(k * n, 0.53, 0.7), cd = wave(m * n, 0.11, 0.3);
                        std::vector<float> a(ad.begin(), ad.end()), b(bd.begin(), bd.end()), c(cd.begin(), cd.end());
                        // Rounded inputs in the reference too, so only the float arithmetic differs.
                        std::vector<double> ar(a.begin(), a.end()), br(b.begin(), b.end()), expected(c.begin(), c.end());
                        naive_gemm(trans_a, trans_b, m, n, k, 1.5, ar, br, 0.5, expected);
                        K::gemm(trans_a, trans_b, m, n, k, 1.5f, a.data(), b.data(), 0.5f, c.data());
                        double worst = 0.0;
                        for (std::size_t i = 0; i < c.size(); ++i)
                            worst = std::max(worst, std::fabs(double(c[i]) - expected[i]));
                        // |terms| <= 1.5: float rounding grows at most ~k eps per dot product.
                        CHECK(worst < 2e-7 * double(k + 4) * 1.5);
                    }
}

TEST_CASE("float gemm matches a double triple loop across every blocking edge", "[kernels][gemm]") {
    check_float_gemm_against_double_loop();
}

#if defined(AIGC_HAVE_AVX2_GEMM)
TEST_CASE("the AVX-512 and AVX2 GEMM kernels give bit-identical results", "[kernels][gemm]") {
    if (!detail::avx512::supported() || !detail::avx2::supported()) {
        WARN("this CPU lacks AVX-512 or AVX2: only one kernel exists here, nothing to compare");
        return;
    }
    bool& wide = detail::avx2::use_avx512();
    const bool saved = wide;
    for (bool trans_a : {false, true})
        for (bool trans_b : {false, true})
            for (index_t n : {17, 64, 100, 784}) {
                index_t m = 70, k = 300;
                INFO("trans_a " << trans_a << ", trans_b " << trans_b << ", n " << n);
                auto ad = wave(m * k, 0.37, 0.1), bd = wave(k * n, 0.53, 0.7), cd = wave(m * n, 0.11, 0.3);
                std::vector<float> a(ad.begin(), ad.end()), b(bd.begin(), bd.end());
                std::vector<float> c512(cd.begin(), cd.end()), c2 = c512;
                wide = true;
                K::gemm(trans_a, trans_b, m, n, k, 1.5f, a.data(), b.data(), 0.5f, c512.data());
                wide = false;
                K::gemm(trans_a, trans_b, m, n, k, 1.5f, a.data(), b.data(), 0.5f, c2.data());
                CHECK(std::memcmp(c512.data(), c2.data(), c2.size() * sizeof(float)) == 0);
            }
    wide = saved;
}

// CPUs without AVX2/FMA run the plain-loop fallback (gemm_reference.hpp): same sizes, same bound.
TEST_CASE("the float gemm fallback for CPUs without AVX2 matches a double triple loop", "[kernels][gemm]") {
    bool& avx2 = detail::avx2::enabled();
    const bool saved = avx2;
    avx2 = false;
    check_float_gemm_against_double_loop();
    avx2 = saved;
}
#endif

TEST_CASE("gemm with an empty inner dimension scales C by beta", "[kernels][gemm]") {
    std::vector<double> c{1, 2, 3, 4};
    const double* no_data = nullptr;  // A [2, 0] and B [0, 2] have no elements
    K::gemm(false, false, 2, 2, 0, 1.0, no_data, no_data, 3.0, c.data());
    CHECK(c == std::vector<double>{3, 6, 9, 12});
    K::gemm(false, false, 2, 2, 0, 1.0, no_data, no_data, 0.0, c.data());
    CHECK(c == std::vector<double>{0, 0, 0, 0});
}

TEST_CASE("row, column and full reductions match loops, with and without accumulation", "[kernels][reduce]") {
    for (std::size_t rows : {1, 7, 100})
        for (std::size_t cols : {1, 17, 64}) {
            INFO(rows << " x " << cols);
            const index_t r = static_cast<index_t>(rows), c = static_cast<index_t>(cols);
            auto x = wave(r * c);
            std::vector<double> row_sums(rows, 0.0), col_sums(cols, 0.0), row_max(rows, -1e300);
            double total = 0.0;
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < cols; ++j) {
                    double v = x[i * cols + j];
                    row_sums[i] += v;
                    col_sums[j] += v;
                    row_max[i] = std::max(row_max[i], v);
                    total += v;
                }
            auto expect_near = [](const std::vector<double>& actual, const std::vector<double>& expected,
                                  double factor) {
                REQUIRE(actual.size() == expected.size());
                for (std::size_t i = 0; i < actual.size(); ++i)
                    CHECK(actual[i] == Approx(factor * expected[i]).margin(1e-12));
            };
            std::vector<double> y_rows(rows, 123.0), y_cols(cols, 123.0);  // overwritten, not added to
            K::sum_rows(r, c, x.data(), y_rows.data(), false);
            K::sum_cols(r, c, x.data(), y_cols.data(), false);
            expect_near(y_rows, row_sums, 1.0);
            expect_near(y_cols, col_sums, 1.0);
            K::sum_rows(r, c, x.data(), y_rows.data(), true);  // accumulate: now twice the sums
            K::sum_cols(r, c, x.data(), y_cols.data(), true);
            expect_near(y_rows, row_sums, 2.0);
            expect_near(y_cols, col_sums, 2.0);

            double y_all = 5.0;
            K::sum_all(r * c, x.data(), &y_all, false);
            CHECK(y_all == Approx(total).margin(1e-12));
            K::sum_all(r * c, x.data(), &y_all, true);
            CHECK(y_all == Approx(2 * total).margin(1e-12));

            std::vector<double> y_max(rows);
            K::max_rows(r, c, x.data(), y_max.data());
            CHECK(y_max == row_max);
        }
}

TEST_CASE("reductions of empty matrices give zeros", "[kernels][reduce]") {
    std::vector<double> y{9, 9};
    K::sum_rows(2, 0, static_cast<const double*>(nullptr), y.data(), false);
    CHECK(y == std::vector<double>{0, 0});
    K::sum_cols(0, 2, static_cast<const double*>(nullptr), y.data(), false);
    CHECK(y == std::vector<double>{0, 0});
    double total = 9;
    K::sum_all(0, static_cast<const double*>(nullptr), &total, false);
    CHECK(total == 0.0);
}

TEST_CASE("transform broadcasts full, row, column and scalar operands", "[kernels][transform][broadcast]") {
    const index_t rows = 3, cols = 4;
    auto a = wave(rows * cols);
    std::vector<double> row{10, 20, 30, 40}, col{100, 200, 300};
    double scalar = 1000;
    std::vector<double> y(static_cast<std::size_t>(rows * cols));
    auto at = [&](index_t i, index_t j) { return y[static_cast<std::size_t>(i * cols + j)]; };
    auto ai = [&](index_t i, index_t j) { return a[static_cast<std::size_t>(i * cols + j)]; };

    K::transform(rows, cols, fn::Add{}, y.data(), In<double>::full(a.data(), cols), In<double>::row(row.data()), false);
    for (index_t i = 0; i < rows; ++i)
        for (index_t j = 0; j < cols; ++j) CHECK(at(i, j) == ai(i, j) + row[static_cast<std::size_t>(j)]);

    K::transform(rows, cols, fn::Sub{}, y.data(), In<double>::col(col.data()), In<double>::full(a.data(), cols), false);
    for (index_t i = 0; i < rows; ++i)
        for (index_t j = 0; j < cols; ++j) CHECK(at(i, j) == col[static_cast<std::size_t>(i)] - ai(i, j));

    K::transform(rows, cols, fn::Neg{}, y.data(), In<double>::scalar(&scalar), false);
    CHECK(y == std::vector<double>(static_cast<std::size_t>(rows * cols), -1000.0));

    // Three operands, one of each kind, accumulated on top of y (= -1000 everywhere).
    auto fused = [](double p, double q, double r) { return p * q + r; };
    K::transform(rows, cols, fused, y.data(), In<double>::full(a.data(), cols), In<double>::row(row.data()),
                 In<double>::col(col.data()), true);
    for (index_t i = 0; i < rows; ++i)
        for (index_t j = 0; j < cols; ++j)
            CHECK(at(i, j) ==
                  Approx(-1000.0 + ai(i, j) * row[static_cast<std::size_t>(j)] + col[static_cast<std::size_t>(i)]));

    // Element-wise maps may run in place.
    std::vector<double> z = a;
    K::transform(rows, cols, fn::Square{}, z.data(), In<double>::full(z.data(), cols), false);
    for (std::size_t k = 0; k < z.size(); ++k) CHECK(z[k] == a[k] * a[k]);
}

TEST_CASE("transform reads strided operands, such as a transposed view", "[kernels][transform][broadcast]") {
    // a [4, 3] read as its transpose [3, 4]: element (i, j) is a[j * 3 + i] (row stride 1, column
    // stride 3), next to a dense and a row operand, plain and accumulated.
    const index_t rows = 3, cols = 4;
    auto a = wave(rows * cols);
    auto b = wave(rows * cols, 0.5);
    std::vector<double> row{10, 20, 30, 40};
    std::vector<double> y(static_cast<std::size_t>(rows * cols), 7.0);
    const In<double> transposed{a.data(), 1, rows};
    auto fused = [](double p, double q, double r) { return p * q + r; };
    for (bool accumulate : {false, true}) {
        std::vector<double> before = y;
        K::transform(rows, cols, fused, y.data(), transposed, In<double>::full(b.data(), cols),
                     In<double>::row(row.data()), accumulate);
        for (index_t i = 0; i < rows; ++i)
            for (index_t j = 0; j < cols; ++j) {
                std::size_t k = static_cast<std::size_t>(i * cols + j);
                double value = a[static_cast<std::size_t>(j * rows + i)] * b[k] + row[static_cast<std::size_t>(j)];
                CHECK(y[k] == (accumulate ? before[k] + value : value));
            }
    }
}

TEST_CASE("copy_block copies and accumulates column blocks between pitches", "[kernels][copy]") {
    // src [2, 5], take columns [1, 4) into dst [2, 6] at column 2.
    std::vector<double> src{0, 1, 2, 3, 4, 10, 11, 12, 13, 14};
    std::vector<double> dst(12, 0.0);
    K::copy_block(2, 3, src.data() + 1, 5, dst.data() + 2, 6, false);
    CHECK(dst == std::vector<double>{0, 0, 1, 2, 3, 0, 0, 0, 11, 12, 13, 0});
    K::copy_block(2, 3, src.data() + 1, 5, dst.data() + 2, 6, true);
    CHECK(dst == std::vector<double>{0, 0, 2, 4, 6, 0, 0, 0, 22, 24, 26, 0});
}
