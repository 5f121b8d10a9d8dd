#pragma once
// aigc::models: the reference GAN, VAE and MNIST classifier, their training steps, metrics and
// checkpoints (include explicitly, or through <aigc/all.hpp>).
#include "named_state.hpp"
#include "gan.hpp"
#include "vae.hpp"
#include "classifier.hpp"
#include "metrics.hpp"
#include "checkpoint.hpp"

// Compiled mode (core/compiled.hpp): the reference models and their trainers.
#define AIGC_INSTANTIATE_MODELS(EXTERN, T)               \
    EXTERN template class models::Gan<T, Cpu>;           \
    EXTERN template class models::Vae<T, Cpu>;           \
    EXTERN template class models::VaeTrainer<T, Cpu>;    \
    EXTERN template class models::Classifier<T, Cpu>;
AIGC_EXTERN_INSTANTIATIONS(AIGC_INSTANTIATE_MODELS)
