#pragma once
// nn::Module: the base of every layer and model. A module owns named parameters (trainable Vars),
// named buffers (state that is saved but not trained, e.g. BatchNorm's running_mean) and named
// child modules. Names follow PyTorch's state_dict exactly, so checkpoints move between the two:
// a module lists its own entries in registration order, then each child's entries under the
// prefix "child.". Parameters and buffers are handles: state_dict() shares storage with the
// model (as in PyTorch; clone() to snapshot) and load_state_dict() copies values in place, so
// optimizers holding parameters() keep seeing the same tensors.
#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../autograd/autograd.hpp"
#include "named_tensors.hpp"
#include "state_check.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class Module {
public:
    using value_type = T;
    using device_type = D;
    using NamedTensors = nn::NamedTensors<T, D>;

    Module() = default;
    virtual ~Module() = default;
    // Parameters are shared handles: a copied module would silently train the original's weights.
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    virtual Var<T, D> forward(const Var<T, D>& x) = 0;
    Var<T, D> operator()(const Var<T, D>& x) { return forward(x); }

    // The class name used in error messages ("Linear", "Sequential", ...).
    virtual std::string type_name() const { return "Module"; }

    // Every parameter once (a parameter shared by two children is listed at its first name, as
    // PyTorch's named_parameters does), own entries first, then children depth-first.
    std::vector<std::pair<std::string, Var<T, D>>> named_parameters() const {
        std::vector<std::pair<std::string, Var<T, D>>> out;
        std::unordered_set<const void*> seen;
        visit("", [&](const std::string& prefix, const Module& m) {
            for (const auto& [name, p] : m.parameters_)
                if (seen.insert(p.node_ptr().get()).second) out.emplace_back(prefix + name, p);
        });
        return out;
    }
    std::vector<Var<T, D>> parameters() const {
        std::vector<Var<T, D>> out;
        for (auto& [name, p] : named_parameters()) out.push_back(p);
        return out;
    }
    // Every buffer once (running_mean, running_var, num_batches_tracked, weight_u, ...).
    NamedTensors named_buffers() const {
        NamedTensors out;
        std::unordered_set<const void*> seen;
        visit("", [&](const std::string& prefix, const Module& m) {
            for (const auto& [name, b] : m.buffers_)
                if (b.numel() == 0 || seen.insert(b.data()).second) out.emplace_back(prefix + name, b);
        });
        return out;
    }
    // Whether every parameter takes part in autograd: false freezes the module (a GAN's D during
    // the G step: backward then runs through it without computing its weights' gradients).
    void set_requires_grad(bool flag) {
        for (auto& [name, p] : named_parameters()) p.set_requires_grad(flag);
    }
    // Direct children in registration order.
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const {
        return {children_.begin(), children_.end()};
    }

    // Parameters then buffers of each module, children after their parent: PyTorch's order.
    NamedTensors state_dict() const {
        NamedTensors out;
        visit("", [&](const std::string& prefix, const Module& m) {
            for (const auto& [name, p] : m.parameters_) out.emplace_back(prefix + name, p.value());
            for (const auto& [name, b] : m.buffers_) out.emplace_back(prefix + name, b);
        });
        return out;
    }

    // Copies every entry of `state` into the tensor of the same name. All names and shapes are
    // checked before anything is written, so a failed load leaves the module unchanged; the error
    // lists every missing, unexpected, duplicated and mismatched entry at once (nn::check_state).
    void load_state_dict(const NamedTensors& state) {
        NamedTensors own = state_dict();
        check_state("load_state_dict: the state does not match " + type_name(), signatures(own), signatures(state));
        std::unordered_map<std::string, const Tensor<T, D>*> given;
        for (const auto& [name, tensor] : state) given.emplace(name, &tensor);
        for (auto& [name, tensor] : own) tensor.copy_from(*given.at(name));
    }

    // Training mode switches Dropout and BatchNorm (and SpectralNorm's power iteration); recursive.
    void train(bool on = true) {
        training_ = on;
        for (auto& [name, child] : children_) child->train(on);
    }
    void eval() { train(false); }
    bool is_training() const { return training_; }

    void zero_grad() {
        for (auto& p : parameters()) p.zero_grad();
    }
    index_t parameter_count() const {
        index_t total = 0;
        for (const auto& p : parameters()) total += p.numel();
        return total;
    }

protected:
    Var<T, D>& register_parameter(std::string name, Tensor<T, D> value) {
        check_new_name("register_parameter", name);
        AIGC_CHECK(value.defined(), type_name(), "::register_parameter: '", name, "' has no tensor");
        parameters_.emplace_back(std::move(name), parameter(std::move(value)));
        return parameters_.back().second;
    }
    // Registers an existing parameter handle (SpectralNorm adopts the weight of the Linear it wraps).
    Var<T, D>& register_parameter(std::string name, Var<T, D> existing) {
        check_new_name("register_parameter", name);
        AIGC_CHECK(existing.defined() && existing.is_leaf(), type_name(), "::register_parameter: '", name,
                   "' must be a leaf Var (a parameter), not the result of an op");
        parameters_.emplace_back(std::move(name), std::move(existing));
        return parameters_.back().second;
    }
    Tensor<T, D>& register_buffer(std::string name, Tensor<T, D> value) {
        check_new_name("register_buffer", name);
        AIGC_CHECK(value.defined(), type_name(), "::register_buffer: '", name, "' has no tensor");
        buffers_.emplace_back(std::move(name), std::move(value));
        return buffers_.back().second;
    }
    template <class M>
    std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
        static_assert(std::is_base_of_v<Module, M>, "register_module: M must derive from nn::Module<T, D>");
        check_new_name("register_module", name);
        AIGC_CHECK(module != nullptr, type_name(), "::register_module: '", name, "' is null");
        AIGC_CHECK(static_cast<const Module*>(module.get()) != this, type_name(), "::register_module: '", name,
                   "' is the module itself");
        children_.emplace_back(std::move(name), module);
        return module;
    }

private:
    // Pre-order walk: f(prefix, module) for this module, then every child with "name." appended.
    template <class F>
    void visit(const std::string& prefix, F&& f) const {
        f(prefix, *this);
        for (const auto& [name, child] : children_) child->visit(prefix + name + ".", f);
    }

    // PyTorch rejects empty names, names containing '.' (the path separator) and reused names.
    void check_new_name(const char* op, const std::string& name) const {
        AIGC_CHECK(!name.empty(), type_name(), "::", op, ": the name must not be empty");
        AIGC_CHECK(name.find('.') == std::string::npos, type_name(), "::", op, ": name '", name,
                   "' must not contain '.'");
        bool used = false;
        for (const auto& entry : parameters_) used = used || entry.first == name;
        for (const auto& entry : buffers_) used = used || entry.first == name;
        for (const auto& entry : children_) used = used || entry.first == name;
        AIGC_CHECK(!used, type_name(), "::", op, ": name '", name, "' is already registered");
    }

    // deques: registering more entries never moves earlier ones, so returned references stay valid.
    std::deque<std::pair<std::string, Var<T, D>>> parameters_;
    std::deque<std::pair<std::string, Tensor<T, D>>> buffers_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

}  // namespace aigc::nn
