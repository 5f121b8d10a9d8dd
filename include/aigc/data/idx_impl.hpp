#pragma once
// Reading and writing IDX files (the format and the checks are described in idx.hpp). Included by
// idx.hpp in header-only use, and once by src/io.cpp in compiled mode (AIGC_INLINE).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "../core/compiled.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../io/atomic_file.hpp"
#include "idx.hpp"

namespace aigc::data {

namespace idx {

inline constexpr std::uint8_t ubyte = 0x08;
inline constexpr int images_rank = 3;
inline constexpr int labels_rank = 1;
// Sane bounds: a count fits in 31 bits and an image side in 16, so count * rows * cols < 2^63 never
// overflows, while real files (60000 images of 28x28) are far inside them.
inline constexpr std::uint64_t max_count = (std::uint64_t{1} << 31) - 1;
inline constexpr std::uint64_t max_side = std::uint64_t{1} << 16;

inline const char* dtype_name(std::uint8_t dtype) {
    switch (dtype) {
        case 0x08: return "unsigned byte";
        case 0x09: return "signed byte";
        case 0x0B: return "int16";
        case 0x0C: return "int32";
        case 0x0D: return "float32";
        case 0x0E: return "float64";
        default: return "unknown dtype";
    }
}

// Big-endian u32 assembled byte by byte: no alignment or aliasing assumptions about the buffer.
inline std::uint32_t read_be32(const unsigned char* bytes) {
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) |
           std::uint32_t{bytes[3]};
}
inline void write_be32(std::uint32_t value, unsigned char* bytes) {
    bytes[0] = static_cast<unsigned char>(value >> 24);
    bytes[1] = static_cast<unsigned char>(value >> 16);
    bytes[2] = static_cast<unsigned char>(value >> 8);
    bytes[3] = static_cast<unsigned char>(value);
}

inline const char* plural(std::uint64_t n) { return n == 1 ? "" : "s"; }

// An opened IDX file whose magic number and header have been read and checked.
struct Header {
    std::vector<std::uint64_t> dims;
    std::uint64_t header_bytes = 0;
    std::uint64_t file_bytes = 0;
};

// Opens `path`, checks the magic number against (ubyte, expected_rank) and reads the dimensions.
// `kind` ("images" or "labels") words the messages. Leaves `in` positioned at the first data byte.
inline Header read_header(const std::filesystem::path& path, std::ifstream& in, int expected_rank, const char* kind) {
    const std::string name = path.string();
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    AIGC_CHECK(std::filesystem::exists(status), name, ": cannot open IDX ", kind, " file: no such file");
    AIGC_CHECK(std::filesystem::is_regular_file(status), name, ": cannot open IDX ", kind,
               " file: not a regular file");
    in.open(path, std::ios::binary);
    AIGC_CHECK(in.is_open(), name, ": cannot open IDX ", kind, " file: ", std::strerror(errno));

    Header header;
    header.file_bytes = std::filesystem::file_size(path, ec);
    AIGC_CHECK(!ec, name, ": cannot read the size of the IDX ", kind, " file: ", ec.message());
    AIGC_CHECK(header.file_bytes >= 4, name, ": file has ", header.file_bytes, " byte", plural(header.file_bytes),
               ", too short for the 4-byte IDX magic number (truncated header)");

    unsigned char magic[4];
    in.read(reinterpret_cast<char*>(magic), 4);
    AIGC_CHECK(in.gcount() == 4, name, ": could not read the IDX magic number");
    const std::uint32_t magic_value = read_be32(magic);
    const std::uint32_t expected_magic = (std::uint32_t{ubyte} << 8) | static_cast<std::uint32_t>(expected_rank);
    auto hex = [](std::uint32_t v, int digits) {
        char text[11];
        std::snprintf(text, sizeof text, "0x%0*X", digits, v);
        return std::string(text);
    };
    AIGC_CHECK(magic[0] == 0 && magic[1] == 0, name, ": not an IDX file: magic number ", hex(magic_value, 8),
               " does not start with two zero bytes (expected ", hex(expected_magic, 8), " for ", kind, ")");
    AIGC_CHECK(magic[2] == ubyte, name, ": IDX dtype byte is ", hex(magic[2], 2), " (", dtype_name(magic[2]),
               "), expected 0x08 (unsigned byte) for ", kind, "; magic ", hex(magic_value, 8), ", expected ",
               hex(expected_magic, 8));
    AIGC_CHECK(magic[3] == expected_rank, name, ": IDX file has ", int{magic[3]}, " dimension", plural(magic[3]),
               ", expected ", expected_rank, " for ", kind, " (magic ", hex(magic_value, 8), ", expected ",
               hex(expected_magic, 8), ")");

    header.header_bytes = 4 + 4 * static_cast<std::uint64_t>(expected_rank);
    AIGC_CHECK(header.file_bytes >= header.header_bytes, name, ": file has ", header.file_bytes, " bytes, shorter than the ",
               header.header_bytes, "-byte header of an IDX file with ", expected_rank, " dimension",
               plural(expected_rank), " (truncated header)");
    unsigned char dim_bytes[4 * images_rank];
    in.read(reinterpret_cast<char*>(dim_bytes), 4 * expected_rank);
    AIGC_CHECK(in.gcount() == 4 * expected_rank, name, ": could not read the IDX dimensions");
    for (int axis = 0; axis < expected_rank; ++axis) header.dims.push_back(read_be32(dim_bytes + 4 * axis));
    return header;
}

// Checks the file length against the header's claim and reads the data bytes.
inline std::vector<std::uint8_t> read_data(const std::filesystem::path& path, std::ifstream& in, const Header& header,
                                           std::uint64_t data_bytes, const std::string& claim) {
    const std::uint64_t expected = header.header_bytes + data_bytes;
    if (header.file_bytes != expected) {
        const bool truncated = header.file_bytes < expected;
        const std::uint64_t gap = truncated ? expected - header.file_bytes : header.file_bytes - expected;
        fail(detail::concat(path.string(), ": file has ", header.file_bytes, " bytes, header says ", claim, " = ",
                            expected, " bytes (", header.header_bytes, "-byte header + ", data_bytes, " data bytes): ",
                            truncated ? "truncated, " : "", gap, truncated ? " byte" : " trailing byte", plural(gap),
                            truncated ? " missing" : ""));
    }
    std::vector<std::uint8_t> data(static_cast<std::size_t>(data_bytes));
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data_bytes));
    AIGC_CHECK(static_cast<std::uint64_t>(in.gcount()) == data_bytes, path.string(), ": read ", in.gcount(),
               " of ", data_bytes, " data bytes (file changed while reading?)");
    return data;
}

