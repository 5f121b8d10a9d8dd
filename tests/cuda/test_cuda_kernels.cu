// Every kernel family of Kernels<Cuda> against Kernels<Cpu> on random data at awkward sizes.
// Tolerances (u = FLT_EPSILON = 2^-23, references in double through Kernels<Cpu>):
//   gemm        |C - C_ref| <= (k + 2) u (|alpha| |op(A)| |op(B)| + |beta| |C0|), the classic
//               worst-case bound of a length-k float dot product, element by element
//   ours/cuBLAS twice that bound (each is within it of the exact product)
//   sums        (n + 2) u (sum |x| + |y0|) for a sum of n terms added to y0
//   max, copies, fill, uniform fills: exact
//   transform   1e-6 + 1e-5 |y|: CUDA's expf/log1pf/tanhf are within 2 ulp of glibc's, and nvcc
//               fuses a*b+c into one rounding where g++ rounds twice
//   normal fill 4e-6 (1 + |y|): Box-Muller's log/sin/cos differ by an ulp or two
//   cuRAND fills a different stream: ranges exact, moments within 6 standard errors
// The optimizer, allocator, error and autograd tests are in test_cuda_training.cu.
#include <cfloat>
#include <cmath>
#include <limits>

#include "compare.hpp"

using namespace aigc;
using aigc::test::check_close;
using aigc::test::check_equal;
using aigc::test::check_within;
using aigc::test::random_values;
using aigc::test::sizes;
using aigc::test::upload;
using aigc::test::UseCublas;
using aigc::test::UseCurand;
using aigc::test::widen;
using CpuKernels = Kernels<Cpu>;
using CudaKernels = Kernels<Cuda>;

