// Bad input throws aigc::Error whose message names the operation, what was expected and what was
// given (docs/DESIGN "Contracts"). Each check pins the part of the message a user needs to fix the call.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <aigc/autograd/autograd.hpp>

using namespace aigc;
using Catch::Contains;

namespace {
using V = Var<float>;
using T = Tensor<float>;

V zeros(const Shape& s) { return V(T::zeros(s)); }
V param(const Shape& s) { return parameter(T::zeros(s)); }
}  // namespace

TEST_CASE("errors are aigc::Error, a std::runtime_error", "[errors]") {
    CHECK_THROWS_AS(matmul(zeros({2, 3}), zeros({2, 3})), Error);
    CHECK_THROWS_AS(matmul(zeros({2, 3}), zeros({2, 3})), std::runtime_error);
}

TEST_CASE("linear names the feature counts and the input shape", "[errors][linear]") {
    CHECK_THROWS_WITH(linear(zeros({64, 783}), zeros({256, 784}), zeros({256})),
                      "linear: input has 783 features, weight expects 784 (input [64, 783])");
    CHECK_THROWS_WITH(linear(zeros({64, 783}), zeros({256, 784})), Contains("input has 783 features"));
    CHECK_THROWS_WITH(linear(zeros({784}), zeros({256, 784})),
                      Contains("linear: input must be [batch, 784], given [784]"));
    CHECK_THROWS_WITH(linear(zeros({64, 784}), zeros({784})),
                      Contains("linear: weight must be [out, in], given [784]"));
    CHECK_THROWS_WITH(linear(zeros({64, 784}), zeros({256, 784}), zeros({784})),
                      Contains("linear: bias must be [256], given [784]"));
    CHECK_THROWS_WITH(linear(zeros({64, 784}), zeros({256, 784}), zeros({1, 256})),
                      Contains("linear: bias must be [256], given [1, 256]"));
}

TEST_CASE("matmul names both shapes", "[errors][matmul]") {
    CHECK_THROWS_WITH(matmul(zeros({2, 3}), zeros({4, 5})),
                      Contains("matmul: inner dimensions differ: [2, 3] . [4, 5] (3 vs 4)"));
    CHECK_THROWS_WITH(matmul(zeros({3}), zeros({3, 2})),
                      Contains("matmul: expected two matrices, given [3] and [3, 2]"));
}

TEST_CASE("binary ops name the shapes that do not broadcast", "[errors][add][sub][mul][div][broadcast]") {
    const char* expectation = "do not broadcast (expected equal shapes, a row [cols], a column [rows, 1] or a scalar)";
    CHECK_THROWS_WITH(zeros({2, 3}) + zeros({4}), Contains("add: shapes [2, 3] and [4] do not broadcast"));
    CHECK_THROWS_WITH(zeros({2, 3}) + zeros({4}), Contains(expectation));
    CHECK_THROWS_WITH(zeros({2, 3}) - zeros({3, 2}), Contains("sub: shapes [2, 3] and [3, 2]"));
    CHECK_THROWS_WITH(zeros({2, 3}) * zeros({3, 1}), Contains("mul: shapes [2, 3] and [3, 1]"));
    CHECK_THROWS_WITH(zeros({2}) / zeros({3}), Contains("div: shapes [2] and [3]"));
    CHECK_THROWS_WITH(zeros({2, 3}) * zeros({2}), Contains("mul: shapes [2, 3] and [2]"));  // a column needs [2, 1]
}

TEST_CASE("division by the scalar zero", "[errors][div]") {
    CHECK_THROWS_WITH(zeros({2, 3}) / 0.0f, "div: division of a [2, 3] tensor by the scalar 0");
    CHECK_NOTHROW(zeros({2, 3}) / 1e-30f);
}

TEST_CASE("reductions name the axis and the shape", "[errors][sum][mean][var][logsumexp]") {
    CHECK_THROWS_WITH(sum(zeros({2, 3}), 2), Contains("sum: axis 2 is out of range for [2, 3] (rank 2: axes -2 to 1)"));
    CHECK_THROWS_WITH(mean(zeros({2, 3}), -3), Contains("mean: axis -3 is out of range for [2, 3]"));
    CHECK_THROWS_WITH(sum(zeros({2, 3, 4}), 3), Contains("sum: axis 3 is out of range for [2, 3, 4] (rank 3"));
    CHECK_THROWS_WITH(sum(V(Tensor<float>(Shape{})), 0), Contains("sum: a scalar [] has no axis 0"));
    CHECK_THROWS_WITH(mean(zeros({0, 3})), Contains("mean: the mean of an empty tensor [0, 3] is undefined"));
    CHECK_THROWS_WITH(mean(zeros({0, 3}), 0), Contains("mean: axis 0 of [0, 3] is empty"));
    CHECK_THROWS_WITH(var(zeros({1, 3}), 0), Contains("var: axis 0 of [1, 3] has 1 elements, too few for correction 1"));
    CHECK_THROWS_WITH(logsumexp(zeros({0, 3}), 0), Contains("logsumexp: axis 0 of [0, 3] is empty"));
}

