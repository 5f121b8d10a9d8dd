// The tape itself: gradient accumulation, NoGrad, detach, shared subexpressions, freed graphs and
// very deep graphs.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <aigc/autograd/autograd.hpp>

using namespace aigc;

namespace {

using V = Var<double>;
using T = Tensor<double>;

std::vector<double> grad_of(const V& v) {
    REQUIRE(v.has_grad());
    return v.grad().to_vector();
}

// Runs `body` on a thread with a small stack, so code whose stack use grows with the graph depth
// fails here (SIGSEGV) at a depth that an 8 MB main-thread stack would still survive.
void run_with_small_stack(std::size_t stack_bytes, std::function<void()> body) {
    struct Job {
        std::function<void()> body;
        std::string error;
    } job{std::move(body), {}};
    auto trampoline = [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        try {
            j->body();
        } catch (const std::exception& e) {
            j->error = e.what();
        }
        return nullptr;
    };
    pthread_attr_t attr;
    REQUIRE(pthread_attr_init(&attr) == 0);
    REQUIRE(pthread_attr_setstacksize(&attr, stack_bytes) == 0);
    pthread_t thread;
    REQUIRE(pthread_create(&thread, &attr, trampoline, &job) == 0);
    REQUIRE(pthread_join(thread, nullptr) == 0);
    pthread_attr_destroy(&attr);
    INFO(job.error);
    CHECK(job.error.empty());
}

}  // namespace

TEST_CASE("leaf gradients accumulate across backward() calls until zero_grad", "[autograd][backward][zero_grad]") {
    auto x = parameter(T::from_vector({3}, {1.0, -2.0, 0.5}));
    auto loss = [&] { return sum(square(x) * 3.0); };  // d/dx = 6x
    loss().backward();
    CHECK(grad_of(x) == std::vector<double>{6.0, -12.0, 3.0});
    loss().backward();
    CHECK(grad_of(x) == std::vector<double>{12.0, -24.0, 6.0});
    x.zero_grad();
    CHECK(grad_of(x) == std::vector<double>{0.0, 0.0, 0.0});
    loss().backward();
    CHECK(grad_of(x) == std::vector<double>{6.0, -12.0, 3.0});
}

TEST_CASE("zero_grad keeps the gradient buffer (no allocation per step)", "[autograd][zero_grad]") {
    auto x = parameter(T::ones({4}));
    sum(x).backward();
    const double* buffer = x.grad().data();
    x.zero_grad();
    sum(x * 2.0).backward();
    CHECK(x.grad().data() == buffer);
    CHECK(grad_of(x) == std::vector<double>(4, 2.0));
}

TEST_CASE("NoGrad records no graph", "[autograd][no_grad]") {
    auto x = parameter(T::ones({2, 2}));
    CHECK(grad_enabled());
    {
        NoGrad no_grad;
        CHECK_FALSE(grad_enabled());
        V y = tanh(x * 2.0 + x);
        CHECK_FALSE(y.requires_grad());
        CHECK(y.is_leaf());  // no closure, no inputs kept alive
        CHECK(y.node().inputs.empty());
        CHECK(y.value().to_vector() == std::vector<double>(4, std::tanh(3.0)));
        {
            NoGrad nested;
            CHECK_FALSE(grad_enabled());
        }
        CHECK_FALSE(grad_enabled());  // the inner guard restores the outer state, not "on"
        CHECK_THROWS_AS(sum(y).backward(), Error);
    }
    CHECK(grad_enabled());
    V z = x * 2.0;
    CHECK(z.requires_grad());
    CHECK_FALSE(z.is_leaf());
}

TEST_CASE("an op on inputs that need no gradient is a constant", "[autograd][requires_grad]") {
    V a(T::ones({2})), b(T::ones({2}));
    V c = a * b + 1.0;
    CHECK_FALSE(c.requires_grad());
    CHECK(c.node().inputs.empty());
}

