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
#include <memory>
#include <span>
#include <vector>

#include "../core/compiled.hpp"
#include "../core/shape.hpp"

namespace aigc::io {
class AtomicFile;
}

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

// An IDX images file written in pieces, so that a million generated images never sit in memory
// together: the header names `count` up front, append() adds whole images in order, and commit()
// checks that exactly `count` came and then replaces any old file atomically. Destroyed before
// commit(), it leaves the old file (if any) as it was.
class IdxImageWriter {
public:
    IdxImageWriter(const std::filesystem::path& path, index_t count, index_t rows, index_t cols);
    IdxImageWriter(const IdxImageWriter&) = delete;
    IdxImageWriter& operator=(const IdxImageWriter&) = delete;
    ~IdxImageWriter();
    // pixels [m, rows, cols] of the next m images.
    void append(std::span<const std::uint8_t> pixels);
    void commit();

private:
    std::filesystem::path path_;
    index_t count_, rows_, cols_, written_ = 0;
    std::unique_ptr<io::AtomicFile> file_;
};

// Writes labels [count] as an IDX ubyte file, atomically.
void write_idx_labels(const std::filesystem::path& path, const std::vector<std::uint8_t>& labels);

}  // namespace aigc::data

#if !defined(AIGC_COMPILED)
#include "idx_impl.hpp"
#endif
