#pragma once
// Finite-difference gradient check in double precision (like torch.autograd.gradcheck): compares
// the backward pass of f with central differences (f(x + h) - f(x - h)) / 2h for every input
// element. A non-scalar output is projected on fixed random weights w, i.e. checks d<w, f(x)>/dx.
#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "var.hpp"

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
    out.backward(weights);

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

}  // namespace aigc