TEST_CASE("detach cuts the graph but shares the value", "[autograd][detach]") {
    auto x = parameter(T::from_vector({2}, {1.0, 2.0}));
    auto w = parameter(T::from_vector({2}, {3.0, 4.0}));
    V y = x * 2.0;
    V cut = y.detach();
    CHECK(cut.is_leaf());
    CHECK_FALSE(cut.requires_grad());
    CHECK(cut.value().shares_storage_with(y.value()));
    sum(cut * w).backward();
    CHECK_FALSE(x.has_grad());  // nothing flowed through the detached branch
    CHECK(grad_of(w) == std::vector<double>{2.0, 4.0});
}

TEST_CASE("a Var used along two paths (diamond) receives the sum of both gradients", "[autograd][backward]") {
    auto x = parameter(T::from_vector({2}, {1.5, -0.5}));
    V y = x * 2.0;         // shared interior node
    V z = y * y + y * 3.0;  // dz/dy = 2y + 3, dz/dx = 2 (2y + 3) = 8x + 6
    sum(z).backward();
    CHECK(grad_of(x) == std::vector<double>{8 * 1.5 + 6, 8 * -0.5 + 6});

    auto u = parameter(T::from_vector({1}, {3.0}));
    sum(u * u * u).backward();  // the same leaf three times in one expression: 3u^2
    CHECK(grad_of(u) == std::vector<double>{27.0});
}

TEST_CASE("inputs that do not require grad get no gradient", "[autograd][requires_grad]") {
    auto x = parameter(T::ones({2}));
    V constant(T::full({2}, 5.0));
    sum(x * constant).backward();
    CHECK(grad_of(x) == std::vector<double>{5.0, 5.0});
    CHECK_FALSE(constant.has_grad());
}

TEST_CASE("backward twice on a freed graph throws", "[autograd][backward]") {
    auto x = parameter(T::ones({2}));
    V loss = sum(tanh(x));
    loss.backward();
    CHECK_THROWS_WITH(loss.backward(), Catch::Contains("already freed"));
    // The leaf keeps its gradient; the interior was released.
    CHECK(x.has_grad());
    CHECK_FALSE(loss.is_leaf());
}

TEST_CASE("a second loss through a subgraph freed by the first backward throws instead of dropping gradients",
          "[autograd][backward]") {
    auto x = parameter(T::ones({2}));
    V shared = x * 2.0;
    V first = sum(shared), second = sum(shared * 3.0);
    first.backward();
    CHECK_THROWS_WITH(second.backward(), Catch::Contains("graph through 'mul' was already freed"));
    CHECK(grad_of(x) == std::vector<double>{2.0, 2.0});  // only the first loss reached x
}

TEST_CASE("two losses on a detached subgraph both reach their own parameters", "[autograd][backward][detach]") {
    // The GAN pattern: D's loss sees a detached fake, G's loss back-propagates through D into G.
    auto g_weight = parameter(T::from_vector({1}, {2.0}));
    auto d_weight = parameter(T::from_vector({1}, {3.0}));
    V noise(T::from_vector({1}, {0.5}));
    V fake = noise * g_weight;
    sum(fake.detach() * d_weight).backward();
    CHECK_FALSE(g_weight.has_grad());
    CHECK(grad_of(d_weight) == std::vector<double>{1.0});  // fake = 1
    sum(fake * d_weight).backward();
    CHECK(grad_of(g_weight) == std::vector<double>{0.5 * 3.0});
    CHECK(grad_of(d_weight) == std::vector<double>{2.0});
}

TEST_CASE("backward on a non-scalar needs a seed of the output's shape", "[autograd][backward]") {
    auto x = parameter(T::from_vector({2, 2}, {1, 2, 3, 4}));
    V y = x * 3.0;
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("implicit gradient needs a scalar output, got shape [2, 2]"));
    CHECK_THROWS_WITH(y.backward(T::ones({4})), Catch::Contains("seed gradient has shape [4], output has [2, 2]"));
    y.backward(T::from_vector({2, 2}, {1, 0, 0, 2}));
    CHECK(grad_of(x) == std::vector<double>{3, 0, 0, 6});
}

