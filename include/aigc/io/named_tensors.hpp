#pragma once
// NamedTensors: an ordered list of (name, tensor), the shape of a PyTorch state_dict. A checkpoint
// puts several of them in one file under prefixes ("generator.", "optimizer_g.", ...).
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../cpu.hpp"

namespace aigc::io {

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

// Every name prefixed, e.g. with_prefix("generator.", g.state_dict()): "0.weight" -> "generator.0.weight".
// Tensors are shared, not copied.
template <class T, class D>
NamedTensors<T, D> with_prefix(const std::string& prefix, const NamedTensors<T, D>& tensors) {
    NamedTensors<T, D> renamed;
    renamed.reserve(tensors.size());
    for (const auto& [name, tensor] : tensors) renamed.emplace_back(prefix + name, tensor);
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

}  // namespace aigc::io
