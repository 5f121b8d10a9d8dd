#pragma once
// aigc::optim: optimizers (fused kernel-table updates), gradient clipping and LR schedules.
#include "optimizer.hpp"
#include "sgd.hpp"
#include "adam.hpp"
#include "rmsprop.hpp"
#include "clip.hpp"
#include "lr_scheduler.hpp"