namespace {

constexpr double u = FLT_EPSILON;

std::vector<double> absolute(std::vector<double> v) {
    for (double& x : v) x = std::fabs(x);
    return v;
}

// ---- gemm ---------------------------------------------------------------------------------

struct GemmSize {
    index_t m, n, k;
};

// Every awkward size appears in every position; the last three reach the large tile and the
// float4 loads on a GPU with many SMs (132 on an H100/H200).
const std::vector<GemmSize> gemm_sizes = {{1, 1, 1},      {7, 17, 100},    {17, 7, 1},        {64, 64, 64},
                                          {100, 1023, 7}, {1023, 100, 64}, {4097, 17, 33},    {33, 4097, 7},
                                          {17, 64, 4097}, {1, 4097, 100},  {4097, 1, 17},     {128, 256, 784},
                                          {1536, 1536, 64}, {4097, 1023, 17}, {1024, 2048, 100}};

// The bound's scale |alpha| |op(A)| |op(B)| + |beta| |C0| in double.
std::vector<double> gemm_scale(bool ta, bool tb, const GemmSize& s, double alpha, const std::vector<double>& a,
                               const std::vector<double>& b, double beta, const std::vector<double>& c0) {
    std::vector<double> scale = absolute(c0), abs_a = absolute(a), abs_b = absolute(b);
    CpuKernels::gemm(ta, tb, s.m, s.n, s.k, std::fabs(alpha), abs_a.data(), abs_b.data(), std::fabs(beta),
                     scale.data());
    return scale;
}

void check_gemm(bool ta, bool tb, const GemmSize& s, float alpha, float beta, std::uint64_t seed) {
    auto a = random_values(s.m * s.k, seed), b = random_values(s.k * s.n, seed + 1);
    auto c0 = random_values(s.m * s.n, seed + 2);
    // With beta = 0, C must not be read: start the device C as NaN to prove it.
    std::vector<float> c_start = c0;
    if (beta == 0.0f) c_start.assign(c0.size(), std::numeric_limits<float>::quiet_NaN());
    auto da = upload(a), db = upload(b), dc = upload(c_start);
    CudaKernels::gemm(ta, tb, s.m, s.n, s.k, alpha, da.data(), db.data(), beta, dc.data());

    auto a64 = widen(a), b64 = widen(b), want = widen(c0);
    CpuKernels::gemm(ta, tb, s.m, s.n, s.k, double(alpha), a64.data(), b64.data(), double(beta), want.data());
    auto bound = gemm_scale(ta, tb, s, alpha, a64, b64, beta, widen(c0));
    for (double& x : bound) x *= (static_cast<double>(s.k) + 2) * u;
    check_within(dc.to_vector(), want, bound,
                 "gemm trans_a=" + std::to_string(ta) + " trans_b=" + std::to_string(tb) + " m,n,k=" +
                     sizes(s.m, s.n, s.k) + " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta));
}

}  // namespace

TEST_CASE("gemm matches the CPU backend for all four transposes at awkward sizes", "[cuda][gemm]") {
    std::uint64_t seed = 100;
    for (const GemmSize& s : gemm_sizes)
        for (int t = 0; t < 4; ++t) {
            bool ta = t & 1, tb = t & 2;
            check_gemm(ta, tb, s, 1.0f, 0.0f, seed += 3);
            check_gemm(ta, tb, s, 1.0f, 1.0f, seed += 3);
            check_gemm(ta, tb, s, 0.75f, -0.5f, seed += 3);
        }
}

TEST_CASE("gemm with k = 0 scales C by beta", "[cuda][gemm]") {
    auto c0 = random_values(7 * 17, 5);
    auto dc = upload(c0);
    CudaKernels::gemm(false, false, 7, 17, 0, 1.0f, dc.data(), dc.data(), -2.0f, dc.data());
    std::vector<float> want = c0;
    for (float& x : want) x *= -2.0f;
    check_equal(dc.to_vector(), want, "gemm k=0 beta=-2");
    CudaKernels::gemm(false, false, 7, 17, 0, 1.0f, dc.data(), dc.data(), 0.0f, dc.data());
    check_equal(dc.to_vector(), std::vector<float>(c0.size(), 0.0f), "gemm k=0 beta=0");
}

TEST_CASE("our gemm agrees with cuBLAS", "[cuda][gemm][cublas]") {
    const std::vector<GemmSize> cases = {{1, 1, 1}, {7, 17, 100}, {64, 784, 128}, {4097, 33, 17}, {513, 1023, 257}};
    std::uint64_t seed = 900;
    for (const GemmSize& s : cases)
        for (int t = 0; t < 4; ++t) {
            bool ta = t & 1, tb = t & 2;
            auto a = random_values(s.m * s.k, seed++), b = random_values(s.k * s.n, seed++);
            auto c0 = random_values(s.m * s.n, seed++);
            auto da = upload(a), db = upload(b), ours = upload(c0), theirs = upload(c0);
            CudaKernels::gemm(ta, tb, s.m, s.n, s.k, 0.5f, da.data(), db.data(), 1.0f, ours.data());
            {
                UseCublas cublas;
                CudaKernels::gemm(ta, tb, s.m, s.n, s.k, 0.5f, da.data(), db.data(), 1.0f, theirs.data());
            }
            auto bound = gemm_scale(ta, tb, s, 0.5, widen(a), widen(b), 1.0, widen(c0));
            for (double& x : bound) x *= 2 * (static_cast<double>(s.k) + 2) * u;
            check_within(ours.to_vector(), theirs.to_vector(), bound,
                         "ours vs cuBLAS trans_a=" + std::to_string(ta) + " trans_b=" + std::to_string(tb) +
                             " m,n,k=" + sizes(s.m, s.n, s.k));
        }
}

// ---- transform ------------------------------------------------------------------------------

namespace {

enum class Layout { full, row, col, scalar };

index_t layout_count(Layout l, index_t rows, index_t cols) {
    switch (l) {
        case Layout::full: return rows * cols;
        case Layout::row: return cols;
        case Layout::col: return rows;
        case Layout::scalar: return 1;
    }
    return 0;
}

const char* layout_name(Layout l) {
    switch (l) {
        case Layout::full: return "full";
        case Layout::row: return "row";
        case Layout::col: return "col";
        case Layout::scalar: return "scalar";
    }
    return "?";
}

In<float> operand(const float* p, Layout l, index_t cols) {
    switch (l) {
        case Layout::full: return In<float>::full(p, cols);
        case Layout::row: return In<float>::row(p);
        case Layout::col: return In<float>::col(p);
        case Layout::scalar: return In<float>::scalar(p);
    }
    return In<float>::full(p, cols);
}

struct Shape2 {
    index_t rows, cols;
};
const std::vector<Shape2> map_shapes = {{1, 1}, {7, 17}, {17, 7}, {64, 100}, {1023, 1}, {1, 4097}, {100, 1023}};

// One transform on both backends from identical inputs; operands laid out as `layouts`.
template <class F, std::size_t N>
void check_transform(const std::string& name, F f, Shape2 s, bool accumulate, const Layout (&layouts)[N],
                     std::uint64_t seed) {
    std::vector<std::vector<float>> host;
    std::vector<Tensor<float, Cuda>> device;
    for (std::size_t i = 0; i < N; ++i) {
        host.push_back(random_values(layout_count(layouts[i], s.rows, s.cols), seed + i));
        device.push_back(upload(host.back()));
    }
    auto y0 = random_values(s.rows * s.cols, seed + 10);
    std::vector<float> want = y0;
    auto dy = upload(y0);
    auto cpu_in = [&](std::size_t i) { return operand(host[i].data(), layouts[i], s.cols); };
    auto gpu_in = [&](std::size_t i) { return operand(device[i].data(), layouts[i], s.cols); };
    if constexpr (N == 1) {
        CpuKernels::transform(s.rows, s.cols, f, want.data(), cpu_in(0), accumulate);
        CudaKernels::transform(s.rows, s.cols, f, dy.data(), gpu_in(0), accumulate);
    } else if constexpr (N == 2) {
        CpuKernels::transform(s.rows, s.cols, f, want.data(), cpu_in(0), cpu_in(1), accumulate);
        CudaKernels::transform(s.rows, s.cols, f, dy.data(), gpu_in(0), gpu_in(1), accumulate);
    } else {
        CpuKernels::transform(s.rows, s.cols, f, want.data(), cpu_in(0), cpu_in(1), cpu_in(2), accumulate);
        CudaKernels::transform(s.rows, s.cols, f, dy.data(), gpu_in(0), gpu_in(1), gpu_in(2), accumulate);
    }
    std::string what = "transform " + name + " " + sizes(s.rows, s.cols) + " accumulate=" + std::to_string(accumulate);
    for (Layout l : layouts) what += std::string(" ") + layout_name(l);
    check_close(dy.to_vector(), want, 1e-6, 1e-5, what);
}

}  // namespace

TEST_CASE("transform matches the CPU backend for 1, 2 and 3 operands with every broadcast",
          "[cuda][transform][broadcast]") {
    using L = Layout;
    std::uint64_t seed = 2000;
    for (Shape2 s : map_shapes)
        for (bool acc : {false, true}) {
            for (L l : {L::full, L::row, L::col, L::scalar})
                check_transform("identity", fn::Identity{}, s, acc, {l}, seed += 20);
            check_transform("sigmoid", fn::Sigmoid{}, s, acc, {L::full}, seed += 20);
            check_transform("tanh", fn::Tanh{}, s, acc, {L::col}, seed += 20);
            check_transform("softplus", fn::Softplus{}, s, acc, {L::full}, seed += 20);
            check_transform("leaky_relu", fn::LeakyRelu<float>{0.2f}, s, acc, {L::row}, seed += 20);
            check_transform("affine", fn::Affine<float>{-1.5f, 0.25f}, s, acc, {L::full}, seed += 20);
            check_transform("add", fn::Add{}, s, acc, {L::full, L::row}, seed += 20);
            check_transform("mul", fn::Mul{}, s, acc, {L::col, L::full}, seed += 20);
            check_transform("sub", fn::Sub{}, s, acc, {L::scalar, L::full}, seed += 20);
            check_transform("div", fn::Div{}, s, acc, {L::full, L::col}, seed += 20);
            check_transform("bce_with_logits", fn::BceWithLogits{}, s, acc, {L::full, L::full}, seed += 20);
            check_transform("gaussian_kl", fn::GaussianKl{}, s, acc, {L::full, L::full}, seed += 20);
            check_transform("leaky_relu_grad", fn::LeakyReluGrad<float>{0.2f}, s, acc, {L::full, L::full}, seed += 20);
            check_transform("exp_shifted", fn::ExpShifted{}, s, acc, {L::full, L::col}, seed += 20);
            check_transform("bce_with_logits_grad", fn::BceWithLogitsGrad{}, s, acc, {L::full, L::full, L::full},
                            seed += 20);
            check_transform("prob_minus_target", fn::ProbMinusTarget{}, s, acc, {L::col, L::full, L::full}, seed += 20);
            check_transform("div_grad_denominator", fn::DivGradDenominator{}, s, acc, {L::full, L::row, L::col},
                            seed += 20);
        }
}

TEST_CASE("transform reads a transposed (strided) operand and the step derivatives like the CPU backend",
          "[cuda][transform][transpose]") {
    std::uint64_t seed = 2600;
    for (Shape2 s : map_shapes) {
        // y [rows, cols] = x^T for x [cols, rows]: element (i, j) at x[j * rows + i] (aigc::transpose).
        auto x = random_values(s.rows * s.cols, seed += 10), other = random_values(s.rows * s.cols, seed += 10);
        std::vector<float> want(x.size());
        CpuKernels::transform(s.rows, s.cols, fn::Identity{}, want.data(), In<float>{x.data(), 1, s.rows}, false);
        auto dx = upload(x), dy = upload(std::vector<float>(x.size(), 0.0f));
        CudaKernels::transform(s.rows, s.cols, fn::Identity{}, dy.data(), In<float>{dx.data(), 1, s.rows}, false);
        check_close(dy.to_vector(), want, 0.0, 0.0, "transposed operand " + sizes(s.rows, s.cols));
        // minimum/maximum and the derivatives of clamp, abs and sqrt.
        auto both = [&](auto f, const std::string& name) {
            std::vector<float> cpu(x.size());
            CpuKernels::transform(s.rows, s.cols, f, cpu.data(), In<float>::full(x.data(), s.cols),
                                  In<float>::full(other.data(), s.cols), false);
            auto dother = upload(other);
            CudaKernels::transform(s.rows, s.cols, f, dy.data(), In<float>::full(dx.data(), s.cols),
                                   In<float>::full(dother.data(), s.cols), false);
            check_close(dy.to_vector(), cpu, 1e-6, 1e-5, name + " " + sizes(s.rows, s.cols));
        };
        both(fn::Minimum{}, "minimum");
        both(fn::Maximum{}, "maximum");
        both(fn::ClampGrad<float>{-0.3f, 0.4f}, "clamp_grad");
        both(fn::AbsGrad{}, "abs_grad");
        both(fn::SqrtGradFromOutput{}, "sqrt_grad");
    }
}

TEST_CASE("transform may write its result over its own operand", "[cuda][transform]") {
    auto x = random_values(100 * 1023, 77);
    std::vector<float> want = x;
    CpuKernels::transform(100, 1023, fn::Sigmoid{}, want.data(), In<float>::full(want.data(), 1023), false);
    auto dx = upload(x);
    CudaKernels::transform(100, 1023, fn::Sigmoid{}, dx.data(), In<float>::full(dx.data(), 1023), false);
    check_close(dx.to_vector(), want, 1e-6, 1e-5, "in-place sigmoid");
}

// ---- reductions -----------------------------------------------------------------------------

namespace {

const std::vector<Shape2> reduce_shapes = {{1, 1},    {7, 17},   {17, 7},    {64, 100},  {1023, 1}, {1, 4097},
                                           {100, 1023}, {4097, 7}, {7, 4097}, {4097, 1023}, {5, 0},   {0, 5}};

// Bound of a float sum of n terms onto y0: (n + 2) u (sum |x| + |y0|).
std::vector<double> sum_bound(const std::vector<double>& abs_sums, const std::vector<float>& y0, index_t n) {
    std::vector<double> bound(abs_sums.size());
    for (std::size_t i = 0; i < bound.size(); ++i)
        bound[i] = (static_cast<double>(n) + 2) * u * (abs_sums[i] + std::fabs(static_cast<double>(y0[i])));
    return bound;
}

}  // namespace

TEST_CASE("sum_rows, sum_cols and max_rows match the CPU backend", "[cuda][reduce]") {
    std::uint64_t seed = 5000;
    for (Shape2 s : reduce_shapes)
        for (bool acc : {false, true}) {
            auto x = random_values(s.rows * s.cols, seed++);
            auto x64 = widen(x), abs_x = absolute(x64);
            auto dx = upload(x);
            std::string where = sizes(s.rows, s.cols) + " accumulate=" + std::to_string(acc);

            auto y0 = random_values(s.rows, seed++);
            std::vector<double> want(y0.begin(), y0.end()), abs_sums(static_cast<std::size_t>(s.rows));
            CpuKernels::sum_rows(s.rows, s.cols, x64.data(), want.data(), acc);
            CpuKernels::sum_rows(s.rows, s.cols, abs_x.data(), abs_sums.data(), false);
            auto dy = upload(y0);
            CudaKernels::sum_rows(s.rows, s.cols, dx.data(), dy.data(), acc);
            check_within(dy.to_vector(), want, sum_bound(abs_sums, acc ? y0 : std::vector<float>(y0.size(), 0.f), s.cols),
                         "sum_rows " + where);

            auto z0 = random_values(s.cols, seed++);
            std::vector<double> want_cols(z0.begin(), z0.end()), abs_cols(static_cast<std::size_t>(s.cols));
            CpuKernels::sum_cols(s.rows, s.cols, x64.data(), want_cols.data(), acc);
            CpuKernels::sum_cols(s.rows, s.cols, abs_x.data(), abs_cols.data(), false);
            auto dz = upload(z0);
            CudaKernels::sum_cols(s.rows, s.cols, dx.data(), dz.data(), acc);
            check_within(dz.to_vector(), want_cols,
                         sum_bound(abs_cols, acc ? z0 : std::vector<float>(z0.size(), 0.f), s.rows), "sum_cols " + where);

            if (s.cols > 0) {
                std::vector<float> want_max(static_cast<std::size_t>(s.rows));
                CpuKernels::max_rows(s.rows, s.cols, x.data(), want_max.data());
                auto dm = upload(std::vector<float>(static_cast<std::size_t>(s.rows), 0.f));
                CudaKernels::max_rows(s.rows, s.cols, dx.data(), dm.data());
                check_equal(dm.to_vector(), want_max, "max_rows " + where);
            }
        }
}

TEST_CASE("sum_all matches the CPU backend and writes a device scalar", "[cuda][reduce]") {
    std::uint64_t seed = 6000;
    for (index_t n : {index_t(0), index_t(1), index_t(7), index_t(4097), index_t(102300), index_t(1) << 20})
        for (bool acc : {false, true}) {
            auto x = random_values(n, seed++);
            auto x64 = widen(x), abs_x = absolute(x64);
            std::vector<double> want{0.25}, abs_sum{0.0};
            CpuKernels::sum_all(n, x64.data(), want.data(), acc);
            CpuKernels::sum_all(n, abs_x.data(), abs_sum.data(), false);
            auto dy = upload(std::vector<float>{0.25f});
            auto dx = upload(x);
            CudaKernels::sum_all(n, dx.data(), dy.data(), acc);
            check_within(dy.to_vector(), want, sum_bound(abs_sum, {acc ? 0.25f : 0.f}, n),
                         "sum_all n=" + std::to_string(n) + " accumulate=" + std::to_string(acc));
        }
}

// ---- fills ------------------------------------------------------------------------------------

TEST_CASE("fills draw the same Philox stream as the CPU backend", "[cuda][fill][philox]") {
    for (index_t n : {index_t(1), index_t(7), index_t(4097), index_t(100000)}) {
        std::string where = " n=" + std::to_string(n);
        auto d = upload(std::vector<float>(static_cast<std::size_t>(n), 0.f));
        std::vector<float> want(static_cast<std::size_t>(n));

        CudaKernels::fill(n, 2.5f, d.data());
        CpuKernels::fill(n, 2.5f, want.data());
        check_equal(d.to_vector(), want, "fill" + where);

        for (RandomStream stream : {RandomStream{1, 0}, RandomStream{0x5EED, 12345}}) {
            CudaKernels::fill_uniform(n, stream, 0.0f, 1.0f, d.data());
            CpuKernels::fill_uniform(n, stream, 0.0f, 1.0f, want.data());
            check_equal(d.to_vector(), want, "fill_uniform (0, 1]" + where);

            CudaKernels::fill_uniform(n, stream, -2.0f, 3.0f, d.data());
            CpuKernels::fill_uniform(n, stream, -2.0f, 3.0f, want.data());
            check_equal(d.to_vector(), want, "fill_uniform (-2, 3]" + where);

            CudaKernels::fill_normal(n, stream, 0.5f, 2.0f, d.data());
            CpuKernels::fill_normal(n, stream, 0.5f, 2.0f, want.data());
            std::vector<double> bound(want.size());
            for (std::size_t i = 0; i < bound.size(); ++i) bound[i] = 4e-6 * (1.0 + std::fabs(want[i]));
            check_within(d.to_vector(), want, bound, "fill_normal" + where);
        }
    }
}

TEST_CASE("double fills match the CPU backend", "[cuda][fill][philox]") {
    index_t n = 4097;
    RandomStream stream{42, 7};
    auto d = upload(std::vector<double>(static_cast<std::size_t>(n), 0.0));
    std::vector<double> want(static_cast<std::size_t>(n));
    CudaKernels::fill_uniform(n, stream, -1.0, 1.0, d.data());
    CpuKernels::fill_uniform(n, stream, -1.0, 1.0, want.data());
    check_equal(d.to_vector(), want, "fill_uniform double");
    CudaKernels::fill_normal(n, stream, 0.0, 1.0, d.data());
    CpuKernels::fill_normal(n, stream, 0.0, 1.0, want.data());
    check_close(d.to_vector(), want, 1e-13, 1e-13, "fill_normal double");
}

TEST_CASE("seeded generators give the same tensors on both devices", "[cuda][fill][philox][generator]") {
    Generator cpu_gen(31), cuda_gen(31);
    for (int draw = 0; draw < 3; ++draw) {  // the generators advance in step
        auto cpu = Tensor<float, Cpu>::uniform({17, 33}, cpu_gen, -1.0f, 1.0f);
        auto gpu = Tensor<float, Cuda>::uniform({17, 33}, cuda_gen, -1.0f, 1.0f);
        check_equal(gpu.to_vector(), cpu.to_vector(), "Tensor::uniform draw " + std::to_string(draw));
    }
    CHECK(cpu_gen.offset() == cuda_gen.offset());
}

TEST_CASE("per-sample draws under sample rows take the same rows on both devices", "[cuda][fill][generator][sample_rows]") {
    // Rows that start in every lane of a Philox block (widths 1, 17, 1023), stacked once and twice.
    for (index_t width : {1, 17, 1023})
        for (index_t copies : {1, 2}) {
            Generator cpu_gen(7), cuda_gen(7);
            const SampleRows rows{3, 5, 11, copies};
            SampleRowsScope cpu_rows(cpu_gen, rows), cuda_rows(cuda_gen, rows);
            auto cpu = Tensor<float, Cpu>::normal({5 * copies, width}, cpu_gen);
            auto gpu = Tensor<float, Cuda>::normal({5 * copies, width}, cuda_gen);
            check_equal(gpu.to_vector(), cpu.to_vector(),
                        "rows [3, 8) of 11, width " + std::to_string(width) + ", copies " + std::to_string(copies));
            CHECK(cpu_gen.offset() == cuda_gen.offset());
        }
}

// ---- cuRAND fills (the reference route) ------------------------------------------------------
// cuRAND draws its own stream, so what can be checked is the contract: every element written, in
// range, the same values for the same RandomStream, other values for another one; and the
// distribution, by moments and bin counts within 6 standard errors (a false alarm about once in
// 10^9 runs). The distribution checks run on our kernels too, an independent check of both.

namespace {
std::size_t count_equal(const std::vector<float>& a, const std::vector<float>& b) {
    std::size_t equal = 0;
    for (std::size_t i = 0; i < a.size(); ++i) equal += a[i] == b[i];
    return equal;
}
}  // namespace

TEST_CASE("cuRAND fills write every element, in range, one stream per RandomStream", "[cuda][fill][curand]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (index_t n : {index_t(1), index_t(7), index_t(17), index_t(64), index_t(100), index_t(1023), index_t(4097)}) {
        std::string where = " n=" + std::to_string(n);
        const RandomStream stream{9, 3}, other{9, 4};
        std::vector<float> ours(static_cast<std::size_t>(n));
        CpuKernels::fill_normal(n, stream, 0.5f, 2.0f, ours.data());

        UseCurand route;
        // Every fill starts from NaN, so an element the fill leaves alone (an odd tail) shows.
        auto d = upload(std::vector<float>(static_cast<std::size_t>(n), nan));
        CudaKernels::fill_uniform(n, stream, -2.0f, 3.0f, d.data());
        std::size_t outside = 0;
        for (float x : d.to_vector()) outside += !(x > -2.0f && x <= 3.0f);
        INFO("cuRAND fill_uniform (-2, 3]" << where);
        CHECK(outside == 0);

        auto e = upload(std::vector<float>(static_cast<std::size_t>(n), nan));
        CudaKernels::fill_normal(n, stream, 0.5f, 2.0f, e.data());
        std::vector<float> first = e.to_vector();
        std::size_t not_finite = 0;
        for (float x : first) not_finite += !std::isfinite(x);
        INFO("cuRAND fill_normal" << where);
        CHECK(not_finite == 0);
        CudaKernels::fill_normal(n, stream, 0.5f, 2.0f, e.data());
        check_equal(e.to_vector(), first, "cuRAND fill_normal again, same stream" + where);
        if (n >= 7) {  // a coincidence of all 7 values has probability ~0
            CudaKernels::fill_normal(n, other, 0.5f, 2.0f, e.data());
            CHECK(count_equal(e.to_vector(), first) < first.size());
            CHECK(count_equal(ours, first) < first.size());  // the route really is another generator
        }
    }
}

