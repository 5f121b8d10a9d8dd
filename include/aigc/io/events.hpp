#pragma once
// TensorBoard's event messages, encoded by hand (see protobuf.hpp for why). Field numbers are those
// of tensorboard/compat/proto: event.proto, summary.proto, histogram.proto, tensor.proto,
// tensor_shape.proto and types.proto:
//   Event          wall_time 1 (double), step 2 (int64), file_version 3, summary 5, session_log 7
//   SessionLog     status 1 (START = 1)
//   Summary        value 1 (repeated Value)
//   Summary.Value  tag 1, simple_value 2 (float), image 4, histo 5, tensor 8, metadata 9
//   Summary.Image  height 1, width 2, colorspace 3 (1 = grayscale), encoded_image_string 4 (PNG)
//   HistogramProto min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6, bucket 7 (packed)
//   SummaryMetadata.plugin_data 1 { plugin_name 1 }   TensorProto dtype 1 (DT_STRING = 7),
//   tensor_shape 2 { dim 2 { size 1 } }, string_val 8
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "png.hpp"
#include "protobuf.hpp"

namespace aigc::io {

// What TensorBoard requires of the first record of every events file.
inline constexpr std::string_view events_file_version = "brain.Event:2";

// A histogram in TensorBoard's form: bucket i counts the values in (limits[i-1], limits[i]]
// (the first from `min`); the last limit is `max`.
struct Histogram {
    double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
    std::vector<double> limits, counts;
};

// `bins` equal-width buckets from the smallest to the largest value (one bucket when they are all
// equal). Values must be finite: a histogram cannot place NaN or Inf, and silently dropping them
// would hide exactly what a histogram is for (a layer going bad).
inline Histogram make_histogram(std::span<const double> values, int bins, std::string_view tag = "histogram") {
    AIGC_CHECK(!values.empty(), "add_histogram '", tag, "': no values");
    AIGC_CHECK(bins >= 1 && bins <= 10000, "add_histogram '", tag, "': bins must be in [1, 10000], given ", bins);
    Histogram h;
    h.min = h.max = values[0];
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        AIGC_CHECK(std::isfinite(v), "add_histogram '", tag, "': value ", i, " of ", values.size(), " is ", v,
                   "; a histogram needs finite values");
        h.min = std::min(h.min, v);
        h.max = std::max(h.max, v);
        h.sum += v;
        h.sum_squares += v * v;
    }
    h.num = static_cast<double>(values.size());
    const double width = (h.max - h.min) / bins;
    if (!(width > 0)) {  // every value equal (or a range too small to split)
        h.limits = {h.max};
        h.counts = {h.num};
        return h;
    }
    h.limits.resize(static_cast<std::size_t>(bins));
    for (int i = 0; i < bins; ++i) h.limits[static_cast<std::size_t>(i)] = h.min + width * (i + 1);
    h.limits.back() = h.max;
    h.counts.assign(static_cast<std::size_t>(bins), 0.0);
    for (double v : values) {
        auto bucket = static_cast<std::size_t>(std::clamp((v - h.min) / width, 0.0, double(bins - 1)));
        // Rounding may put a value just past its bucket's limit: move it back, as the limits say.
        while (bucket > 0 && v <= h.limits[bucket - 1]) --bucket;
        while (bucket + 1 < h.limits.size() && v > h.limits[bucket]) ++bucket;
        h.counts[bucket] += 1;
    }
    return h;
}

