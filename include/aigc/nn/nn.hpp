#pragma once
// aigc::nn: layers with PyTorch's names, shapes, initialisation and state_dict layout.
#include "module.hpp"
#include "linear.hpp"
#include "activation.hpp"
#include "dropout.hpp"
#include "batchnorm.hpp"
#include "spectral_norm.hpp"
#include "sequential.hpp"