TEST_CASE("cuRAND fills reuse their scratch: no cudaMalloc after the first odd fill",
          "[cuda][fill][curand][allocator]") {
    UseCurand route;
    auto d = upload(std::vector<float>(1023, 0.f));
    CudaKernels::fill_normal(1023, RandomStream{1, 1}, 0.0f, 1.0f, d.data());
    auto before = cuda::allocator_stats().device_mallocs;
    for (std::uint64_t draw = 2; draw < 6; ++draw) CudaKernels::fill_normal(1023, RandomStream{1, draw}, 0.0f, 1.0f, d.data());
    CudaKernels::synchronize();
    CHECK(cuda::allocator_stats().device_mallocs == before);
}

TEST_CASE("a failed cuRAND call is an aigc::Error naming the call and the status", "[cuda][fill][curand][errors]") {
    CHECK_THROWS_WITH(cuda::check_curand(CURAND_STATUS_LENGTH_NOT_MULTIPLE, "curandGenerateNormal"),
                      Catch::Contains("curandGenerateNormal failed: CURAND_STATUS_LENGTH_NOT_MULTIPLE"));
    CHECK_THROWS_AS(cuda::check_curand(CURAND_STATUS_LAUNCH_FAILURE, "curandGenerateUniform"), Error);
    CHECK_NOTHROW(cuda::check_curand(CURAND_STATUS_SUCCESS, "curandGenerateUniform"));
}

