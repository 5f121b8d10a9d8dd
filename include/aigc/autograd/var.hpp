#pragma once
// Reverse-mode autograd. A Var is a handle to a Node: a value, its gradient, and (for results
// of ops) the inputs and a closure that pushes the node's gradient into them. backward() sorts
// the graph reachable from the root topologically and runs the closures once, in reverse order
// (micrograd's scheme). Leaf gradients accumulate across backward() calls until zero_grad().
//
// Each closure has two forms. On plain tensors (fused kernels, nothing recorded) for backward()
// and grad(); and, given a GraphGradient, written with differentiable ops on Vars, so that
// grad(..., {.create_graph = true}) returns gradients that are themselves part of a graph and can
// enter a loss (WGAN-GP, R1) and be differentiated again (autograd/grad.hpp).
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../cpu.hpp"
#include "anomaly.hpp"

namespace aigc {

namespace detail {
inline bool& grad_mode() {
    thread_local bool enabled = true;
    return enabled;
}
}  // namespace detail

inline bool grad_enabled() { return detail::grad_mode(); }

// RAII: graphs are recorded while a GradMode(true) is alive even inside a NoGrad (a penalty that
// needs a gradient, computed in an otherwise gradient-free evaluation), and not while a
// GradMode(false) is.
class GradMode {
public:
    explicit GradMode(bool enabled) : previous_(detail::grad_mode()) { detail::grad_mode() = enabled; }
    ~GradMode() { detail::grad_mode() = previous_; }
    GradMode(const GradMode&) = delete;
    GradMode& operator=(const GradMode&) = delete;

private:
    bool previous_;
};

// RAII: no graph is recorded while a NoGrad is alive (evaluation, sampling, optimizer updates).
class NoGrad {
public:
    NoGrad() : previous_(detail::grad_mode()) { detail::grad_mode() = false; }
    ~NoGrad() { detail::grad_mode() = previous_; }
    NoGrad(const NoGrad&) = delete;
    NoGrad& operator=(const NoGrad&) = delete;

private:
    bool previous_;
};

// A gradient buffer and whether a kernel adds to it (true) or overwrites it (false): pass
// `accumulate` as the kernel's accumulate flag, or as GEMM's beta.
template <class T, class D>
struct GradDestination {
    Tensor<T, D>& grad;
    bool accumulate;
};

template <class T, class D>
class GraphGradient;

template <class T, class D>
struct Node : std::enable_shared_from_this<Node<T, D>> {
    Tensor<T, D> value;
    Tensor<T, D> grad;  // allocated (zeros) the first time a gradient arrives
    bool requires_grad = false;
    const char* op = "leaf";
    std::vector<std::shared_ptr<Node>> inputs;
    // Without a GraphGradient: reads this->grad and accumulates into the inputs' grads. With one:
    // reads its grad() and gives each input's gradient as a Var (see GraphGradient).
    std::function<void(Node&, GraphGradient<T, D>*)> backward;
    bool released = false;                // the graph below was freed by a backward pass

    // The gradient buffer, created as zeros on first use so closures can always accumulate.
    Tensor<T, D>& grad_buffer() {
        if (!grad.defined()) grad = Tensor<T, D>::zeros(value.shape());
        return grad;
    }

