#pragma once
// aigc::grad: the gradients of one output with respect to chosen inputs, returned rather than
// accumulated into .grad(), with PyTorch's torch.autograd.grad semantics.
//
//   Var dx = grad(sum(D(x)), {x}, {.create_graph = true})[0];     // a Var in the graph
//   Var penalty = mean(square(sqrt(sum(square(dx), 1)) - 1.0));     // WGAN-GP
//   (loss + penalty * 10.0).backward();                             // second order, into D
//
// Without create_graph the pass runs the tensor closures (today's backward, nothing recorded) and
// leaves every .grad() as it was; with it, each op's differentiable form builds the gradient from
// ops, under grad mode, so it can enter a loss and be differentiated again.
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "var.hpp"

namespace aigc {

template <class T, class D>
struct GradOptions {
    // d output / d output; may be omitted for a one-element output (then 1). With create_graph it
    // may itself require a gradient.
    Var<T, D> grad_output = {};
    bool create_graph = false;
    // Keep the graph for another pass. create_graph keeps it whatever this says, as in PyTorch:
    // the gradient's graph goes through the original one.
    bool retain_graph = false;
    // An input the output does not depend on gets an undefined Var; without this, an error.
    bool allow_unused = false;
};

namespace detail {
template <class T, class D>
void check_grad_inputs(const Var<T, D>& output, const std::vector<Var<T, D>>& inputs) {
    AIGC_CHECK(output.defined(), "grad: the output is an undefined Var");
    AIGC_CHECK(!inputs.empty(), "grad: no inputs to differentiate with respect to");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        AIGC_CHECK(inputs[i].defined(), "grad: input ", i, " is an undefined Var");
        AIGC_CHECK(inputs[i].requires_grad(), "grad: input ", i, " ('", inputs[i].op(), "' ", inputs[i].shape(),
                   ") does not require grad");
    }
}

template <class T, class D>
Var<T, D> unused_or_fail(std::size_t i, const Var<T, D>& input, bool allow_unused) {
    AIGC_CHECK(allow_unused, "grad: input ", i, " ('", input.op(), "' ", input.shape(),
               ") is not used to compute the output; pass allow_unused to get an undefined Var for it");
    return Var<T, D>();
}

// The tensor pass: the closures backward() runs, with every leaf's .grad() put aside meanwhile.
template <class T, class D>
std::vector<Var<T, D>> grad_on_tensors(const Var<T, D>& output, const std::vector<Var<T, D>>& inputs,
                                       const Tensor<T, D>& seed, const GradOptions<T, D>& options) {
    Node<T, D>& root = output.node();
    std::vector<Node<T, D>*> order = topological_order(&root, "grad");
    std::vector<std::pair<Node<T, D>*, Tensor<T, D>>> put_aside;
    for (Node<T, D>* n : order)
        if (!n->backward) put_aside.emplace_back(n, std::move(n->grad)), n->grad = Tensor<T, D>();
    auto restore = [&] {
        for (auto& [n, g] : put_aside) n->grad = std::move(g);
    };
    std::vector<Var<T, D>> result(inputs.size());
    try {
        root.grad = seed.clone();
        for (std::size_t k = order.size(); k-- > 0;) {
            Node<T, D>& n = *order[k];
            if (n.backward && n.grad.defined()) {
                n.backward(n, nullptr);
                if (anomaly_mode_enabled()) check_backward<T, D>(n);
            }
        }
        // Only a node of this graph holds this pass's gradient (another keeps an old one).
        std::unordered_set<const Node<T, D>*> reached(order.begin(), order.end());
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const Node<T, D>& n = inputs[i].node();
            result[i] = reached.count(&n) && n.grad.defined() ? Var<T, D>(n.grad)
                                                               : unused_or_fail(i, inputs[i], options.allow_unused);
        }
    } catch (...) {
        finish_pass(order, true);
        restore();
        throw;
    }
    finish_pass(order, options.retain_graph);
    restore();
    return result;
}

// The graph pass: each op's differentiable form, under grad mode, only where it leads to an input.
template <class T, class D>
std::vector<Var<T, D>> grad_as_graph(const Var<T, D>& output, const std::vector<Var<T, D>>& inputs,
                                     Var<T, D> seed, const GradOptions<T, D>& options) {
    GradMode recording(true);
    std::vector<Node<T, D>*> order = topological_order(&output.node(), "grad");
    // leads[n]: n is an input or some input of n leads to one (the order lists inputs first).
    std::unordered_map<Node<T, D>*, bool> leads;
    for (const auto& in : inputs) leads[&in.node()] = true;
    for (Node<T, D>* n : order)
        for (const auto& in : n->inputs)
            if (leads.count(in.get()) && leads[in.get()]) leads[n] = true;
    std::unordered_map<Node<T, D>*, Var<T, D>> gradient{{&output.node(), std::move(seed)}};
    for (std::size_t k = order.size(); k-- > 0;) {
        Node<T, D>& n = *order[k];
        auto found = gradient.find(&n);
        if (!n.backward || found == gradient.end() || !leads[&n]) continue;
        std::vector<char> needed;
        for (const auto& in : n.inputs) needed.push_back(in->requires_grad && leads.count(in.get()) && leads[in.get()]);
        GraphGradient<T, D> graph(n, found->second, std::move(needed));
        n.backward(n, &graph);
        for (std::size_t i = 0; i < n.inputs.size(); ++i) {
            Var<T, D>& g = graph.given()[i];
            if (!g.defined() || !graph.needs(i)) continue;
            if (anomaly_mode_enabled() && !all_finite(g.value()))
                fail(concat("anomaly: the differentiable backward of op '", n.op, "' produced ",
                            describe_non_finite(g.value()), " in the gradient of its input ", i, " [op '",
                            n.inputs[i]->op, "', shape ", n.inputs[i]->value.shape(), "]"));
            auto [slot, fresh] = gradient.try_emplace(n.inputs[i].get(), g);
            if (!fresh) slot->second = add(slot->second, g);
        }
    }
    std::vector<Var<T, D>> result(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto found = gradient.find(&inputs[i].node());
        result[i] = found != gradient.end() ? found->second : unused_or_fail(i, inputs[i], options.allow_unused);
    }
    return result;
}
}  // namespace detail

// d output / d inputs[i] for each i (see the top of this file). Nothing is accumulated into
// .grad(), and the gradient-ready hooks (data-parallel training) are not called.
template <class T, class D>
std::vector<Var<T, D>> grad(const Var<T, D>& output, const std::vector<Var<T, D>>& inputs,
                            std::type_identity_t<GradOptions<T, D>> options = {}) {
    detail::check_grad_inputs(output, inputs);
    Var<T, D> seed = options.grad_output;
    if (!seed.defined()) {
        AIGC_CHECK(output.numel() == 1, "grad: implicit gradient needs a one-element output, got shape ",
                   output.shape(), "; pass grad_output of that shape");
        seed = Var<T, D>(Tensor<T, D>::ones(output.shape()));
    }
    detail::check_root(output.node(), seed.shape(), "grad");
    if (options.create_graph) return detail::grad_as_graph(output, inputs, std::move(seed), options);
    return detail::grad_on_tensors(output, inputs, seed.value(), options);
}

}  // namespace aigc
