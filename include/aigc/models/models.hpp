#pragma once
#include "named_state.hpp"
#include "gan.hpp"
#include "vae.hpp"
#include "classifier.hpp"
#include "metrics.hpp"
#include "checkpoint.hpp"
