#pragma once
// The few protocol-buffer encodings TensorBoard's event files need, written by hand: varints,
// 64/32-bit little-endian numbers and length-delimited fields (strings, bytes, nested messages,
// packed doubles). Why not libprotobuf: it would need protoc and .proto copies at build time and a
// runtime library in every program, for five small messages whose wire format is frozen.
// Fields are written in field-number order, as protoc's serializer does. A field set to its default
// (0, "") is written all the same: parsers accept it, and a member of a `oneof` (Summary.Value's
// simple_value) must be written even when it is 0, or the reader sees no value at all.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace aigc::io {

namespace detail {
// The low `size` bytes of value, least significant first: protobuf's fixed32/fixed64 and the
// TFRecord length and CRC fields.
inline void append_little_endian(std::string& out, std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
}  // namespace detail

class ProtoWriter {
public:
    enum WireType : std::uint32_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

    // int32/int64/uint64/enum/bool fields. Negative values take ten bytes (two's complement), as in
    // protobuf's int64 encoding.
    ProtoWriter& add_varint(std::uint32_t field, std::uint64_t value) {
        key(field, varint);
        put_varint(value);
        return *this;
    }
    ProtoWriter& add_int64(std::uint32_t field, std::int64_t value) {
        return add_varint(field, static_cast<std::uint64_t>(value));
    }
    ProtoWriter& add_double(std::uint32_t field, double value) {
        key(field, fixed64);
        detail::append_little_endian(out_, std::bit_cast<std::uint64_t>(value), 8);
        return *this;
    }
    ProtoWriter& add_float(std::uint32_t field, float value) {
        key(field, fixed32);
        detail::append_little_endian(out_, std::bit_cast<std::uint32_t>(value), 4);
        return *this;
    }
    // string, bytes and nested-message fields.
    ProtoWriter& add_bytes(std::uint32_t field, std::string_view bytes) {
        key(field, length_delimited);
        put_varint(bytes.size());
        out_.append(bytes);
        return *this;
    }
    ProtoWriter& add_message(std::uint32_t field, const ProtoWriter& message) { return add_bytes(field, message.bytes()); }
    // `repeated double ... [packed = true]`: one length-delimited field of 8-byte values.
    ProtoWriter& add_packed_doubles(std::uint32_t field, std::span<const double> values) {
        key(field, length_delimited);
        put_varint(values.size() * 8);
        for (double v : values) detail::append_little_endian(out_, std::bit_cast<std::uint64_t>(v), 8);
        return *this;
    }

    const std::string& bytes() const { return out_; }

private:
    void key(std::uint32_t field, WireType type) { put_varint((std::uint64_t{field} << 3) | type); }
    void put_varint(std::uint64_t value) {
        while (value >= 0x80) {
            out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
            value >>= 7;
        }
        out_.push_back(static_cast<char>(value));
    }

    std::string out_;
};

}  // namespace aigc::io