namespace {

// Sample mean and variance, the fraction of values in each of `bins` equal bins of [low, high),
// computed in double.
struct Summary {
    double mean = 0, variance = 0;
    std::vector<double> bin_fraction;
};

template <class T>
Summary summarise(const std::vector<T>& values, double low, double high, int bins) {
    Summary s;
    s.bin_fraction.assign(static_cast<std::size_t>(bins), 0.0);
    double n = static_cast<double>(values.size());
    for (T v : values) s.mean += static_cast<double>(v) / n;
    for (T v : values) {
        double x = static_cast<double>(v);
        s.variance += (x - s.mean) * (x - s.mean) / (n - 1);
        int bin = static_cast<int>(std::floor((x - low) / (high - low) * bins));
        if (bin >= 0 && bin < bins) s.bin_fraction[static_cast<std::size_t>(bin)] += 1.0 / n;
    }
    return s;
}

// |got - want| within 6 standard errors.
void check_statistic(double got, double want, double standard_error, const std::string& what) {
    INFO(what << ": got " << got << ", want " << want << " +- 6 x " << standard_error);
    CHECK(std::fabs(got - want) <= 6 * standard_error);
}

// Standard normal probability of [a, b).
double normal_mass(double a, double b) { return 0.5 * (std::erf(b / std::sqrt(2.0)) - std::erf(a / std::sqrt(2.0))); }

template <class T>
void check_fill_distributions(const std::string& route) {
    const index_t n = index_t(1) << 18;
    const double count = static_cast<double>(n);
    auto d = upload(std::vector<T>(static_cast<std::size_t>(n), T(0)));
    std::string what = route + (sizeof(T) == 4 ? " float" : " double");

    // Uniform on (-2, 3]: mean 0.5, variance 25/12 (fourth central moment 625/80), ten bins of 1/10.
    CudaKernels::fill_uniform(n, RandomStream{77, 0}, T(-2), T(3), d.data());
    Summary u = summarise(d.to_vector(), -2.0, 3.0, 10);
    double var = 25.0 / 12.0;
    check_statistic(u.mean, 0.5, std::sqrt(var / count), what + " uniform mean");
    check_statistic(u.variance, var, std::sqrt((625.0 / 80.0 - var * var) / count), what + " uniform variance");
    for (std::size_t b = 0; b < 10; ++b)
        check_statistic(u.bin_fraction[b], 0.1, std::sqrt(0.1 * 0.9 / count), what + " uniform bin " + std::to_string(b));

    // Normal(0.5, 2): variance 4 (fourth central moment 3 sigma^4), twelve bins of half a sigma.
    CudaKernels::fill_normal(n, RandomStream{78, 5}, T(0.5), T(2), d.data());
    Summary z = summarise(d.to_vector(), 0.5 - 6.0, 0.5 + 6.0, 12);
    check_statistic(z.mean, 0.5, 2.0 / std::sqrt(count), what + " normal mean");
    check_statistic(z.variance, 4.0, std::sqrt(2.0 * 16.0 / count), what + " normal variance");
    for (std::size_t b = 0; b < 12; ++b) {
        double p = normal_mass(-3.0 + 0.5 * static_cast<double>(b), -2.5 + 0.5 * static_cast<double>(b));
        check_statistic(z.bin_fraction[b], p, std::sqrt(p * (1 - p) / count), what + " normal bin " + std::to_string(b));
    }
}

}  // namespace

