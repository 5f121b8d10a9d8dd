#pragma once
// TFRecord framing, the container of TensorBoard's event files. Each record is
//   u64 length | u32 masked CRC-32C of those 8 bytes | length bytes of data | u32 masked CRC-32C of the data
// all little-endian. Records are only ever appended, so a crash can damage at most the last one; a
// reader takes every record before the first that is cut short (truncated) or fails a CRC (corrupt).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "crc32c.hpp"
#include "protobuf.hpp"

namespace aigc::io {

namespace detail {
inline std::uint64_t get_le(std::string_view bytes, std::size_t at, int size) {
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) value |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
    return value;
}
}  // namespace detail

// The framed bytes of one record holding `data`.
inline std::string frame_tfrecord(std::string_view data) {
    std::string out;
    out.reserve(data.size() + 16);
    detail::append_little_endian(out, data.size(), 8);
    detail::append_little_endian(out, mask_crc(crc32c(out.data(), 8)), 4);
    out.append(data);
    detail::append_little_endian(out, mask_crc(crc32c(data)), 4);
    return out;
}

struct TfRecord {
    std::uint64_t offset = 0;  // where its length field starts in the file
    std::string data;
};

struct TfRecordScan {
    enum class End { complete, truncated, corrupt };
    std::vector<TfRecord> records;  // every intact record before the first damaged one
    std::uint64_t intact_bytes = 0; // where the last of them ends
    End end = End::complete;
    std::string problem;            // for truncated or corrupt: what, and at which byte
};

inline TfRecordScan parse_tfrecords(std::string_view bytes) {
    TfRecordScan scan;
    std::size_t at = 0;
    auto stop = [&](TfRecordScan::End end, auto... what) {
        scan.end = end;
        scan.problem = aigc::detail::concat(what..., " at byte ", at);
        return scan;
    };
    while (at < bytes.size()) {
        if (bytes.size() - at < 12) return stop(TfRecordScan::End::truncated, "record header cut short (", bytes.size() - at, " of 12 bytes)");
        const std::uint64_t length = detail::get_le(bytes, at, 8);
        const auto length_crc = static_cast<std::uint32_t>(detail::get_le(bytes, at + 8, 4));
        if (mask_crc(crc32c(bytes.data() + at, 8)) != length_crc) return stop(TfRecordScan::End::corrupt, "length CRC mismatch");
        if (length > bytes.size() - at - 12 || bytes.size() - at - 12 - length < 4)
            return stop(TfRecordScan::End::truncated, "record of ", length, " bytes cut short (file has ", bytes.size() - at - 12,
                        " after its header)");
        const std::string_view data = bytes.substr(at + 12, length);
        const auto data_crc = static_cast<std::uint32_t>(detail::get_le(bytes, at + 12 + length, 4));
        if (mask_crc(crc32c(data)) != data_crc) return stop(TfRecordScan::End::corrupt, "data CRC mismatch in a record of ", length, " bytes");
        scan.records.push_back({at, std::string(data)});
        at += 12 + length + 4;
        scan.intact_bytes = at;
    }
    return scan;
}

inline TfRecordScan read_tfrecords(const std::filesystem::path& path) {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    AIGC_CHECK(in, "read_tfrecords: cannot open '", path.string(), "': ", errno ? std::strerror(errno) : "unknown error");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    AIGC_CHECK(!in.bad(), "read_tfrecords: cannot read '", path.string(), "'");
    return parse_tfrecords(bytes);
}

}  // namespace aigc::io