    // Where a closure writes this node's gradient: the existing buffer, added to (accumulate), or
    // a new uninitialised one that the first gradient overwrites -- one pass instead of a zero
    // fill plus a read-modify-write. The closure must then write every element.
    GradDestination<T, D> grad_destination() {
        if (grad.defined()) return {grad, true};
        grad = Tensor<T, D>(value.shape());
        return {grad, false};
    }

    Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    // Dropping the last handle to a graph that never ran backward() would otherwise free it
    // recursively (each node's `inputs` releasing the next), one stack frame per op: a chain of
    // ~1e6 ops overflows an 8 MB stack. Unlink the inputs this node solely owns into a work list.
    ~Node() {
        std::vector<std::shared_ptr<Node>> pending = std::move(inputs);
        while (!pending.empty()) {
            std::shared_ptr<Node> last = std::move(pending.back());
            pending.pop_back();
            if (last.use_count() == 1)
                for (auto& child : last->inputs) pending.push_back(std::move(child));
        }  // `last` dies here with its inputs already moved out: no recursion
    }
};

// Told, during backward(), about each leaf of the graph that requires a gradient as soon as no
// node still to run can add to it: data-parallel training (dist/data_parallel.hpp) starts
// reducing a group of gradients while the rest of backward goes on, and finishes the reduction
// when backward ends. The hooks installed on a thread (grad_ready_hooks) see every backward() on
// it; one that throws never reaches backward_finished, so backward_started begins afresh.
template <class T, class D>
struct GradReadyHook {
    virtual void backward_started() {}
    virtual void gradient_ready(Node<T, D>& leaf) = 0;
    virtual void backward_finished() {}

protected:
    ~GradReadyHook() = default;
};

template <class T, class D>
std::vector<GradReadyHook<T, D>*>& grad_ready_hooks() {
    thread_local std::vector<GradReadyHook<T, D>*> hooks;
    return hooks;
}

struct BackwardOptions {
    // Keep the graph so that backward() (or grad()) can run through it again; by default it is
    // freed as the pass goes, since a training step needs it once.
    bool retain_graph = false;
};

template <class T, class D = Cpu>
class Var {
public:
    using Node = aigc::Node<T, D>;
    using Tensor = aigc::Tensor<T, D>;

    Var() = default;
    explicit Var(Tensor value, bool requires_grad = false) : node_(std::make_shared<Node>()) {
        node_->value = std::move(value);
        node_->requires_grad = requires_grad;
    }
    explicit Var(std::shared_ptr<Node> node) : node_(std::move(node)) {}

    bool defined() const { return node_ != nullptr; }
    const Tensor& value() const { return node_->value; }
    Tensor& value() { return node_->value; }
    // The accumulated gradient; undefined until a backward pass reached this Var.
    const Tensor& grad() const { return node_->grad; }
    Tensor& grad() { return node_->grad; }
    bool has_grad() const { return node_->grad.defined(); }
    bool requires_grad() const { return node_->requires_grad; }
    void set_requires_grad(bool flag) {
        AIGC_CHECK(is_leaf() || flag, "set_requires_grad: only leaves can stop requiring gradients (op '", node_->op,
                   "'); use detach()");
        node_->requires_grad = flag;
    }
    bool is_leaf() const { return !node_->backward && !node_->released; }
    const char* op() const { return node_->op; }
    const Shape& shape() const { return node_->value.shape(); }
    index_t numel() const { return node_->value.numel(); }
    T item() const { return node_->value.item(); }
    Node& node() const { return *node_; }
    const std::shared_ptr<Node>& node_ptr() const { return node_; }

    // A new leaf sharing this value, cut off from the graph (the GAN's D step uses detached fakes).
    Var detach() const { return Var(node_->value, false); }

    // Sets the gradient to zero in place (keeps the buffer: no allocation per training step).
    void zero_grad() {
        if (node_->grad.defined()) node_->grad.fill(T(0));
    }

    // Back-propagates from a scalar (d self/d self = 1).
    void backward(BackwardOptions options = {}) {
        AIGC_CHECK(numel() == 1, "backward: implicit gradient needs a scalar output, got shape ", shape(),
                   "; pass a seed gradient of that shape");
        backward(Tensor::ones(shape()), options);
    }