TEST_CASE("backward on a one-element output of any rank needs no seed", "[autograd][backward]") {
    auto x = parameter(T::from_vector({1, 1}, {2.0}));
    V y = square(x);
    y.backward();
    CHECK(grad_of(x) == std::vector<double>{4.0});
}

TEST_CASE("backward from a leaf seeds its own gradient", "[autograd][backward]") {
    auto x = parameter(T::from_vector({2}, {1.0, 2.0}));
    x.backward(T::from_vector({2}, {0.5, 0.25}));
    CHECK(grad_of(x) == std::vector<double>{0.5, 0.25});
    CHECK(x.is_leaf());  // a leaf is never "freed"
    x.backward(T::from_vector({2}, {0.5, 0.25}));
    CHECK(grad_of(x) == std::vector<double>{1.0, 0.5});
}

TEST_CASE("only leaves can stop requiring gradients", "[autograd][requires_grad]") {
    auto x = parameter(T::ones({2}));
    V y = x * 2.0;
    CHECK_THROWS_WITH(y.set_requires_grad(false), Catch::Contains("only leaves"));
    x.set_requires_grad(false);
    CHECK_FALSE((x * 2.0).requires_grad());
}

TEST_CASE("a deep chain (10k ops) runs backward and is freed without deep recursion", "[autograd][backward]") {
    // 256 KiB is far less than 10k nested frames need, so any recursion over the depth (in the
    // topological sort, the backward closures or the nodes' destructors) crashes this test.
    constexpr int depth = 10000;
    constexpr std::size_t stack_bytes = 256 * 1024;
    run_with_small_stack(stack_bytes, [] {
        auto x = parameter(T::from_vector({2}, {1.0, -1.0}));
        V y = x;
        for (int i = 0; i < depth; ++i) y = y * 1.0001;  // y = 1.0001^depth x
        sum(y).backward();
        double expected = std::pow(1.0001, depth);
        std::vector<double> g = x.grad().to_vector();
        if (std::fabs(g[0] - expected) > 1e-9 * expected || std::fabs(g[1] - expected) > 1e-9 * expected)
            throw std::runtime_error("wrong gradient at depth " + std::to_string(depth));
    });
    run_with_small_stack(stack_bytes, [] {
        // Never back-propagated: the whole graph is alive until the last handle goes.
        auto x = parameter(T::ones({2}));
        V y = x;
        for (int i = 0; i < depth; ++i) y = tanh(y) + 0.5;
    });
}

TEST_CASE("the gradient-ready hook reports each leaf once, after its last contribution", "[autograd][backward][hook]") {
    // w1 feeds two ops (its gradient gets two contributions), w2 one; a leaf without
    // requires_grad is never reported.
    V w1(Tensor<double, Cpu>::from_vector(Shape{2}, {1.5, -2.0}), true);
    V w2(Tensor<double, Cpu>::from_vector(Shape{2}, {0.5, 3.0}), true);
    V constant(Tensor<double, Cpu>::from_vector(Shape{2}, {2.0, 2.0}));
    V loss = sum(w1 * w2 + w1 * constant);  // d/dw1 = w2 + 2, d/dw2 = w1

    struct Recorder final : GradReadyHook<double, Cpu> {
        std::vector<std::pair<const Node<double, Cpu>*, std::vector<double>>> seen;
        int started = 0, finished = 0;
        void backward_started() override {
            CHECK(seen.empty());
            ++started;
        }
        void gradient_ready(Node<double, Cpu>& leaf) override { seen.emplace_back(&leaf, leaf.grad.to_vector()); }
        void backward_finished() override { ++finished; }
    } recorder, second;
    grad_ready_hooks<double, Cpu>() = {&recorder, &second};
    loss.backward();
    grad_ready_hooks<double, Cpu>().clear();

    CHECK(recorder.started == 1);
    CHECK(recorder.finished == 1);
    CHECK(second.seen.size() == recorder.seen.size());  // every installed hook hears every leaf
    REQUIRE(recorder.seen.size() == 2);
    for (const auto& [node, grad_then] : recorder.seen) {
        CHECK((node == &w1.node() || node == &w2.node()));
        CHECK(grad_then == node->grad.to_vector());  // nothing was added after the report
    }
    CHECK(recorder.seen[0].first != recorder.seen[1].first);
    CHECK(w1.grad().to_vector() == std::vector<double>{2.5, 5.0});
    CHECK(w2.grad().to_vector() == std::vector<double>{1.5, -2.0});
}

