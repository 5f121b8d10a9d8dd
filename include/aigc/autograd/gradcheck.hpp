#pragma once
// Finite-difference gradient checks in double precision, like torch.autograd.gradcheck and
// gradgradcheck. gradcheck compares the backward pass of f with central differences
// (f(x + h) - f(x - h)) / 2h for every input element; a non-scalar output is projected on fixed
// random weights w, i.e. it checks d<w, f(x)>/dx. gradgradcheck does the same for a gradient of f
// built with grad(..., {.create_graph = true}): it checks every op's differentiable backward.
#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "grad.hpp"
#include "ops_arith.hpp"
#include "ops_reduce.hpp"

namespace aigc {

struct GradcheckOptions {
    double step = 1e-6;
    double atol = 1e-5;
    double rtol = 1e-3;
    std::uint64_t seed = 1234;
};

struct GradcheckResult {
    bool ok = true;
    double max_abs_error = 0.0;
    std::string message;  // the first mismatch: which input, which element, both values
    explicit operator bool() const { return ok; }
};

template <class... Parts>
std::string concat_message(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

using CheckedFunction = std::function<Var<double, Cpu>(const std::vector<Var<double, Cpu>>&)>;

inline GradcheckResult gradcheck(const CheckedFunction& f, const std::vector<Tensor<double, Cpu>>& inputs,
                                 GradcheckOptions options = {}) {
    using V = Var<double, Cpu>;
    auto make_vars = [&] {
        std::vector<V> vars;
        for (const auto& t : inputs) vars.emplace_back(t.clone(), true);
        return vars;
    };
    std::vector<V> vars = make_vars();
    V out = f(vars);
    Generator gen(options.seed);
    auto weights = Tensor<double, Cpu>::normal(out.shape(), gen);
    // An f that does not depend on its inputs (a gradient of a linear op) has the gradient 0.
    if (out.requires_grad()) out.backward(weights);

    auto projected = [&](const std::vector<V>& xs) {
        NoGrad no_grad;
        Tensor<double, Cpu> y = f(xs).value();
        double total = 0.0;
        for (index_t i = 0; i < y.numel(); ++i) total += y.data()[i] * weights.data()[i];
        return total;
    };

    GradcheckResult result;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        std::vector<V> probe;
        for (const auto& v : vars) probe.emplace_back(v.value(), false);
        double* x = probe[k].value().data();
        for (index_t i = 0; i < inputs[k].numel(); ++i) {
            double saved = x[i];
            x[i] = saved + options.step;
            double up = projected(probe);
            x[i] = saved - options.step;
            double down = projected(probe);
            x[i] = saved;
            double numeric = (up - down) / (2 * options.step);
            double analytic = vars[k].has_grad() ? vars[k].grad().data()[i] : 0.0;
            double error = std::fabs(numeric - analytic);
            // A NaN on either side must fail: `error <= tolerance` is false for NaN, and a NaN
            // max_abs_error stays NaN (std::max(NaN, e) returns its first argument).
            bool close = error <= options.atol + options.rtol * std::fabs(numeric);
            result.max_abs_error = std::isnan(error) ? error : std::max(result.max_abs_error, error);
            if (!close && result.ok) {
                result.ok = false;
                std::ostringstream msg;
                msg << "gradcheck: input " << k << " " << inputs[k].shape() << " element " << i << ": analytic "
                    << analytic << ", numeric " << numeric << " (|diff| " << error << ")";
                result.message = msg.str();
            }
        }
    }
    if (result.ok) result.message = "gradcheck: ok";
    return result;
}

// The second-order check: gradcheck of h(x) = sum_k <v_k, d<w, f(x)>/dx_k> for fixed random w and
// v_k, where the inner gradient is built with create_graph, so h's gradient is a gradient of a
// gradient. An op whose derivative is a constant (add, relu away from 0) gives an h that does not
// depend on x: its check is that the differences are 0 too.
inline GradcheckResult gradgradcheck(const CheckedFunction& f, const std::vector<Tensor<double, Cpu>>& inputs,
                                     GradcheckOptions options = {}) {
    using V = Var<double, Cpu>;
    using T = Tensor<double, Cpu>;
    std::vector<T> directions;
    Generator gen(options.seed + 1);
    for (const auto& t : inputs) directions.push_back(T::normal(t.shape(), gen));
    T weights;
    CheckedFunction inner_gradient = [&](const std::vector<V>& xs) {
        GradMode recording(true);  // gradcheck evaluates the differences under NoGrad
        std::vector<V> leaves;
        for (const auto& x : xs) leaves.push_back(x.requires_grad() ? x : V(x.value(), true));
        V y = f(leaves);
        if (!weights.defined()) {
            Generator weight_gen(options.seed + 2);
            weights = T::normal(y.shape(), weight_gen);
        }
        if (!y.requires_grad()) return V(T::zeros(Shape{}));
        std::vector<V> gradients =
            grad(y, leaves, {.grad_output = V(weights), .create_graph = true, .allow_unused = true});
        V total(T::zeros(Shape{}));
        for (std::size_t k = 0; k < gradients.size(); ++k)
            if (gradients[k].defined()) total = total + sum(gradients[k] * V(directions[k]));
        return total;
    };
    // Each op has two backward forms: the differentiable one must give the gradient that gradcheck
    // verified of the tensor one, or a self-consistent but wrong gradient would pass below.
    {
        std::vector<V> vars;
        for (const auto& t : inputs) vars.emplace_back(t.clone(), true);
        V y = f(vars);
        Generator weight_gen(options.seed + 2);
        weights = T::normal(y.shape(), weight_gen);
        if (y.requires_grad()) {
            GradOptions<double, Cpu> both{.grad_output = V(weights), .retain_graph = true, .allow_unused = true};
            std::vector<V> on_tensors = grad(y, vars, both);
            both.create_graph = true;
            std::vector<V> as_graph = grad(y, vars, both);
            for (std::size_t k = 0; k < vars.size(); ++k) {
                if (on_tensors[k].defined() != as_graph[k].defined())
                    return {false, 0.0, concat_message("gradgradcheck: input ", k, " has a gradient in only one of the "
                                                       "tensor and the differentiable backward")};
                for (index_t i = 0; on_tensors[k].defined() && i < on_tensors[k].numel(); ++i) {
                    double a = on_tensors[k].value().data()[i], b = as_graph[k].value().data()[i];
                    double error = std::fabs(a - b);
                    if (error <= options.atol + options.rtol * std::fabs(a)) continue;
                    return {false, error, concat_message("gradgradcheck: input ", k, " ", inputs[k].shape(), " element ", i,
                                                         ": the differentiable backward gives ", b,
                                                         ", the tensor backward ", a)};
                }
            }
        }
    }
    GradcheckResult result = gradcheck(inner_gradient, inputs, options);
    if (!result.ok) result.message = "gradgradcheck (second order): " + result.message;
    else result.message = "gradgradcheck: ok";
    return result;
}

}  // namespace aigc