TEST_CASE("shape ops name the element counts, parts and columns", "[errors][reshape][view][concat][slice_cols]") {
    CHECK_THROWS_WITH(reshape(zeros({2, 3}), {4, 2}),
                      Contains("reshape: cannot view [2, 3] (6 elements) as [4, 2] (8 elements)"));
    CHECK_THROWS_WITH(view(zeros({2, 3}), {5}), Contains("reshape: cannot view [2, 3]"));
    CHECK_THROWS_WITH(concat(std::vector<V>{}), Contains("concat: needs at least one tensor"));
    CHECK_THROWS_WITH(concat(std::vector<V>{zeros({2, 3}), zeros({4, 1})}),
                      Contains("concat: part 1 has shape [4, 1], part 0 has [2, 3]; they may differ only along axis 1"));
    CHECK_THROWS_WITH(concat(std::vector<V>{zeros({2, 3}), zeros({2})}),
                      Contains("concat: part 1 has shape [2], part 0 has [2, 3]"));
    CHECK_THROWS_WITH(concat({zeros({2, 3}), zeros({2, 3})}, 2), Contains("concat: axis 2 is out of range for [2, 3]"));
    CHECK_THROWS_WITH(stack({zeros({2, 3}), zeros({3, 2})}), Contains("stack: part 1 has shape [3, 2], part 0 has [2, 3]"));
    CHECK_THROWS_WITH(slice_cols(zeros({2, 5}), 3, 4),
                      Contains("slice_cols: columns [3, 7) are out of range for [2, 5]"));
    CHECK_THROWS_WITH(slice_cols(zeros({2, 5}), -1, 2), Contains("slice_cols: columns [-1, 1) are out of range"));
    CHECK_THROWS_WITH(slice_cols(zeros({10}), 0, 2),
                      Contains("slice_cols: expected a matrix [rows, cols], given [10]"));
    CHECK_THROWS_WITH(slice(zeros({2, 5}), 0, 1, 2), Contains("slice: [1, 3) is out of range for axis 0 of [2, 5]"));
    CHECK_THROWS_WITH(transpose(zeros({10})), Contains("transpose: expected a matrix [rows, cols], given [10]"));
}

TEST_CASE("dropout rejects a probability outside [0, 1]", "[errors][dropout]") {
    Generator gen(1);
    CHECK_THROWS_WITH(dropout(zeros({2, 2}), 1.5, true, gen), "dropout: probability must be in [0, 1], given 1.5");
    CHECK_THROWS_WITH(dropout(zeros({2, 2}), -0.1, true, gen), Contains("given -0.1"));
    CHECK_THROWS_AS(dropout(zeros({2, 2}), std::numeric_limits<double>::quiet_NaN(), true, gen), Error);
    // Checked even in evaluation mode, so a bad configuration fails on the first call.
    CHECK_THROWS_AS(dropout(zeros({2, 2}), 2.0, false, gen), Error);
    CHECK_NOTHROW(dropout(zeros({2, 2}), 1.0, true, gen));
    CHECK_NOTHROW(dropout(zeros({2, 2}), 0.0, true, gen));
}

TEST_CASE("element-wise losses name the input and the target shapes",
          "[errors][bce][bce_with_logits][mse][gaussian_kl]") {
    T target = T::zeros({4, 3});
    CHECK_THROWS_WITH(bce(zeros({4, 2}), target),
                      "bce: shape mismatch: probabilities [4, 2], target [4, 3] (they must be equal)");
    CHECK_THROWS_WITH(bce_with_logits(zeros({4, 1}), target),
                      Contains("bce_with_logits: shape mismatch: logits [4, 1], target [4, 3]"));
    CHECK_THROWS_WITH(mse(zeros({3, 4}), target), Contains("mse: shape mismatch: prediction [3, 4], target [4, 3]"));
    // No silent broadcasting of targets (PyTorch warns and broadcasts [4] against [4, 1]).
    CHECK_THROWS_WITH(bce_with_logits(zeros({4, 1}), T::zeros({4})), Contains("logits [4, 1], target [4]"));
    CHECK_THROWS_WITH(gaussian_kl(zeros({8, 20}), zeros({8, 2})),
                      "gaussian_kl: shape mismatch: mu [8, 20], logvar [8, 2] (they must be equal)");
}

