#pragma once
// Pixel bytes <-> model values. Generators with a tanh output want [-1, 1]; a VAE with a Bernoulli
// (sigmoid) decoder wants [0, 1]. to_pixels inverts either mapping, e.g. to save generated samples.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../cpu.hpp"

namespace aigc::data {

enum class PixelScale {
    unit,       // x = p / 255, in [0, 1]
    symmetric,  // x = 2 p / 255 - 1, in [-1, 1]
};

inline const char* scale_name(PixelScale scale) { return scale == PixelScale::unit ? "[0, 1]" : "[-1, 1]"; }

template <class T>
T pixel_to_value(std::uint8_t pixel, PixelScale scale) {
    const T unit = static_cast<T>(pixel) / T(255);
    return scale == PixelScale::unit ? unit : T(2) * unit - T(1);
}

// Nearest byte to a model value: p = round(255 x) or round(255 (x + 1) / 2), clamped to 0..255
// (model outputs may leave the range slightly); NaN maps to 0.
template <class T>
std::uint8_t value_to_pixel(T value, PixelScale scale) {
    const double unit = scale == PixelScale::unit ? static_cast<double>(value) : (static_cast<double>(value) + 1) / 2;
    if (!(unit > 0)) return 0;
    return static_cast<std::uint8_t>(std::lround(std::min(unit, 1.0) * 255));
}

// images [n, ...] -> n * features bytes, row-major (IDX or PNG ready).
template <class T, class D>
std::vector<std::uint8_t> to_pixels(const Tensor<T, D>& images, PixelScale scale) {
    const std::vector<T> values = images.to_vector();
    std::vector<std::uint8_t> pixels(values.size());
    std::transform(values.begin(), values.end(), pixels.begin(), [&](T v) { return value_to_pixel(v, scale); });
    return pixels;
}

}  // namespace aigc::data
