#pragma once
// Optimizer<T, D>: the machinery every optimizer shares. It owns the parameter list, the per-parameter
// state buffers (up to three, see ParamSlot) and step counts, builds the ParamSlot list the fused
// kernels walk, and saves/restores all of it for checkpoints. A concrete optimizer (SGD, Adam, ...)
// only names its buffers and turns its hyper-parameters into one update functor.
//
// PyTorch semantics kept on purpose:
//   - a parameter whose gradient is undefined (never reached by backward) is skipped, as PyTorch
//     skips `p.grad is None`; it gets no state and its step count does not advance;
//   - step counts are per parameter (PyTorch's state[p]['step']), so a parameter that first
//     receives a gradient late starts its own bias correction at t = 1;
//   - zero_grad() zero-fills existing gradient buffers in place (set_to_none = False).
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../autograd/var.hpp"
#include "../nn/named_tensors.hpp"
#include "../nn/state_check.hpp"
#include "options_check.hpp"

namespace aigc::optim {

// An optimizer's learning rate, shared with the LR schedulers that drive it. A scheduler holds
// this cell rather than the optimizer, so it follows the optimizer when that is moved and stays
// valid after it is destroyed (it then sets a rate nobody reads), as a PyTorch scheduler's
// reference keeps its optimizer alive.
class LearningRate {
public:
    LearningRate(std::string optimizer, double value) : optimizer_(std::move(optimizer)) { set(value); }
    double get() const { return value_; }
    void set(double value) {
        using N = OptionsCheck::Named;
        OptionsCheck(optimizer_).non_negative("learning rate", value).finite(N("learning rate", value));
        value_ = value;
    }

private:
    std::string optimizer_;  // names the optimizer in errors
    double value_ = 0.0;
};

// The part of an optimizer that does not depend on the element type or device: its name, the
// learning rate (what LR schedulers change) and the number of step() calls.
class OptimizerBase {
public:
    virtual ~OptimizerBase() = default;
    // Movable, not copyable: a copy would share the state buffers (tensor handles share storage)
    // while keeping its own step counts, silently corrupting both optimizers. A move hands the
    // learning rate, and so its schedulers, to the new optimizer; the moved-from one keeps a copy.
    OptimizerBase(const OptimizerBase&) = delete;
    OptimizerBase& operator=(const OptimizerBase&) = delete;
    OptimizerBase(OptimizerBase&& other)
        : name_(other.name_), lr_(std::exchange(other.lr_, std::make_shared<LearningRate>(*other.lr_))),
          step_count_(other.step_count_) {}
    OptimizerBase& operator=(OptimizerBase&& other) {
        name_ = other.name_;
        lr_ = std::exchange(other.lr_, std::make_shared<LearningRate>(*other.lr_));
        step_count_ = other.step_count_;
        return *this;
    }

    const std::string& name() const { return name_; }
    double lr() const { return lr_->get(); }
    void set_lr(double lr) { lr_->set(lr); }
    // What an LR scheduler holds (see LearningRate).
    std::shared_ptr<LearningRate> shared_lr() const { return lr_; }
    // Number of step() calls so far (restored by load_state).
    std::int64_t step_count() const { return step_count_; }

protected:
    OptimizerBase(std::string name, double lr)
        : name_(std::move(name)), lr_(std::make_shared<LearningRate>(name_, lr)) {}
    void count_step() { ++step_count_; }
    void set_step_count(std::int64_t count) { step_count_ = count; }

private:
    std::string name_;
    std::shared_ptr<LearningRate> lr_;
    std::int64_t step_count_ = 0;
};

template <class T, class D = Cpu>
class Optimizer : public OptimizerBase {
public:
    using Param = Var<T, D>;
    using Tensor = aigc::Tensor<T, D>;
    // Checkpoint state, PyTorch-like names: "step" (step() calls), then for every parameter i that
    // has state: "i.step" (its own update count) and its buffers, e.g. "i.exp_avg", "i.exp_avg_sq".
    using State = nn::NamedTensors<T, D>;
    static constexpr int max_buffers = 3;  // ParamSlot::state0..state2

    // One update of every parameter that has a gradient.
    void step() {
        refresh_slots();
        for (std::size_t owner : slot_owner_) ++param_states_[owner].steps;
        // One fused launch per run of parameters sharing a step count t (usually a single run).
        std::size_t begin = 0;
        while (begin < slots_.size()) {
            std::int64_t t = param_states_[slot_owner_[begin]].steps;
            std::size_t end = begin + 1;
            while (end < slots_.size() && param_states_[slot_owner_[end]].steps == t) ++end;
            update(std::span<const ParamSlot<T>>(slots_.data() + begin, end - begin), t);
            begin = end;
        }
        count_step();
    }

