#pragma once
// aigc: what a training program needs -- core, the CPU backend, autograd, layers and optimizers.
// Data loading (<aigc/data/data.hpp>), files (<aigc/io/io.hpp>: safetensors, PNG, CSV, plots,
// progress), gradient checking (<aigc/autograd/gradcheck.hpp>) and the reference models
// (<aigc/models/models.hpp>) are included by the programs that use them, or all at once with
// <aigc/all.hpp>; a 20-line program does not compile a JSON parser it never calls.
#include "cpu.hpp"
#include "autograd/autograd.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
