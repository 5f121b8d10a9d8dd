#pragma once
// A model's checkpoint is one flat list of named tensors; its parts (networks, optimizers) are
// stored under prefixes like "generator." and "opt_g." so one safetensors file holds them all.
#include <string>
#include <utility>
#include <vector>

#include "../core/tensor.hpp"

namespace aigc::models {

template <class T, class D>
using NamedTensors = std::vector<std::pair<std::string, Tensor<T, D>>>;

template <class T, class D>
void append_prefixed(NamedTensors<T, D>& out, const std::string& prefix, const NamedTensors<T, D>& part) {
    for (const auto& [name, t] : part) out.emplace_back(prefix + name, t);
}

// The entries under `prefix`, with the prefix removed.
template <class T, class D>
NamedTensors<T, D> select_prefixed(const NamedTensors<T, D>& all, const std::string& prefix) {
    NamedTensors<T, D> part;
    for (const auto& [name, t] : all)
        if (name.rfind(prefix, 0) == 0) part.emplace_back(name.substr(prefix.size()), t);
    return part;
}

}  // namespace aigc::models