inline std::vector<unsigned char> header_bytes(int rank, const std::vector<std::uint32_t>& dims) {
    std::vector<unsigned char> bytes(4 + 4 * static_cast<std::size_t>(rank));
    bytes[0] = 0;
    bytes[1] = 0;
    bytes[2] = ubyte;
    bytes[3] = static_cast<unsigned char>(rank);
    for (int axis = 0; axis < rank; ++axis) write_be32(dims[static_cast<std::size_t>(axis)], bytes.data() + 4 + 4 * axis);
    return bytes;
}

// Header then data through io::AtomicFile: a crash leaves the old file or the new one, never half.
inline void write_file(const std::filesystem::path& path, const char* operation, int rank,
                       const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data) {
    const std::vector<unsigned char> header = header_bytes(rank, dims);
    io::AtomicFile file(path, operation);
    file.write(header.data(), header.size());
    file.write(data.data(), data.size());
    file.commit();
}

}  // namespace idx

AIGC_INLINE IdxImages read_idx_images(const std::filesystem::path& path) {
    std::ifstream in;
    const idx::Header header = idx::read_header(path, in, idx::images_rank, "images");
    const std::uint64_t count = header.dims[0], rows = header.dims[1], cols = header.dims[2];
    const std::string name = path.string();
    AIGC_CHECK(count > 0, name, ": header says 0 images; an images file must hold at least one");
    AIGC_CHECK(rows > 0 && cols > 0, name, ": header says images of ", rows, "x", cols,
               "; both sides must be positive");
    AIGC_CHECK(count <= idx::max_count, name, ": header says ", count, " images, more than the limit of ",
               idx::max_count);
    AIGC_CHECK(rows <= idx::max_side && cols <= idx::max_side, name, ": header says images of ", rows, "x", cols,
               ", a side exceeds the limit of ", idx::max_side);
    IdxImages images;
    images.count = static_cast<index_t>(count);
    images.rows = static_cast<index_t>(rows);
    images.cols = static_cast<index_t>(cols);
    images.pixels = idx::read_data(path, in, header, count * rows * cols,
                                   detail::concat(count, " image", idx::plural(count), " of ", rows, "x", cols));
    return images;
}

