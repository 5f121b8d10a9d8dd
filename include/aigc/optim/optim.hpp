#pragma once
// aigc::optim: optimizers (fused kernel-table updates), gradient clipping, LR schedules and
// parameter averages (Ema).
#include "optimizer.hpp"
#include "sgd.hpp"
#include "adam.hpp"
#include "rmsprop.hpp"
#include "clip.hpp"
#include "lr_scheduler.hpp"
#include "ema.hpp"

// Compiled mode (core/compiled.hpp): every optimizer and the gradient clipping functions.
#define AIGC_INSTANTIATE_OPTIM(EXTERN, T)                                                          \
    EXTERN template class optim::Optimizer<T, Cpu>;                                                \
    EXTERN template class optim::detail::AdamFamily<T, Cpu, optim::AdamOptions>;                   \
    EXTERN template class optim::detail::AdamFamily<T, Cpu, optim::AdamWOptions>;                  \
    EXTERN template class optim::Adam<T, Cpu>;                                                     \
    EXTERN template class optim::AdamW<T, Cpu>;                                                    \
    EXTERN template class optim::SGD<T, Cpu>;                                                      \
    EXTERN template class optim::RMSprop<T, Cpu>;                                                  \
    EXTERN template class optim::Ema<T, Cpu>;                                                      \
    EXTERN template T optim::grad_norm(const std::vector<Var<T, Cpu>>&, double);                   \
    EXTERN template T optim::clip_grad_norm(const std::vector<Var<T, Cpu>>&, double, double, bool); \
    EXTERN template void optim::clip_grad_value(const std::vector<Var<T, Cpu>>&, double);
AIGC_EXTERN_INSTANTIATIONS(AIGC_INSTANTIATE_OPTIM)
