#pragma once
// The one check behind every load of named state (nn::Module::load_state_dict,
// optim::Optimizer::load_state, io::load_matching / load_into): it compares the entries a target
// expects with the entries given and reports every problem in one aigc::Error, because a
// checkpoint of another architecture is fixed faster from the whole list than one error at a time.
//
//   load_state_dict: the state does not match Sequential (8 entries expected, 8 given);
//   missing keys: "1.running_var" [3]; unexpected keys: "extra" [1]; duplicated keys: "0.bias";
//   shape mismatches: "0.weight: checkpoint has [3, 5], model has [3, 4]"
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../core/error.hpp"
#include "named_tensors.hpp"

namespace aigc::nn {

// One entry as the check sees it. A file may hold any rank and any dtype, so the shape is a plain
// list of sizes and the dtype a safetensors name ("F32"); dtype is empty where the element type
// is fixed by the caller's T (then it is not compared).
struct EntrySignature {
    std::string name;
    std::vector<index_t> shape;
    std::string dtype;
    bool defined = true;  // false: a given entry without a tensor
};

inline std::vector<index_t> dims(const Shape& shape) {
    std::vector<index_t> sizes;
    for (int axis = 0; axis < shape.rank(); ++axis) sizes.push_back(shape[axis]);
    return sizes;
}

template <class T, class D>
std::vector<EntrySignature> signatures(const NamedTensors<T, D>& tensors) {
    std::vector<EntrySignature> out;
    out.reserve(tensors.size());
    for (const auto& [name, tensor] : tensors) out.push_back({name, dims(tensor.shape()), "", tensor.defined()});
    return out;
}

namespace detail {

inline std::string shape_text(const std::vector<index_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// "name" [3] F32: enough to tell a missing or unexpected entry's role without opening the file.
inline std::string described(const EntrySignature& entry) {
    std::string text = '"' + entry.name + '"';
    if (!entry.defined) return text + " (no tensor)";
    text += ' ' + shape_text(entry.shape);
    return entry.dtype.empty() ? text : text + ' ' + entry.dtype;
}

inline void list(std::string& message, const char* label, const std::vector<std::string>& items) {
    if (items.empty()) return;
    message += aigc::detail::concat("; ", label, ": ");
    for (std::size_t i = 0; i < items.size(); ++i) message += (i ? ", " : "") + items[i];
}

}  // namespace detail

// Throws unless given has exactly the names of expected, each once, with the same shapes (and
// dtypes, where both sides name one). headline starts the message: the operation and what the
// state should fit, e.g. "load_state_dict: the state does not match Sequential".
inline void check_state(const std::string& headline, const std::vector<EntrySignature>& expected,
                        const std::vector<EntrySignature>& given) {
    std::unordered_map<std::string, const EntrySignature*> first_given;
    std::vector<std::string> missing, unexpected, duplicated, shape_mismatches, dtype_mismatches;
    for (const EntrySignature& entry : given)
        if (!first_given.emplace(entry.name, &entry).second) duplicated.push_back('"' + entry.name + '"');
    std::unordered_set<std::string> known;
    for (const EntrySignature& want : expected) {
        known.insert(want.name);
        auto found = first_given.find(want.name);
        if (found == first_given.end()) {
            missing.push_back(detail::described(want));
            continue;
        }
        const EntrySignature& have = *found->second;
        if (!have.defined || have.shape != want.shape)
            shape_mismatches.push_back(aigc::detail::concat(
                '"', want.name, ": checkpoint has ", have.defined ? detail::shape_text(have.shape) : "no tensor",
                ", model has ", detail::shape_text(want.shape), '"'));
        if (!have.dtype.empty() && !want.dtype.empty() && have.dtype != want.dtype)
            dtype_mismatches.push_back(
                aigc::detail::concat('"', want.name, ": checkpoint has ", have.dtype, ", model has ", want.dtype, '"'));
    }
    for (const EntrySignature& entry : given)
        if (!known.count(entry.name) && first_given.at(entry.name) == &entry)
            unexpected.push_back(detail::described(entry));
    if (missing.empty() && unexpected.empty() && duplicated.empty() && shape_mismatches.empty() &&
        dtype_mismatches.empty())
        return;
    std::string message =
        aigc::detail::concat(headline, " (", expected.size(), " entries expected, ", given.size(), " given)");
    detail::list(message, "missing keys", missing);
    detail::list(message, "unexpected keys", unexpected);
    detail::list(message, "duplicated keys", duplicated);
    detail::list(message, "shape mismatches", shape_mismatches);
    detail::list(message, "dtype mismatches", dtype_mismatches);
    fail(message);
}

}  // namespace aigc::nn