AIGC_INLINE std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
    std::ifstream in;
    const idx::Header header = idx::read_header(path, in, idx::labels_rank, "labels");
    const std::uint64_t count = header.dims[0];
    const std::string name = path.string();
    AIGC_CHECK(count > 0, name, ": header says 0 labels; a labels file must hold at least one");
    AIGC_CHECK(count <= idx::max_count, name, ": header says ", count, " labels, more than the limit of ",
               idx::max_count);
    return idx::read_data(path, in, header, count, detail::concat(count, " label", idx::plural(count)));
}

AIGC_INLINE IdxImageWriter::IdxImageWriter(const std::filesystem::path& path, index_t count, index_t rows, index_t cols)
    : path_(path), count_(count), rows_(rows), cols_(cols) {
    const std::string name = path.string();
    AIGC_CHECK(count > 0 && rows > 0 && cols > 0, name, ": cannot write ", count, " images of ", rows, "x", cols,
               "; every dimension must be positive");
    AIGC_CHECK(static_cast<std::uint64_t>(count) <= idx::max_count && static_cast<std::uint64_t>(rows) <= idx::max_side &&
                   static_cast<std::uint64_t>(cols) <= idx::max_side,
               name, ": cannot write ", count, " images of ", rows, "x", cols, "; limits are ", idx::max_count,
               " images and sides of ", idx::max_side);
    const std::vector<unsigned char> header = idx::header_bytes(
        idx::images_rank,
        {static_cast<std::uint32_t>(count), static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(cols)});
    file_ = std::make_unique<io::AtomicFile>(path, "write_idx_images");
    file_->write(header.data(), header.size());
}

AIGC_INLINE IdxImageWriter::~IdxImageWriter() = default;

AIGC_INLINE void IdxImageWriter::append(std::span<const std::uint8_t> pixels) {
    const index_t per_image = rows_ * cols_;
    AIGC_CHECK(file_, path_.string(), ": append after commit");
    AIGC_CHECK(static_cast<index_t>(pixels.size()) % per_image == 0, path_.string(), ": ", pixels.size(),
               " pixels are not whole images of ", rows_, "x", cols_);
    const index_t images = static_cast<index_t>(pixels.size()) / per_image;
    AIGC_CHECK(written_ + images <= count_, path_.string(), ": the header says ", count_, " images; ", written_,
               " are written and ", images, " more were given");
    file_->write(pixels.data(), pixels.size());
    written_ += images;
}

AIGC_INLINE void IdxImageWriter::commit() {
    AIGC_CHECK(file_, path_.string(), ": commit twice");
    AIGC_CHECK(written_ == count_, path_.string(), ": the header says ", count_, " images, only ", written_,
               " were written; the file is not replaced");
    file_->commit();
    file_.reset();
}

AIGC_INLINE void write_idx_images(const std::filesystem::path& path, const IdxImages& images) {
    const std::string name = path.string();
    const index_t expected = images.count * images.rows * images.cols;
    IdxImageWriter writer(path, images.count, images.rows, images.cols);
    AIGC_CHECK(static_cast<index_t>(images.pixels.size()) == expected, name, ": ", images.count, " images of ",
               images.rows, "x", images.cols, " need ", expected, " pixels, given ", images.pixels.size());
    writer.append(images.pixels);
    writer.commit();
}

AIGC_INLINE void write_idx_labels(const std::filesystem::path& path, const std::vector<std::uint8_t>& labels) {
    const std::string name = path.string();
    AIGC_CHECK(!labels.empty(), name, ": cannot write an empty labels file");
    AIGC_CHECK(labels.size() <= idx::max_count, name, ": cannot write ", labels.size(),
               " labels; the limit is ", idx::max_count);
    idx::write_file(path, "write_idx_labels", idx::labels_rank, {static_cast<std::uint32_t>(labels.size())}, labels);
}

}  // namespace aigc::data