    // Back-propagates with d loss/d self = seed.
    void backward(const Tensor& seed, BackwardOptions options = {});

private:
    std::shared_ptr<Node> node_;
};

namespace detail {
// The nodes reachable from root that require a gradient, each input before its consumers:
// an iterative DFS post-order, so deep graphs cannot overflow the call stack.
template <class T, class D>
std::vector<Node<T, D>*> topological_order(Node<T, D>* root, const char* caller) {
    std::vector<Node<T, D>*> order;
    std::unordered_set<Node<T, D>*> visited;
    std::vector<std::pair<Node<T, D>*, std::size_t>> stack{{root, 0}};
    visited.insert(root);
    while (!stack.empty()) {
        auto& [n, next] = stack.back();
        if (next < n->inputs.size()) {
            Node<T, D>* child = n->inputs[next++].get();
            // A node freed by an earlier backward() has lost its inputs: going on would silently
            // drop every gradient below it (two losses sharing a subgraph, e.g. a non-detached fake).
            AIGC_CHECK(!child->released, caller, ": the graph through '", child->op,
                       "' was already freed by an earlier backward(); recompute the forward pass, "
                       "detach() the part that is shared between the two losses, or pass retain_graph");
            if (child->requires_grad && visited.insert(child).second) stack.push_back({child, 0});
        } else {
            order.push_back(n);
            stack.pop_back();
        }
    }
    return order;
}

// After a pass: interior gradients are dropped (a second pass through a retained graph must not
// add to them), and without retain_graph the closures and links too -- interior values, gradients
// and closures would otherwise live as long as the loss Var. Leaves keep their gradients.
template <class T, class D>
void finish_pass(const std::vector<Node<T, D>*>& order, bool retain_graph) {
    for (Node<T, D>* n : order) {
        if (!n->backward) continue;
        n->grad = Tensor<T, D>();
        if (retain_graph) continue;
        n->backward = nullptr;
        n->inputs.clear();
        n->released = true;
    }
}

template <class T, class D>
void check_root(const Node<T, D>& root, const Shape& seed, const char* caller) {
    AIGC_CHECK(root.requires_grad, caller, ": '", root.op,
               "' does not require grad (no input requires grad, or it ran under NoGrad)");
    AIGC_CHECK(seed == root.value.shape(), caller, ": seed gradient has shape ", seed, ", output has ",
               root.value.shape());
    AIGC_CHECK(!root.released, caller, ": the graph of '", root.op,
               "' was already freed by an earlier backward(); recompute the forward pass");
}
}  // namespace detail

// Defined out of the class, so it is not inline: compiled mode's extern declarations
// (core/compiled.hpp) then keep programs from compiling it again.
template <class T, class D>
void Var<T, D>::backward(const Tensor& seed, BackwardOptions options) {
    detail::check_root(*node_, seed.shape(), "backward");
    std::vector<Node*> order = detail::topological_order(node_.get(), "backward");
    Tensor& g = node_->grad_buffer();
    Kernels<D>::transform(g.rows(), g.cols(), fn::Identity{}, g.data(), seed.in(), true);
    // With hooks: the leaves whose last consumer (in the reverse order below) is order[i], in
    // ready_at[i]. The order lists inputs before their consumers, so that is the first consumer.
    // A copy: a hook may not install or remove hooks while backward runs, but this stays valid.
    const std::vector<GradReadyHook<T, D>*> hooks = grad_ready_hooks<T, D>();
    const bool hook = !hooks.empty();
    std::vector<std::vector<Node*>> ready_at;
    if (hook) {
        for (auto* h : hooks) h->backward_started();
        ready_at.resize(order.size());
        std::unordered_set<Node*> placed;
        for (std::size_t i = 0; i < order.size(); ++i)
            for (const auto& input : order[i]->inputs)
                if (!input->backward && input->requires_grad && placed.insert(input.get()).second)
                    ready_at[i].push_back(input.get());
    }
    for (std::size_t k = order.size(); k-- > 0;) {
        Node& n = *order[k];
        if (n.backward && n.grad.defined()) {
            n.backward(n, nullptr);
            if (anomaly_mode_enabled()) detail::check_backward<T, D>(n);
        }
        if (hook)
            for (Node* leaf : ready_at[k])
                for (auto* h : hooks) h->gradient_ready(*leaf);
    }
    detail::finish_pass(order, options.retain_graph);
    for (auto* h : hooks) h->backward_finished();
}

// A trainable leaf: requires_grad = true.
template <class T, class D>
Var<T, D> parameter(Tensor<T, D> value) {
    return Var<T, D>(std::move(value), true);
}

namespace detail {
// The result node of an op, without its closure: the value and the op's name, checked in anomaly
// mode; when grad mode is on and some input needs a gradient, also the inputs and requires_grad.
// The same for every op and never inlined, so only make_result's few lines are compiled per op
// (and compiled mode declares it extern).
template <class T, class D>
[[gnu::noinline]] std::shared_ptr<Node<T, D>> result_node(Tensor<T, D> value, const char* op, std::span<const Var<T, D>> inputs) {
    auto node = std::make_shared<Node<T, D>>();
    node->value = std::move(value);
    node->op = op;
    bool needs = false;
    if (grad_enabled())
        for (const auto& in : inputs) needs = needs || in.requires_grad();
    if (anomaly_mode_enabled()) {  // see anomaly.hpp; off: this one test is the whole cost
        std::vector<std::shared_ptr<Node<T, D>>> sources;
        for (const auto& in : inputs) sources.push_back(in.node_ptr());
        check_forward(node->value, op, sources);
    }
    if (needs) {
        node->requires_grad = true;
        for (const auto& in : inputs) node->inputs.push_back(in.node_ptr());
    }
    return node;
}

// Builds the result node of an op from its two backward forms: `backward(Node& self)` on tensors,
// and `graph_backward(GraphGradient& g)` with differentiable ops (see GraphGradient). They are kept
// only when some input needs a gradient and grad mode is on; otherwise the result is a plain
// constant (no graph, no saved tensors).
template <class T, class D, class Backward, class GraphBackward>
Var<T, D> make_result(Tensor<T, D> value, const char* op, std::span<const Var<T, D>> inputs, Backward&& backward,
                      GraphBackward&& graph_backward) {
    std::shared_ptr<Node<T, D>> node = result_node(std::move(value), op, inputs);
    if (node->requires_grad)
        node->backward = [backward = std::forward<Backward>(backward),
                          graph_backward = std::forward<GraphBackward>(graph_backward)](
                             Node<T, D>& self, GraphGradient<T, D>* graph) {
            if (graph) graph_backward(*graph);
            else backward(self);
        };
    return Var<T, D>(std::move(node));
}

// An op with only the tensor form (a user's custom op): backward() and grad() work through it,
// grad with create_graph names it and stops.
template <class T, class D, class Backward>
Var<T, D> make_result(Tensor<T, D> value, const char* op, std::span<const Var<T, D>> inputs, Backward&& backward) {
    return make_result(std::move(value), op, inputs, std::forward<Backward>(backward), [op](GraphGradient<T, D>&) {
        fail(concat("grad with create_graph: op '", op,
                    "' has no differentiable backward (make_result was given no graph form)"));
    });
}

// make_result(out, "add", {a, b}, closures...): the inputs as a braced list.
template <class T, class D, class... Backward>
Var<T, D> make_result(Tensor<T, D> value, const char* op, std::initializer_list<Var<T, D>> inputs,
                      Backward&&... backward) {
    return make_result(std::move(value), op, std::span<const Var<T, D>>(inputs.begin(), inputs.size()),
                       std::forward<Backward>(backward)...);
}
}  // namespace detail

// What an op's differentiable backward is given (grad with create_graph): the gradient of its
// result as a Var, its inputs and its result as Vars, and which inputs need a gradient. It gives
// each needed input's gradient, of that input's shape, built from differentiable ops -- so the
// gradient is itself a graph, e.g. tanh gives grad() * (1 - square(output())).
template <class T, class D>
class GraphGradient {
public:
    GraphGradient(Node<T, D>& self, Var<T, D> grad, std::vector<char> needed)
        : self_(self), grad_(std::move(grad)), needed_(std::move(needed)), given_(self.inputs.size()) {}

    const Var<T, D>& grad() const { return grad_; }
    Var<T, D> output() const { return Var<T, D>(self_.shared_from_this()); }
    Var<T, D> input(std::size_t i) const { return Var<T, D>(self_.inputs[i]); }
    bool needs(std::size_t i) const { return needed_[i] != 0; }

    // The gradient of input i; given at most once per input.
    void give(std::size_t i, Var<T, D> gradient) {
        AIGC_CHECK(i < given_.size(), "grad: op '", self_.op, "' gave a gradient for input ", i, " of ",
                   given_.size());
        const Shape& expected = self_.inputs[i]->value.shape();
        AIGC_CHECK(gradient.shape() == expected, "grad: op '", self_.op, "' gave a gradient of shape ",
                   gradient.shape(), " for its input ", i, " of shape ", expected);
        given_[i] = std::move(gradient);
    }
    std::vector<Var<T, D>>& given() { return given_; }

private:
    Node<T, D>& self_;
    Var<T, D> grad_;
    std::vector<char> needed_;
    std::vector<Var<T, D>> given_;
};

}  // namespace aigc
