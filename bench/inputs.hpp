#pragma once
// Deterministic benchmark inputs, the same on every device and every run (no RNG involved), so
// the CPU and CUDA benchmarks measure identical work.
#include <cmath>
#include <vector>

#include <aigc/core/optim_math.hpp>
#include <aigc/core/tensor.hpp>

#include "shapes.hpp"

namespace aigc::bench {

// Values in [-scale, scale].
template <class D>
Tensor<float, D> wave(const Shape& shape, float scale = 1.0f, double phase = 0.1) {
    std::vector<float> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = scale * float(std::sin(0.37 * double(i) + phase));
    return Tensor<float, D>::from_vector(shape, values);
}

// A batch of 784-pixel images: GAN images in [-1, 1], VAE inputs in [0, 1] (MNIST's value ranges).
template <class D>
Tensor<float, D> pixels(index_t batch, bool symmetric) {
    std::vector<float> values(static_cast<std::size_t>(batch * 784));
    for (std::size_t i = 0; i < values.size(); ++i) {
        float s = float(std::sin(0.37 * double(i) + 0.1));
        values[i] = symmetric ? s : 0.5f + 0.5f * s;
    }
    return Tensor<float, D>::from_vector(Shape{batch, 784}, values);
}

// Parameters, gradients and Adam moments of a model's layers (weight and bias each), as the fused
// optimizer sees them; it reads p, g, m, v and writes p, m, v: 28 bytes per parameter.
template <class D>
struct AdamWorkload {
    std::vector<Tensor<float, D>> tensors;
    std::vector<ParamSlot<float>> slots;
    index_t parameters = 0;
    AdamUpdate<float> update{0.5f, 0.5f, 0.999f, 0.001f, 1e-8f, 0.0f, 1.0f, 2e-4f, 0.03f};

    explicit AdamWorkload(const std::vector<Layer>& layers) {
        for (const auto& l : layers)
            for (Shape shape : {Shape{l.out, l.in}, Shape{l.out}}) {
                tensors.push_back(wave<D>(shape, 0.1f));
                tensors.push_back(wave<D>(shape, 0.01f, 0.4));
                tensors.push_back(Tensor<float, D>::zeros(shape));
                tensors.push_back(Tensor<float, D>::zeros(shape));
                auto t = tensors.end() - 4;
                slots.push_back({t[0].data(), t[1].data(), t[2].data(), t[3].data(), nullptr, shape.numel()});
                parameters += shape.numel();
            }
    }
    double bytes_per_step() const { return 28.0 * double(parameters); }
};

}  // namespace aigc::bench