// ---- grad(): gradients returned, and gradients of gradients -----------------------------------

TEST_CASE("grad returns the gradients and leaves every .grad() as it was", "[autograd][grad]") {
    V x(T::from_vector({2}, {1.0, 2.0}), true), w(T::from_vector({2}, {3.0, -1.0}), true);
    sum(x * w).backward();  // x.grad = w, w.grad = x
    V y = sum(square(x) * w);
    std::vector<V> g = grad(y, {x});
    REQUIRE(g.size() == 1);
    CHECK(g[0].value().to_vector() == std::vector<double>{6.0, -4.0});  // 2 x w
    CHECK_FALSE(g[0].requires_grad());                                   // no create_graph: a constant
    CHECK(x.grad().to_vector() == std::vector<double>{3.0, -1.0});
    CHECK(w.grad().to_vector() == std::vector<double>{1.0, 2.0});
    // Without retain_graph the pass freed the graph, as backward() does.
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("already freed"));
}

TEST_CASE("grad with create_graph gives a gradient that can be differentiated again", "[autograd][grad]") {
    // y = sum(x^3): dy/dx = 3x^2 (a Var), and the gradient of sum(dy/dx) is 6x.
    V x(T::from_vector({3}, {1.0, -2.0, 0.5}), true);
    std::vector<V> g = grad(sum(pow(x, 3.0)), {x}, {.create_graph = true});
    REQUIRE(g[0].requires_grad());
    CHECK(g[0].value().to_vector() == std::vector<double>{3.0, 12.0, 0.75});
    sum(g[0]).backward();
    CHECK(x.grad().to_vector() == std::vector<double>{6.0, -12.0, 3.0});
    // Third order through the same machinery: d/dx sum(6x) = 6.
    V x2(T::from_vector({2}, {0.3, 0.7}), true);
    V d1 = grad(sum(pow(x2, 3.0)), {x2}, {.create_graph = true})[0];
    V d2 = grad(sum(d1), {x2}, {.create_graph = true})[0];
    V d3 = grad(sum(d2), {x2})[0];
    CHECK(d3.value().to_vector() == std::vector<double>{6.0, 6.0});
}

TEST_CASE("a gradient penalty trains the critic's weights through the gradient (WGAN-GP, R1)", "[autograd][grad]") {
    // Critic D(x) = sum(tanh(x W^T)) on one sample; penalty = (|dD/dx|^2 - 1)^2 with x an input.
    V x(T::from_vector({1, 2}, {0.4, -0.3}), true);
    V w(T::from_vector({2, 2}, {0.5, -1.0, 2.0, 0.25}), true);
    auto penalty_of = [&](const V& weight) {
        V dx = grad(sum(tanh(linear(x, weight))), {x}, {.create_graph = true})[0];
        return square(sum(square(dx)) - 1.0);
    };
    V penalty = penalty_of(w);
    penalty.backward();
    // Against central differences of the penalty in each weight.
    for (index_t i = 0; i < 4; ++i) {
        auto at = [&](double delta) {
            T moved = w.value().clone();
            moved.data()[i] += delta;
            return penalty_of(V(moved)).item();
        };
        double numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
        INFO("weight element " << i);
        CHECK(w.grad().data()[i] == Approx(numeric).epsilon(1e-6));
    }
}