TEST_CASE("random fills have the distributions they promise, on our kernels and on cuRAND",
          "[cuda][fill][curand][philox]") {
    check_fill_distributions<float>("ours");
    check_fill_distributions<double>("ours");
    UseCurand route;
    check_fill_distributions<float>("cuRAND");
    check_fill_distributions<double>("cuRAND");
}

// ---- copies -----------------------------------------------------------------------------------

TEST_CASE("copy_block, copy and host transfers match the CPU backend exactly", "[cuda][copy]") {
    for (index_t rows : {index_t(1), index_t(7), index_t(1023)}) {
        const index_t part = 7, total = 20, offset = 3;
        auto src = random_values(rows * part, 10 + rows), dst0 = random_values(rows * total, 20 + rows);
        for (bool acc : {false, true}) {
            // concat: write a [rows, 7] block into columns [3, 10) of a [rows, 20] matrix
            std::vector<float> want = dst0;
            CpuKernels::copy_block(rows, part, src.data(), part, want.data() + offset, total, acc);
            auto dsrc = upload(src), ddst = upload(dst0);
            CudaKernels::copy_block(rows, part, dsrc.data(), part, ddst.data() + offset, total, acc);
            check_equal(ddst.to_vector(), want, "copy_block into columns, rows=" + std::to_string(rows));
            // slice: read columns [3, 10) of the [rows, 20] matrix
            std::vector<float> want_slice(static_cast<std::size_t>(rows * part), 1.0f);
            auto dslice = upload(want_slice);
            CpuKernels::copy_block(rows, part, dst0.data() + offset, total, want_slice.data(), part, acc);
            auto d0 = upload(dst0);
            CudaKernels::copy_block(rows, part, d0.data() + offset, total, dslice.data(), part, acc);
            check_equal(dslice.to_vector(), want_slice, "copy_block slice, rows=" + std::to_string(rows));
        }
    }
    auto values = random_values(4097, 3);
    auto a = upload(values), b = upload(std::vector<float>(values.size(), 0.f));
    CudaKernels::copy(4097, a.data(), b.data());
    check_equal(b.to_vector(), values, "copy");
    std::vector<float> back(values.size());
    CudaKernels::to_host(4097, b.data(), back.data());
    check_equal(back, values, "to_host");
    CudaKernels::from_host(0, back.data(), b.data());  // zero-length transfers are no-ops
    CudaKernels::to_host(0, b.data(), back.data());
    auto cpu = Tensor<float, Cpu>::from_vector({17, 241}, values);  // 17 * 241 = 4097
    auto there = cpu.to<Cuda>();
    auto home = there.to<Cpu>();
    CHECK(home.shape() == cpu.shape());
    check_equal(home.to_vector(), cpu.to_vector(), "Tensor::to<Cuda>().to<Cpu>()");
}
