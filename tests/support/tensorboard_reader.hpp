#pragma once
// A reader of TensorBoard event files for the tests, written apart from the library's encoder: a
// generic protocol-buffer wire-format parser, and the Event / Summary / Value / Image /
// HistogramProto / TensorProto fields decoded from it by number (tensorboard/compat/proto). The
// TFRecord framing is read with aigc::io::parse_tfrecords, whose CRCs the tests pin to reference
// values computed elsewhere (a bitwise CRC-32C in Python).
#include <bit>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <aigc/io/event_files.hpp>
#include <aigc/io/tfrecord.hpp>

namespace aigc_test {

struct WireField {
    std::uint32_t number = 0;
    std::uint32_t wire_type = 0;
    std::uint64_t number_bits = 0;  // varint, fixed64 and fixed32 values
    std::string bytes;              // length-delimited values
};

// Every field of one message, in file order. Throws std::runtime_error on malformed input.
inline std::vector<WireField> parse_wire(std::string_view message) {
    std::vector<WireField> fields;
    std::size_t at = 0;
    auto need = [&](std::size_t n) {
        if (message.size() - at < n) throw std::runtime_error("protobuf: message ends inside a field");
    };
    auto varint = [&] {
        std::uint64_t value = 0;
        for (int shift = 0;; shift += 7) {
            if (shift >= 70) throw std::runtime_error("protobuf: varint too long");
            need(1);
            auto byte = static_cast<unsigned char>(message[at++]);
            value |= std::uint64_t(byte & 0x7f) << shift;
            if (byte < 0x80) return value;
        }
    };
    auto fixed = [&](int size) {
        need(static_cast<std::size_t>(size));
        std::uint64_t value = 0;
        for (int i = 0; i < size; ++i) value |= std::uint64_t(static_cast<unsigned char>(message[at + i])) << (8 * i);
        at += static_cast<std::size_t>(size);
        return value;
    };
    while (at < message.size()) {
        const std::uint64_t key = varint();
        WireField field;
        field.number = static_cast<std::uint32_t>(key >> 3);
        field.wire_type = static_cast<std::uint32_t>(key & 7);
        if (field.number == 0) throw std::runtime_error("protobuf: field number 0");
        switch (field.wire_type) {
        case 0: field.number_bits = varint(); break;
        case 1: field.number_bits = fixed(8); break;
        case 5: field.number_bits = fixed(4); break;
        case 2: {
            const std::uint64_t size = varint();
            need(size);
            field.bytes.assign(message.substr(at, size));
            at += size;
            break;
        }
        default: throw std::runtime_error("protobuf: unsupported wire type " + std::to_string(field.wire_type));
        }
        fields.push_back(std::move(field));
    }
    return fields;
}

// The fields of one message by number; `one` insists on exactly one with the expected wire type.
struct WireMessage {
    std::vector<WireField> fields;
    explicit WireMessage(std::string_view bytes) : fields(parse_wire(bytes)) {}
    std::vector<const WireField*> all(std::uint32_t number) const {
        std::vector<const WireField*> found;
        for (const auto& f : fields)
            if (f.number == number) found.push_back(&f);
        return found;
    }
    bool has(std::uint32_t number) const { return !all(number).empty(); }
    const WireField& one(std::uint32_t number, std::uint32_t wire_type) const {
        auto found = all(number);
        if (found.size() != 1) throw std::runtime_error("protobuf: field " + std::to_string(number) + " appears " +
                                                        std::to_string(found.size()) + " times");
        if (found[0]->wire_type != wire_type)
            throw std::runtime_error("protobuf: field " + std::to_string(number) + " has wire type " +
                                     std::to_string(found[0]->wire_type));
        return *found[0];
    }
    double f64(std::uint32_t n) const { return std::bit_cast<double>(one(n, 1).number_bits); }
    float f32(std::uint32_t n) const { return std::bit_cast<float>(static_cast<std::uint32_t>(one(n, 5).number_bits)); }
    std::uint64_t varint(std::uint32_t n) const { return one(n, 0).number_bits; }
    const std::string& bytes(std::uint32_t n) const { return one(n, 2).bytes; }
    std::vector<double> packed_f64(std::uint32_t n) const {
        const std::string& raw = bytes(n);
        if (raw.size() % 8) throw std::runtime_error("protobuf: packed doubles of " + std::to_string(raw.size()) + " bytes");
        std::vector<double> values(raw.size() / 8);
        for (std::size_t i = 0; i < values.size(); ++i) {
            std::uint64_t b = 0;
            for (int k = 0; k < 8; ++k) b |= std::uint64_t(static_cast<unsigned char>(raw[i * 8 + k])) << (8 * k);
            values[i] = std::bit_cast<double>(b);
        }
        return values;
    }
};

struct TbHistogram {
    double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
    std::vector<double> limits, counts;
};

// One Summary.Value, whichever kind it is.
struct TbValue {
    std::string tag;
    std::string kind;  // "scalar", "image", "histogram", "text"
    float scalar = 0;
    int height = 0, width = 0, colorspace = 0;
    std::string png;
    TbHistogram histogram;
    std::string text, plugin;
};

struct TbEvent {
    double wall_time = 0;
    std::int64_t step = 0;
    std::string file_version;
    int session_status = -1;  // SessionLog.status when present
    std::vector<TbValue> values;
};

inline TbValue decode_value(const WireMessage& v) {
    TbValue out;
    out.tag = v.bytes(1);
    if (v.has(2)) {
        out.kind = "scalar";
        out.scalar = v.f32(2);
    } else if (v.has(4)) {
        out.kind = "image";
        WireMessage image(v.bytes(4));
        out.height = static_cast<int>(image.varint(1));
        out.width = static_cast<int>(image.varint(2));
        out.colorspace = static_cast<int>(image.varint(3));
        out.png = image.bytes(4);
    } else if (v.has(5)) {
        out.kind = "histogram";
        WireMessage h(v.bytes(5));
        out.histogram = {h.f64(1), h.f64(2), h.f64(3), h.f64(4), h.f64(5), h.packed_f64(6), h.packed_f64(7)};
    } else if (v.has(8)) {
        out.kind = "text";
        WireMessage tensor(v.bytes(8));
        if (tensor.varint(1) != 7) throw std::runtime_error("text tensor is not DT_STRING");
        WireMessage shape(tensor.bytes(2));
        if (shape.all(2).size() != 1 || WireMessage(shape.bytes(2)).varint(1) != 1)
            throw std::runtime_error("text tensor is not of shape [1]");
        out.text = tensor.bytes(8);
        WireMessage metadata(v.bytes(9));
        out.plugin = WireMessage(metadata.bytes(1)).bytes(1);
    } else {
        throw std::runtime_error("Summary.Value '" + out.tag + "' holds no value this reader knows");
    }
    return out;
}

inline TbEvent decode_event(std::string_view bytes) {
    WireMessage e(bytes);
    TbEvent out;
    out.wall_time = e.f64(1);
    if (e.has(2)) out.step = static_cast<std::int64_t>(e.varint(2));
    if (e.has(3)) out.file_version = e.bytes(3);
    if (e.has(7)) out.session_status = static_cast<int>(WireMessage(e.bytes(7)).varint(1));
    if (e.has(5)) {
        const WireMessage summary(e.bytes(5));  // all() points into it: keep it alive
        for (const WireField* value : summary.all(1)) out.values.push_back(decode_value(WireMessage(value->bytes)));
    }
    return out;
}

// Every event of a file; the framing must be complete.
inline std::vector<TbEvent> read_events(const std::filesystem::path& file) {
    auto scan = aigc::io::read_tfrecords(file);
    if (scan.end != aigc::io::TfRecordScan::End::complete)
        throw std::runtime_error(file.string() + ": " + scan.problem);
    std::vector<TbEvent> events;
    for (const auto& record : scan.records) events.push_back(decode_event(record.data));
    return events;
}

// Every event of every events file in a folder, in TensorBoard's (file name) order.
inline std::vector<TbEvent> read_folder_events(const std::filesystem::path& folder) {
    std::vector<TbEvent> all;
    for (const auto& file : aigc::io::list_events_files(folder))
        for (auto& e : read_events(file)) all.push_back(std::move(e));
    return all;
}

}  // namespace aigc_test
