#pragma once
// aigc::nn: layers with PyTorch's names, shapes, initialisation and state_dict layout.
#include "module.hpp"
#include "linear.hpp"
#include "activation.hpp"
#include "dropout.hpp"
#include "batchnorm.hpp"
#include "spectral_norm.hpp"
#include "embedding.hpp"
#include "layer_norm.hpp"
#include "sequential.hpp"

// Compiled mode (core/compiled.hpp): every layer.
#define AIGC_INSTANTIATE_NN(EXTERN, T)                  \
    EXTERN template class nn::Module<T, Cpu>;           \
    EXTERN template class nn::Linear<T, Cpu>;           \
    EXTERN template class nn::ReLU<T, Cpu>;             \
    EXTERN template class nn::LeakyReLU<T, Cpu>;        \
    EXTERN template class nn::Tanh<T, Cpu>;             \
    EXTERN template class nn::Sigmoid<T, Cpu>;          \
    EXTERN template class nn::Dropout<T, Cpu>;          \
    EXTERN template class nn::BatchNorm1d<T, Cpu>;      \
    EXTERN template class nn::SpectralNorm<T, Cpu>;     \
    EXTERN template class nn::Embedding<T, Cpu>;        \
    EXTERN template class nn::LayerNorm<T, Cpu>;        \
    EXTERN template class nn::Sequential<T, Cpu>;
AIGC_EXTERN_INSTANTIATIONS(AIGC_INSTANTIATE_NN)
