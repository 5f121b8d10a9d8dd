#pragma once
// Parameter-free element-wise layers, as torch.nn.ReLU, LeakyReLU, Tanh and Sigmoid. They hold
// no state but are modules so that an nn::Sequential counts them in its child indices.
#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class ReLU : public Module<T, D> {
public:
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::relu(x); }
    std::string type_name() const override { return "ReLU"; }
};

// y = x for x > 0, slope * x otherwise.
template <class T = float, class D = Cpu>
class LeakyReLU : public Module<T, D> {
public:
    explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::leaky_relu(x, static_cast<T>(negative_slope_)); }
    std::string type_name() const override { return "LeakyReLU"; }
    double negative_slope() const { return negative_slope_; }

private:
    double negative_slope_;
};

template <class T = float, class D = Cpu>
class Tanh : public Module<T, D> {
public:
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::tanh(x); }
    std::string type_name() const override { return "Tanh"; }
};

template <class T = float, class D = Cpu>
class Sigmoid : public Module<T, D> {
public:
    Var<T, D> forward(const Var<T, D>& x) override { return aigc::sigmoid(x); }
    std::string type_name() const override { return "Sigmoid"; }
};

}  // namespace aigc::nn
