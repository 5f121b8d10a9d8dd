#pragma once
// All differentiable ops.
#include "var.hpp"
#include "broadcast.hpp"
#include "ops_arith.hpp"
#include "ops_unary.hpp"
#include "ops_linalg.hpp"
#include "ops_reduce.hpp"
#include "ops_shape.hpp"
#include "ops_random.hpp"
#include "losses.hpp"