TEST_CASE("backward with retain_graph can run twice and adds both passes", "[autograd][backward][retain_graph]") {
    V x(T::from_vector({2}, {1.0, 2.0}), true);
    V y = sum(exp(x) * x);
    y.backward({.retain_graph = true});
    std::vector<double> once = grad_of(x);
    y.backward();
    for (std::size_t i = 0; i < once.size(); ++i) CHECK(x.grad().to_vector()[i] == Approx(2 * once[i]));
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("already freed"));
}

TEST_CASE("grad with retain_graph leaves the graph for backward", "[autograd][grad][retain_graph]") {
    V x(T::from_vector({2}, {1.0, 2.0}), true);
    V y = sum(square(x));
    V g = grad(y, {x}, {.retain_graph = true})[0];
    y.backward();
    CHECK(g.value().to_vector() == grad_of(x));
}

TEST_CASE("grad w.r.t. an interior Var, and with a seed for a non-scalar output", "[autograd][grad]") {
    V x(T::from_vector({2}, {1.0, 2.0}), true);
    V h = x * 3.0;  // interior
    V y = square(h);
    std::vector<V> g = grad(y, {h, x}, {.grad_output = V(T::from_vector({2}, {1.0, 0.5}))});
    CHECK(g[0].value().to_vector() == std::vector<double>{6.0, 6.0});    // 2 h seed
    CHECK(g[1].value().to_vector() == std::vector<double>{18.0, 18.0});  // 2 h seed * 3
    V z = square(x);
    CHECK_THROWS_WITH(grad(z, {x}), Catch::Contains("grad: implicit gradient needs a one-element output, got shape [2]"));
    CHECK_THROWS_WITH(grad(z, {x}, {.grad_output = V(T::ones({3}))}),
                      Catch::Contains("grad: seed gradient has shape [3], output has [2]"));
}

TEST_CASE("grad names an unused input, or gives an undefined Var with allow_unused", "[autograd][grad]") {
    V x(T::from_vector({2}, {1.0, 2.0}), true), unused(T::ones({3}), true), constant(T::ones({2}));
    unused.grad() = T::ones({3});  // an old gradient must not come back as the answer
    CHECK_THROWS_WITH(grad(sum(x), {x, unused}),
                      Catch::Contains("grad: input 1 ('leaf' [3]) is not used to compute the output; pass allow_unused"));
    for (bool create_graph : {false, true}) {
        std::vector<V> g = grad(sum(x), {x, unused}, {.create_graph = create_graph, .allow_unused = true});
        CHECK(g[0].defined());
        CHECK_FALSE(g[1].defined());
    }
    CHECK_THROWS_WITH(grad(sum(x), {constant}), Catch::Contains("grad: input 0 ('leaf' [2]) does not require grad"));
    CHECK_THROWS_WITH(grad(sum(constant), {x}), Catch::Contains("grad: 'sum' does not require grad"));
}

TEST_CASE("grad does not call the gradient-ready hooks", "[autograd][grad][hook]") {
    struct Counter final : GradReadyHook<double, Cpu> {
        int calls = 0;
        void backward_started() override { ++calls; }
        void gradient_ready(Node<double, Cpu>&) override { ++calls; }
    } counter;
    V x(T::from_vector({2}, {1.0, 2.0}), true);
    grad_ready_hooks<double, Cpu>() = {&counter};
    grad(sum(square(x)), {x});
    grad(sum(square(x)), {x}, {.create_graph = true});
    grad_ready_hooks<double, Cpu>().clear();
    CHECK(counter.calls == 0);
}

TEST_CASE("grad with create_graph records the gradient even under NoGrad", "[autograd][grad][no_grad]") {
    V x(T::from_vector({2}, {1.0, 2.0}), true);
    V y = sum(square(x));
    NoGrad off;
    V g = grad(y, {x}, {.create_graph = true})[0];
    CHECK(g.requires_grad());
    CHECK_FALSE(grad_enabled());  // restored afterwards
}