    // Zero-fills the existing gradient buffers in place (no allocation per training step).
    void zero_grad() {
        for (auto& p : params_) p.zero_grad();
    }
    // zero_grad(true) is PyTorch's zero_grad(set_to_none=True): the gradients are dropped, so the
    // next backward writes them instead of adding to zeros (no fill pass, no read of the zeros;
    // the buffers come back from the caching allocator). A parameter that backward then does not
    // reach has no gradient, and step() skips it, as PyTorch does.
    void zero_grad(bool set_to_none) {
        if (!set_to_none) return zero_grad();
        for (auto& p : params_) p.node().grad = Tensor();
    }

    const std::vector<Param>& params() const { return params_; }

    // A snapshot (copies) of the optimizer state; see State for the names.
    State state() const {
        State out;
        out.emplace_back("step", count_tensor("step", step_count()));
        for (std::size_t i = 0; i < params_.size(); ++i) {
            const ParamState& ps = param_states_[i];
            if (ps.steps == 0) continue;
            std::string prefix = std::to_string(i) + ".";
            out.emplace_back(prefix + "step", count_tensor(prefix + "step", ps.steps));
            for (int b = 0; b < max_buffers; ++b)
                if (buffer_names_[b]) out.emplace_back(prefix + buffer_names_[b], ps.buffers[b].clone());
        }
        return out;
    }

    // Replaces the whole state with a saved one (values are copied). Every name, shape and count is
    // checked first; on any problem nothing changes and the error (nn::check_state) lists every
    // missing, unexpected, duplicated and mismatched entry.
    void load_state(const State& state) {
        const std::string op = name() + "::load_state";
        nn::check_state(detail::concat(op, ": the state does not match this ", name(), " of ", params_.size(),
                                       " parameters with buffers ", buffer_list()),
                        expected_entries(state), nn::signatures(state));
        std::int64_t loaded_step_count = 0;
        std::vector<ParamState> loaded(params_.size());
        for (const auto& [entry_name, value] : state) {
            if (entry_name == "step") {
                loaded_step_count = read_count(op, entry_name, value, 0);
                continue;
            }
            std::size_t index = 0;
            std::string field;
            split_entry(entry_name, index, field);
            if (field == "step") loaded[index].steps = read_count(op, entry_name, value, 1);
            else loaded[index].buffers[buffer_index(field)] = value.clone();
        }
        param_states_ = std::move(loaded);
        set_step_count(loaded_step_count);
        slots_valid_ = false;
    }

protected:
    // buffer_names: PyTorch's state names for ParamSlot::state0..state2, nullptr where unused.
    Optimizer(std::vector<Param> params, double lr, std::string name, std::array<const char*, max_buffers> buffer_names)
        : OptimizerBase(std::move(name), lr), params_(std::move(params)), buffer_names_(buffer_names),
          param_states_(params_.size()), slot_keys_(params_.size()) {
        AIGC_CHECK(!params_.empty(), this->name(), ": got an empty parameter list");
        for (std::size_t i = 0; i < params_.size(); ++i) {
            const Param& p = params_[i];
            AIGC_CHECK(p.defined() && p.value().defined(), this->name(), ": parameter ", i, " is an undefined Var");
            AIGC_CHECK(p.is_leaf(), this->name(), ": parameter ", i, " is the result of op '", p.op(),
                       "', not a leaf; only leaves (parameters) can be optimized");
            for (std::size_t j = 0; j < i; ++j)
                AIGC_CHECK(params_[j].node_ptr() != p.node_ptr(), this->name(), ": parameter ", i,
                           " is the same Var as parameter ", j, " (it would be updated twice)");
        }
    }

    // Applies one update to parameters that all take their t-th step (t >= 1).
    virtual void update(std::span<const ParamSlot<T>> slots, std::int64_t t) = 0;

private:
    struct ParamState {
        std::int64_t steps = 0;  // updates applied to this parameter; 0 = no state yet
        std::array<Tensor, max_buffers> buffers;
    };
    // What a cached slot was built from; any change (a new gradient buffer, a replaced value)
    // rebuilds the slot list.
    struct SlotKey {
        const T* value = nullptr;
        const T* grad = nullptr;
        index_t value_n = -1, grad_n = -1;
        bool operator==(const SlotKey&) const = default;
    };

    static SlotKey key_of(const Param& p) {
        const auto& g = p.node().grad;
        return {p.value().data(), g.defined() ? g.data() : nullptr, p.value().numel(), g.defined() ? g.numel() : -1};
    }