TEST_CASE("cross_entropy names the label count, the bad label and the logits shape", "[errors][cross_entropy]") {
    V logits = zeros({4, 10});
    CHECK_THROWS_WITH(cross_entropy(logits, {1, 2, 3}), "cross_entropy: 3 labels for a batch of 4 (logits [4, 10])");
    CHECK_THROWS_WITH(cross_entropy(logits, {1, 2, 10, 3}),
                      Contains("cross_entropy: label 10 at position 2 is outside [0, 10)"));
    CHECK_THROWS_WITH(cross_entropy(logits, {-1, 2, 3, 4}), Contains("label -1 at position 0 is outside [0, 10)"));
    CHECK_THROWS_WITH(cross_entropy(zeros({10}), {1}),
                      Contains("cross_entropy: logits must be [batch, classes], given [10]"));
    CHECK_THROWS_WITH(cross_entropy(zeros({2, 0}), {0, 0}), Contains("cross_entropy: logits have no classes [2, 0]"));
}

TEST_CASE("backward names what is missing", "[errors][backward]") {
    V y = param({2, 2}) * 2.0f;
    CHECK_THROWS_WITH(y.backward(), Contains("backward: implicit gradient needs a scalar output, got shape [2, 2]"));
    CHECK_THROWS_WITH(y.backward(T::zeros({2})), Contains("backward: seed gradient has shape [2], output has [2, 2]"));
    CHECK_THROWS_WITH(sum(zeros({2}) * 2.0f).backward(), Contains("backward: 'sum' does not require grad"));
    V loss = sum(y);
    loss.backward();
    CHECK_THROWS_WITH(loss.backward(), Contains("backward: the graph of 'sum' was already freed"));
    CHECK_THROWS_WITH(y.set_requires_grad(false),
                      Contains("set_requires_grad: only leaves can stop requiring gradients"));
}

TEST_CASE("tensor and shape misuse", "[errors][tensor][shape]") {
    CHECK_THROWS_WITH(T::zeros({2, 3}).item(), Contains("item: tensor has 6 elements [2, 3], expected exactly 1"));
    CHECK_THROWS_WITH(T::from_vector({3}, {1, 2}), Contains("Tensor::from_vector: shape [3] needs 3 values, got 2"));
    CHECK_THROWS_WITH(T::zeros({2}).copy_from(T::zeros({3})), Contains("copy_from: expected shape [2], given [3]"));
    CHECK_THROWS_WITH((Shape{1, 2, 3, 4, 5}), Contains("Shape: rank 5 exceeds the maximum of 4"));
    CHECK_THROWS_WITH((Shape{2, -3}), Contains("Shape: negative dimension -3"));
    CHECK_THROWS_WITH(Generator(1).next_below(0), Contains("Generator::next_below: bound must be positive"));
    float y;
    CHECK_THROWS_WITH(Kernels<Cpu>::max_rows(2, 0, static_cast<const float*>(nullptr), &y),
                      Contains("max_rows: a row maximum of zero columns is undefined"));
}

TEST_CASE("thread count: set_num_threads and AIGC_NUM_THREADS reject garbage", "[errors][threads]") {
    int before = num_threads();
    CHECK_THROWS_WITH(set_num_threads(0), "set_num_threads: need at least 1 thread, got 0");
    CHECK_THROWS_WITH(set_num_threads(-4), Contains("got -4"));
    CHECK(num_threads() == before);

    // The environment is read once, before the first kernel; its parser is tested directly here.
    const char* saved = std::getenv("AIGC_NUM_THREADS");
    std::string saved_value = saved ? saved : "";
    detail::thread_count_chosen() = false;  // as in a program that has not called set_num_threads
    for (const char* garbage : {"abc", "4x", "3 ", "2.5", "", "0", "-2", "99999"}) {
        INFO("AIGC_NUM_THREADS='" << garbage << "'");
        setenv("AIGC_NUM_THREADS", garbage, 1);
        CHECK_THROWS_WITH(detail::apply_thread_env(),
                          "AIGC_NUM_THREADS: expected a positive integer up to 4096, got '" + std::string(garbage) + "'");
    }
    setenv("AIGC_NUM_THREADS", "1", 1);
    CHECK_NOTHROW(detail::apply_thread_env());
    CHECK(num_threads() == 1);
    // A count the program chose wins: the environment is not even parsed.
    setenv("AIGC_NUM_THREADS", "garbage", 1);
    set_num_threads(1);
    CHECK_NOTHROW(detail::apply_thread_env());
    if (saved) setenv("AIGC_NUM_THREADS", saved_value.c_str(), 1);
    else unsetenv("AIGC_NUM_THREADS");
    set_num_threads(before);
}

TEST_CASE("thread count: more than the cores is capped, with a note", "[errors][threads]") {
    std::ostringstream note;
    const int cores = detail::available_cores();
    CHECK(usable_threads(cores, "--threads", note) == cores);
    CHECK(note.str().empty());
    CHECK(usable_threads(4096, "--threads", note) == cores);
    CHECK(note.str() == "note: --threads asks for 4096 threads, more than the " + std::to_string(cores) +
                            " cores this process may use; using " + std::to_string(cores) + "\n");
}
