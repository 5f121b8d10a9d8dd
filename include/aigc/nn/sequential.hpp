#pragma once
// nn::Sequential: applies its layers in order. Children are named "0", "1", ... by position
// (activations and dropout included), which is what makes the seed generator's parameters
// 0.weight, 0.bias, 2.weight, ... exactly as in PyTorch.
#include <memory>
#include <string>
#include <vector>

#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class Sequential : public Module<T, D> {
public:
    Sequential() = default;
    template <class... Layers>
    explicit Sequential(std::shared_ptr<Layers>... layers) {
        (push_back(std::move(layers)), ...);
    }

    // Appends a layer under the next index and returns it (typed, for later access).
    template <class Layer>
    std::shared_ptr<Layer> push_back(std::shared_ptr<Layer> layer) {
        AIGC_CHECK(layer != nullptr, "Sequential::push_back: layer ", layers_.size(), " is null");
        std::string name = std::to_string(layers_.size());
        layers_.push_back(this->register_module(std::move(name), layer));
        return layer;
    }

    // An empty Sequential is the identity, as in PyTorch. A layer's error gets the layer's index and
    // type in front, so a shape mismatch deep in a chain says which link broke, e.g.
    // "Sequential layer 2 (Linear): linear: input has 8 features, weight expects 7 (input [4, 8])".
    Var<T, D> forward(const Var<T, D>& x) override {
        Var<T, D> y = x;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            try {
                y = (*layers_[i])(y);
            } catch (const Error& e) {
                fail(aigc::detail::concat("Sequential layer ", i, " (", layers_[i]->type_name(), "): ", e.what()));
            }
        }
        return y;
    }
    std::string type_name() const override { return "Sequential"; }

    index_t size() const { return static_cast<index_t>(layers_.size()); }
    Module<T, D>& operator[](index_t i) const {
        AIGC_CHECK(i >= 0 && i < size(), "Sequential: index ", i, " is out of range for ", size(), " layers");
        return *layers_[static_cast<std::size_t>(i)];
    }

private:
    std::vector<std::shared_ptr<Module<T, D>>> layers_;
};

// Sequential(std::make_shared<Linear<float>>(...), ...) deduces <float, Cpu> from the first layer.
template <class First, class... Rest>
Sequential(std::shared_ptr<First>, std::shared_ptr<Rest>...)
    -> Sequential<typename First::value_type, typename First::device_type>;

}  // namespace aigc::nn
