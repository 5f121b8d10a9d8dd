#pragma once
// n grey images of 4x4 made from a formula (every byte 0..255 can occur), labels i % 10: a data
// set small enough for a whole training run inside a unit test.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <aigc/data/mnist.hpp>

namespace aigc_test {

inline aigc::data::Mnist synthetic_set(aigc::index_t n) {
    std::vector<std::uint8_t> pixels, labels;
    for (aigc::index_t i = 0; i < n; ++i) {
        for (aigc::index_t j = 0; j < 16; ++j)
            pixels.push_back(static_cast<std::uint8_t>(std::lround(127.5 + 127.5 * std::sin(0.37 * double(i * 16 + j) + 0.1))));
        labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    return aigc::data::Mnist(4, 4, std::move(pixels), std::move(labels), "synthetic 4x4");
}

}  // namespace aigc_test
