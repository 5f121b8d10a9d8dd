#pragma once
// aigc data: IDX files, the MNIST / Fashion-MNIST data set, and the mini-batch loader.
#include "idx.hpp"
#include "mnist.hpp"
#include "pixels.hpp"
#include "loader.hpp"