    // The slot list is built once and reused while every parameter still has the same value and
    // gradient storage, i.e. on every step of an ordinary training loop.
    void refresh_slots() {
        if (slots_valid_) {
            bool same = true;
            for (std::size_t i = 0; i < params_.size() && same; ++i) same = key_of(params_[i]) == slot_keys_[i];
            if (same) return;
        }
        slots_.clear();
        slot_owner_.clear();
        for (std::size_t i = 0; i < params_.size(); ++i) {
            Param& p = params_[i];
            slot_keys_[i] = key_of(p);
            Tensor& grad = p.node().grad;
            if (!grad.defined()) continue;
            AIGC_CHECK(grad.shape() == p.shape(), name(), ": parameter ", i, " has shape ", p.shape(),
                       " but its gradient has shape ", grad.shape());
            ParamState& ps = param_states_[i];
            std::array<T*, max_buffers> buffer{};
            for (int b = 0; b < max_buffers; ++b) {
                if (!buffer_names_[b]) continue;
                Tensor& buf = ps.buffers[b];
                if (!buf.defined()) buf = Tensor::zeros(p.shape());
                AIGC_CHECK(buf.shape() == p.shape(), name(), ": parameter ", i, " now has shape ", p.shape(),
                           " but its state '", buffer_names_[b], "' has shape ", buf.shape());
                buffer[b] = buf.data();
            }
            slots_.push_back({p.value().data(), grad.data(), buffer[0], buffer[1], buffer[2], p.numel()});
            slot_owner_.push_back(i);
        }
        slots_valid_ = true;
    }

    // What `state` must hold: "step", and for every parameter it has an entry of, that parameter's
    // "i.step" and each buffer with the parameter's shape -- all or nothing per parameter, since one
    // that never had a gradient has no state. A count may have any one-element shape ([] as state()
    // writes it, [1] from elsewhere); read_count checks its value.
    std::vector<nn::EntrySignature> expected_entries(const State& state) const {
        std::vector<bool> has_state(params_.size(), false);
        for (const auto& [entry_name, value] : state) {
            std::size_t index = 0;
            std::string field;
            if (split_entry(entry_name, index, field) && index < params_.size() &&
                (field == "step" || buffer_index(field) >= 0))
                has_state[index] = true;
        }
        auto count_entry = [&](const std::string& entry_name) {
            for (const auto& [given_name, value] : state)
                if (given_name == entry_name && value.defined() && value.numel() == 1)
                    return nn::EntrySignature{entry_name, nn::dims(value.shape()), "", true};
            return nn::EntrySignature{entry_name, {}, "", true};
        };
        std::vector<nn::EntrySignature> expected{count_entry("step")};
        for (std::size_t i = 0; i < params_.size(); ++i) {
            if (!has_state[i]) continue;
            std::string prefix = std::to_string(i) + ".";
            expected.push_back(count_entry(prefix + "step"));
            for (int b = 0; b < max_buffers; ++b)
                if (buffer_names_[b])
                    expected.push_back({prefix + buffer_names_[b], nn::dims(params_[i].shape()), "", true});
        }
        return expected;
    }

    // Step counts travel as 1-element tensors of T (like PyTorch's float 'step'); refuse counts
    // that T cannot hold exactly rather than silently rounding them.
    Tensor count_tensor(const std::string& entry, std::int64_t count) const {
        constexpr std::int64_t exact_limit = std::int64_t(1) << std::numeric_limits<T>::digits;
        AIGC_CHECK(count <= exact_limit, name(), "::state: '", entry, "' = ", count,
                   " exceeds the largest count a ", sizeof(T) * 8, "-bit float holds exactly (", exact_limit, ")");
        return Tensor::scalar(static_cast<T>(count));
    }
    static std::int64_t read_count(const std::string& op, const std::string& entry, const Tensor& value,
                                   std::int64_t minimum) {
        AIGC_CHECK(value.defined() && value.numel() == 1, op, ": '", entry, "' must hold one value, given shape ",
                   value.shape());
        double count = static_cast<double>(value.item());
        AIGC_CHECK(count >= static_cast<double>(minimum) && count == std::floor(count) && count < 9.0e18, op, ": '",
                   entry, "' must be an integer >= ", minimum, ", given ", count);
        return static_cast<std::int64_t>(count);
    }

    // "12.exp_avg" -> (12, "exp_avg").
    static bool split_entry(const std::string& entry, std::size_t& index, std::string& field) {
        auto dot = entry.find('.');
        if (dot == std::string::npos || dot == 0) return false;
        auto [end, error] = std::from_chars(entry.data(), entry.data() + dot, index);
        if (error != std::errc() || end != entry.data() + dot) return false;
        field = entry.substr(dot + 1);
        return true;
    }
    int buffer_index(const std::string& field) const {
        for (int b = 0; b < max_buffers; ++b)
            if (buffer_names_[b] && field == buffer_names_[b]) return b;
        return -2;  // not a buffer of this optimizer
    }
    std::string buffer_list() const {
        std::vector<std::string> names;
        for (const char* n : buffer_names_)
            if (n) names.emplace_back(n);
        return join(names);
    }
    static std::string join(const std::vector<std::string>& items) {
        std::string out = "[";
        for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
        return out + "]";
    }

    std::vector<Param> params_;
    std::array<const char*, max_buffers> buffer_names_;
    std::vector<ParamState> param_states_;
    std::vector<SlotKey> slot_keys_;
    std::vector<ParamSlot<T>> slots_;     // parameters with a gradient, in parameter order
    std::vector<std::size_t> slot_owner_;  // slots_[k] belongs to params_[slot_owner_[k]]
    bool slots_valid_ = false;
};

}  // namespace aigc::optim
