#pragma once
// NamedTensors: an ordered list of (name, tensor), the shape of a PyTorch state_dict. Modules and
// optimizers produce it, safetensors files store it, and a model's checkpoint puts several under
// prefixes ("generator.", "opt_g.", ...). Defined once here, at the lowest layer that needs it;
// io:: and models:: use this definition.
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../cpu.hpp"

namespace aigc::nn {

template <class T, class D = Cpu>
using NamedTensors = std::vector<std::pair<std::string, Tensor<T, D>>>;

// The tensor called name; the error lists the names that exist.
template <class T, class D>
const Tensor<T, D>& find_tensor(const NamedTensors<T, D>& tensors, const std::string& name) {
    for (const auto& [key, tensor] : tensors)
        if (key == name) return tensor;
    std::string names;
    for (const auto& [key, tensor] : tensors) {
        if (!names.empty()) names += ", ";
        names += key;
    }
    fail(
        aigc::detail::concat("find_tensor: no tensor named '", name, "' (have: ", names.empty() ? "none" : names, ")"));
}

// Appends part to out with every name prefixed. Tensors are shared, not copied.
template <class T, class D>
void append_prefixed(NamedTensors<T, D>& out, const std::string& prefix, const NamedTensors<T, D>& part) {
    out.reserve(out.size() + part.size());
    for (const auto& [name, tensor] : part) out.emplace_back(prefix + name, tensor);
}

// Every name prefixed, e.g. with_prefix("generator.", g.state_dict()): "0.weight" -> "generator.0.weight".
template <class T, class D>
NamedTensors<T, D> with_prefix(const std::string& prefix, const NamedTensors<T, D>& tensors) {
    NamedTensors<T, D> renamed;
    append_prefixed(renamed, prefix, tensors);
    return renamed;
}

// The entries whose names start with prefix, with the prefix removed (the inverse of with_prefix).
template <class T, class D>
NamedTensors<T, D> take_prefix(const std::string& prefix, const NamedTensors<T, D>& tensors) {
    NamedTensors<T, D> selected;
    for (const auto& [name, tensor] : tensors)
        if (name.size() >= prefix.size() && name.compare(0, prefix.size(), prefix) == 0)
            selected.emplace_back(name.substr(prefix.size()), tensor);
    return selected;
}

}  // namespace aigc::nn
