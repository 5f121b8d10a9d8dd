#pragma once
// 8-bit grayscale PNG files. The encoder is stb_image_write, wrapped in png_impl.hpp so that it never
// clashes with a user's own copy of stb; in compiled mode that file is compiled once (src/io.cpp).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "../core/compiled.hpp"

namespace aigc::io {

// An 8-bit grayscale image, row-major: pixels[y * width + x].
struct GrayImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;
};

// The PNG file bytes of image (8-bit grayscale, stb's default zlib level 8).
std::vector<unsigned char> encode_png(const GrayImage& image);

// Writes image as a PNG file atomically: a failure leaves any previous file at path unchanged.
void write_png(const std::filesystem::path& path, const GrayImage& image);

}  // namespace aigc::io

#if !defined(AIGC_COMPILED)
#include "png_impl.hpp"
#endif
