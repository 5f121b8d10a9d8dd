#pragma once
// Anomaly mode (PyTorch's torch.autograd.detect_anomaly): while it is on, every op's forward output
// and every gradient a backward closure produces is checked for NaN and Inf, and the first one
// throws an aigc::Error naming the op, the phase and the shapes, e.g.
//   anomaly: op 'log' produced NaN (first at element 3) in its forward output [64, 10] (inputs
//   [64, 10]: all finite)
// so a diverging run stops at the op that went wrong instead of several steps later at the loss.
//
//     aigc::AnomalyMode guard;        // on for this scope (this thread), restored after
//     aigc::set_anomaly_mode(true);   // or on until switched off
//
// Off by default; when off an op pays one thread_local bool test. When on, each checked tensor
// costs one extra pass over it on its device and one scalar copy to the host (see all_finite).
#include <cstddef>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/functors.hpp"
#include "../cpu.hpp"

namespace aigc {

namespace detail {
inline bool& anomaly_mode() {
    thread_local bool enabled = false;
    return enabled;
}
}  // namespace detail

inline bool anomaly_mode_enabled() { return detail::anomaly_mode(); }
inline void set_anomaly_mode(bool enabled) { detail::anomaly_mode() = enabled; }

// RAII: anomaly mode on (or off, with AnomalyMode(false)) while alive, then back to what it was.
class AnomalyMode {
public:
    explicit AnomalyMode(bool enabled = true) : previous_(detail::anomaly_mode()) { detail::anomaly_mode() = enabled; }
    ~AnomalyMode() { detail::anomaly_mode() = previous_; }
    AnomalyMode(const AnomalyMode&) = delete;
    AnomalyMode& operator=(const AnomalyMode&) = delete;

private:
    bool previous_;
};

namespace detail {

// True when every element is finite. x - x is 0 for a finite x and NaN for NaN or +-Inf, so the
// sum of (x - x) is exactly 0 or NaN: no overflow can fake an Inf (as summing x itself could), and
// it runs through the device's own kernels, so a CUDA tensor is checked on the GPU and only the
// one-element sum crosses to the host.
template <class T, class D>
bool all_finite(const Tensor<T, D>& values) {
    const index_t n = values.numel();
    if (n == 0) return true;
    Tensor<T, D> differences(values.shape());
    Kernels<D>::transform(values.rows(), values.cols(), fn::Sub{}, differences.data(), values.in(), values.in(),
                          false);
    Tensor<T, D> total(Shape{});
    Kernels<D>::sum_all(n, differences.data(), total.data(), false);
    return total.item() == T(0);
}

// "NaN (first at element 3)" or "Inf (first at element 0)": only called once something is wrong,
// so copying the tensor to the host here costs nothing on the normal path.
template <class T, class D>
std::string describe_non_finite(const Tensor<T, D>& values) {
    const std::vector<T> host = values.to_vector();
    for (std::size_t i = 0; i < host.size(); ++i) {
        const T v = host[i];
        if (v != v) return concat("NaN (first at element ", i, ")");
        if (v - v != v - v) return concat(v > T(0) ? "+Inf" : "-Inf", " (first at element ", i, ")");
    }
    return "no non-finite value";
}

// "[64, 784]: all finite, [10, 784]: holds NaN (first at element 7)": lets the message tell an op
// that created a NaN apart from one that was handed one (e.g. by the data or a corrupted weight).
template <class T, class D, class NodePtrs>
std::string describe_inputs(const NodePtrs& inputs) {
    if (inputs.empty()) return "no inputs";
    std::string text;
    for (const auto& input : inputs) {
        if (!text.empty()) text += ", ";
        text += input->value.shape().str() + ": ";
        text += all_finite(input->value) ? std::string("all finite") : "holds " + describe_non_finite(input->value);
    }
    return text;
}

// Forward check of an op's result; called by make_result when anomaly mode is on.
template <class T, class D, class NodePtrs>
void check_forward(const Tensor<T, D>& output, const char* op, const NodePtrs& inputs) {
    if (all_finite(output)) return;
    fail(concat("anomaly: op '", op, "' produced ", describe_non_finite(output), " in its forward output ",
                output.shape(), " (inputs ", describe_inputs<T, D>(inputs), ")"));
}

// Backward check after the closure of `node` ran: every gradient it accumulated into its inputs.
// An input's gradient can only have gone non-finite now, since each earlier closure was checked.
template <class T, class D, class NodeT>
void check_backward(const NodeT& node) {
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        const auto& input = *node.inputs[i];
        if (!input.requires_grad || !input.grad.defined() || all_finite(input.grad)) continue;
        fail(concat("anomaly: the backward of op '", node.op, "' produced ", describe_non_finite(input.grad),
                    " in the gradient of its input ", i, " [op '", input.op, "', shape ", input.value.shape(),
                    "] (output ", node.value.shape(), ", incoming gradient ",
                    all_finite(node.grad) ? std::string("all finite") : "holds " + describe_non_finite(node.grad),
                    "; inputs ", describe_inputs<T, D>(node.inputs), ")"));
    }
}

}  // namespace detail
}  // namespace aigc
