#pragma once
// IDX files (the MNIST format, LeCun et al.): a 4-byte magic number 0x00 0x00 <dtype> <rank>, then
// `rank` big-endian u32 dimensions, then the values in row-major order. MNIST uses dtype 0x08
// (unsigned byte) with rank 3 for images [count, rows, cols] and rank 1 for labels [count].
//
// Reading trusts nothing in the file: every header field is checked and the file must be exactly
// header + data bytes long, so a truncated download or a swapped file is an aigc::Error that names
// the file and the problem, never a short read or a huge allocation.
// The reading and writing are in idx_impl.hpp, compiled once in compiled mode (core/compiled.hpp).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "../core/compiled.hpp"
#include "../core/shape.hpp"

namespace aigc::data {

// Images as stored in an IDX file: pixels [count, rows, cols], row-major, 0 = background.
struct IdxImages {
    index_t count = 0;
    index_t rows = 0;
    index_t cols = 0;
    std::vector<std::uint8_t> pixels;
};

// Reads an IDX images file (magic 0x00000803): pixels [count, rows, cols].
IdxImages read_idx_images(const std::filesystem::path& path);

// Reads an IDX labels file (magic 0x00000801): labels [count]. Label values are checked by the
// dataset that knows its classes (see Mnist), not here.
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

// Writes images [count, rows, cols] as an IDX ubyte file, atomically.
void write_idx_images(const std::filesystem::path& path, const IdxImages& images);

// Writes labels [count] as an IDX ubyte file, atomically.
void write_idx_labels(const std::filesystem::path& path, const std::vector<std::uint8_t>& labels);

}  // namespace aigc::data

#if !defined(AIGC_COMPILED)
#include "idx_impl.hpp"
#endif
