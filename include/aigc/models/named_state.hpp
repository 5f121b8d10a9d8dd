#pragma once
// A model's checkpoint is one flat list of named tensors; its parts (networks, optimizers) are
// stored under prefixes like "generator." and "opt_g." so one safetensors file holds them all.
#include <string>

#include "../nn/named_tensors.hpp"

namespace aigc::models {

using nn::append_prefixed;
using nn::NamedTensors;
using nn::take_prefix;

// The entries not under `prefix` (a model's own tensors beside its "optimizer." part).
template <class T, class D>
NamedTensors<T, D> select_unprefixed(const NamedTensors<T, D>& all, const std::string& prefix) {
    NamedTensors<T, D> rest;
    for (const auto& entry : all)
        if (entry.first.rfind(prefix, 0) != 0) rest.push_back(entry);
    return rest;
}

// Deep copies: a module's state_dict shares storage with its parameters.
template <class T, class D>
NamedTensors<T, D> clone_all(const NamedTensors<T, D>& state) {
    NamedTensors<T, D> copy;
    for (const auto& [name, t] : state) copy.emplace_back(name, t.clone());
    return copy;
}

// A model loads its parts (networks, then optimizers) one after another, each all-or-nothing; when
// a later part is rejected the earlier ones are already overwritten. So `load` runs on the incoming
// state and, if it throws, once more on a copy of the current state taken before, which always fits:
// a failed load leaves the whole model as it was, and the first error goes on to the caller.
template <class T, class D, class Load>
void load_or_keep(const NamedTensors<T, D>& current, const NamedTensors<T, D>& incoming, Load&& load) {
    const NamedTensors<T, D> backup = clone_all(current);
    try {
        load(incoming);
    } catch (...) {
        load(backup);
        throw;
    }
}

}  // namespace aigc::models
