#pragma once
// Everything aigc has for the CPU, in layer order (see <aigc/aigc.hpp> for the light entry).
#include "aigc.hpp"
#include "autograd/gradcheck.hpp"
#include "data/data.hpp"
#include "io/io.hpp"
#include "models/models.hpp"