namespace events {

namespace detail {
inline ProtoWriter event_header(double wall_time, std::int64_t step) {
    ProtoWriter event;
    event.add_double(1, wall_time).add_int64(2, step);
    return event;
}
// An Event carrying a Summary with one Value.
inline std::string summary_event(double wall_time, std::int64_t step, const ProtoWriter& value) {
    return event_header(wall_time, step).add_message(5, ProtoWriter().add_message(1, value)).bytes();
}
inline ProtoWriter tagged(std::string_view tag) {
    AIGC_CHECK(!tag.empty(), "SummaryWriter: a tag must not be empty");
    ProtoWriter value;
    value.add_bytes(1, tag);
    return value;
}
}  // namespace detail

inline std::string file_version(double wall_time) {
    return detail::event_header(wall_time, 0).add_bytes(3, events_file_version).bytes();
}

// SessionLog START at `step`: TensorBoard then drops the records at steps >= step that earlier
// files of the run hold (its "purge" of what a crashed run wrote after its last checkpoint).
inline std::string session_start(double wall_time, std::int64_t step) {
    return detail::event_header(wall_time, step).add_message(7, ProtoWriter().add_varint(1, 1)).bytes();
}

inline std::string scalar(double wall_time, std::int64_t step, std::string_view tag, float value) {
    return detail::summary_event(wall_time, step, detail::tagged(tag).add_float(2, value));
}

inline std::string image(double wall_time, std::int64_t step, std::string_view tag, const GrayImage& picture) {
    ProtoWriter encoded;
    encoded.add_varint(1, static_cast<std::uint64_t>(picture.height))
        .add_varint(2, static_cast<std::uint64_t>(picture.width))
        .add_varint(3, 1);  // grayscale
    const std::vector<unsigned char> png = encode_png(picture);
    encoded.add_bytes(4, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    return detail::summary_event(wall_time, step, detail::tagged(tag).add_message(4, encoded));
}

inline std::string histogram(double wall_time, std::int64_t step, std::string_view tag, const Histogram& h) {
    ProtoWriter histo;
    histo.add_double(1, h.min).add_double(2, h.max).add_double(3, h.num).add_double(4, h.sum).add_double(5, h.sum_squares);
    histo.add_packed_doubles(6, h.limits).add_packed_doubles(7, h.counts);
    return detail::summary_event(wall_time, step, detail::tagged(tag).add_message(5, histo));
}

// Text as the text plugin reads it (Markdown): a DT_STRING tensor of shape [1] marked for "text".
inline std::string text(double wall_time, std::int64_t step, std::string_view tag, std::string_view markdown) {
    ProtoWriter shape, tensor, metadata;
    shape.add_message(2, ProtoWriter().add_int64(1, 1));
    tensor.add_varint(1, 7).add_message(2, shape).add_bytes(8, markdown);
    metadata.add_message(1, ProtoWriter().add_bytes(1, "text"));
    return detail::summary_event(wall_time, step, detail::tagged(tag).add_message(8, tensor).add_message(9, metadata));
}

// What resuming needs to know of an encoded Event: its step (field 2; 0 when absent) and whether it
// is a file_version record (field 3). Throws when the bytes are not a protocol-buffer message.
struct EventKey {
    std::int64_t step = 0;
    bool file_version = false;
};

inline EventKey read_key(std::string_view event) {
    std::size_t at = 0;
    auto varint = [&]() -> std::uint64_t {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            AIGC_CHECK(at < event.size(), "a varint runs past the end of the event");
            const auto byte = static_cast<unsigned char>(event[at++]);
            value |= std::uint64_t{byte & 0x7fu} << shift;
            if (!(byte & 0x80u)) return value;
        }
        fail("a varint is longer than 10 bytes");
    };
    EventKey key;
    while (at < event.size()) {
        const std::uint64_t tag = varint();
        const std::uint64_t field = tag >> 3;
        std::uint64_t skip = 0;
        switch (tag & 7) {
        case 0: {
            const std::uint64_t value = varint();
            if (field == 2) key.step = static_cast<std::int64_t>(value);
            break;
        }
        case 1: skip = 8; break;
        case 2:
            skip = varint();
            if (field == 3) key.file_version = true;
            break;
        case 5: skip = 4; break;
        default: fail(aigc::detail::concat("unknown wire type ", tag & 7));
        }
        AIGC_CHECK(skip <= event.size() - at, "a field runs past the end of the event");
        at += skip;
    }
    return key;
}

}  // namespace events
}  // namespace aigc::io
