#pragma once
// aigc umbrella header: everything a CPU user needs, in dependency order.
#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/device.hpp"
#include "core/generator.hpp"
#include "core/functors.hpp"
#include "core/kernels.hpp"
#include "backend/cpu.hpp"
#include "core/tensor.hpp"
#include "autograd/autograd.hpp"
#include "autograd/gradcheck.hpp"
