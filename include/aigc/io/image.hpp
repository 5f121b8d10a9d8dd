#pragma once
// Image grids of generated samples, like torchvision.utils.make_grid + save_image: n images of
// height x width (a batch [n, height * width], e.g. MNIST [n, 784]) laid out `columns` per row with
// `padding` pixels around each, written as an 8-bit grayscale PNG.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "../core/error.hpp"
#include "../cpu.hpp"
#include "../data/pixels.hpp"
#include "png.hpp"

namespace aigc::io {

struct GridOptions {
    index_t image_height = 28;
    index_t image_width = 28;
    index_t columns = 8;  // images per row (torchvision's nrow)
    index_t padding = 2;  // pixels between images and around the border
    // symmetric for tanh outputs (the GAN generator: -1 -> black, 1 -> white), unit for sigmoid
    // outputs and MNIST pixels (the VAE decoder).
    data::PixelScale scale = data::PixelScale::symmetric;
    std::uint8_t pad_value = 0;
};

// A grid filled a batch at a time, so that n images never need to be in memory together: the
// canvas for `count` images is allocated once, and add() draws the next images into it in order.
// Pixel = floor(255 u + 0.5) clamped to [0, 255], u = (x + 1) / 2 or x by scale: the same rounding
// as torchvision's save_image.
class ImageGrid {
public:
    ImageGrid(index_t count, const GridOptions& options = {}) : options_(options), count_(count) {
        const index_t h = options.image_height, w = options.image_width, pad = options.padding;
        // stb takes int sizes; a grid larger than this is a mistake, not a picture.
        constexpr index_t max_side = 1 << 15;
        AIGC_CHECK(h > 0 && w > 0 && options.columns > 0 && pad >= 0 && h <= max_side && w <= max_side &&
                       pad <= max_side && options.columns <= max_side,
                   "make_image_grid: need image size, columns in [1, ", max_side, "] and padding in [0, ", max_side,
                   "], given image ", h, "x", w, ", columns ", options.columns, ", padding ", pad);
        AIGC_CHECK(count > 0, "make_image_grid: expected a batch [n, ", h * w, "] with n > 0, given n = ", count);
        columns_ = std::min(options.columns, count);
        const index_t rows = (count + columns_ - 1) / columns_;
        const index_t grid_width = columns_ * (w + pad) + pad, grid_height = rows * (h + pad) + pad;
        AIGC_CHECK(grid_width <= max_side && grid_height <= max_side, "make_image_grid: grid would be ", grid_width, "x",
                   grid_height, " pixels, more than ", max_side, " on a side");
        grid_.width = static_cast<int>(grid_width);
        grid_.height = static_cast<int>(grid_height);
        grid_.pixels.assign(static_cast<std::size_t>(grid_width * grid_height), options.pad_value);
    }

    // images [m, image_height * image_width]: the next m images of the grid.
    template <class T, class D>
    void add(const Tensor<T, D>& images) {
        const index_t h = options_.image_height, w = options_.image_width, pad = options_.padding;
        AIGC_CHECK(images.defined() && images.rank() >= 1 && images.shape()[0] > 0, "make_image_grid: expected a batch ",
                   "[n, ", h * w, "] with n > 0, given ", images.defined() ? images.shape().str() : "an undefined tensor");
        const index_t n = images.shape()[0];
        AIGC_CHECK(images.numel() == n * h * w, "make_image_grid: each of the ", n, " images should have ", h, "x", w,
                   " = ", h * w, " pixels, given ", images.shape(), " (", images.numel() / n, " per image)");
        AIGC_CHECK(added_ + n <= count_, "make_image_grid: the grid holds ", count_, " images, ", added_,
                   " are drawn and ", n, " more were given");
        const std::vector<T> values = images.to_vector();
        for (index_t k = 0; k < n; ++k, ++added_) {
            const index_t top = pad + (added_ / columns_) * (h + pad), left = pad + (added_ % columns_) * (w + pad);
            for (index_t y = 0; y < h; ++y)
                for (index_t x = 0; x < w; ++x) {
                    const double value = static_cast<double>(values[static_cast<std::size_t>((k * h + y) * w + x)]);
                    AIGC_CHECK(std::isfinite(value), "make_image_grid: image ", added_, " pixel (", y, ", ", x, ") is ",
                               value, "; cannot draw a non-finite value");
                    const double unit = options_.scale == data::PixelScale::symmetric ? (value + 1.0) / 2.0 : value;
                    const double level = std::clamp(std::floor(unit * 255.0 + 0.5), 0.0, 255.0);
                    grid_.pixels[static_cast<std::size_t>((top + y) * grid_.width + left + x)] =
                        static_cast<std::uint8_t>(level);
                }
        }
    }

    index_t added() const { return added_; }
    const GrayImage& image() const { return grid_; }

private:
    GridOptions options_;
    index_t count_ = 0, columns_ = 0, added_ = 0;
    GrayImage grid_;
};

// images [n, image_height * image_width] (any shape whose first dimension is n and whose rows hold
// one image each), laid out `columns` per row.
template <class T, class D>
GrayImage make_image_grid(const Tensor<T, D>& images, const GridOptions& options = {}) {
    AIGC_CHECK(images.defined() && images.rank() >= 1 && images.shape()[0] > 0, "make_image_grid: expected a batch ",
               "[n, ", options.image_height * options.image_width, "] with n > 0, given ",
               images.defined() ? images.shape().str() : "an undefined tensor");
    ImageGrid grid(images.shape()[0], options);
    grid.add(images);
    return grid.image();
}

template <class T, class D>
void write_image_grid(const std::filesystem::path& path, const Tensor<T, D>& images, const GridOptions& options = {}) {
    write_png(path, make_image_grid(images, options));
}

}  // namespace aigc::io
