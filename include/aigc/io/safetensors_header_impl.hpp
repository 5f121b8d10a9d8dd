#pragma once
// The JSON side of the safetensors header (see safetensors_header.hpp for the file layout): writing
// it, and parsing it with every check a hostile file needs. Included by safetensors_header.hpp in
// header-only use, and once by src/io.cpp in compiled mode (core/compiled.hpp, AIGC_INLINE).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/compiled.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "metadata.hpp"
#include "safetensors_header.hpp"

namespace aigc::io {

namespace detail {

// ordered_json keeps the key order of the reference writer: "__metadata__" first, then tensors in
// data order, each as dtype, shape, data_offsets.
AIGC_INLINE std::string build_safetensors_header(const std::vector<TensorEntry>& tensors, const Metadata& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    nlohmann::ordered_json strings = nlohmann::ordered_json::object();
    strings["format"] = "pt";  // Hugging Face loaders check this; "pt" = PyTorch layout
    for (const auto& [key, value] : metadata.entries()) {
        if (key == "format") {
            AIGC_CHECK(value == "pt", "save_safetensors: metadata 'format' must be \"pt\" (PyTorch layout), given \"",
                       value, "\"");
            continue;
        }
        strings[key] = value;
    }
    header["__metadata__"] = std::move(strings);
    for (const TensorEntry& t : tensors) {
        nlohmann::ordered_json info = nlohmann::ordered_json::object();
        info["dtype"] = t.dtype;
        info["shape"] = t.shape;
        info["data_offsets"] = {t.begin, t.end};
        header[t.name] = std::move(info);
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const nlohmann::json::exception& e) {
        fail(aigc::detail::concat("save_safetensors: a tensor name or metadata string is not valid UTF-8 (", e.what(),
                                  ")"));
    }
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
}

// A JSON value for an error message. Only flat, short values are printed in full: dump() recurses,
// and a hostile header could nest arrays millions deep or hold a 100 MB string.
inline std::string json_snippet(const nlohmann::json& value) {
    const bool flat = value.is_primitive() ||
                      (value.is_array() && value.size() <= 16 &&
                       std::all_of(value.begin(), value.end(), [](const nlohmann::json& v) { return v.is_primitive(); }));
    if (!flat) return value.is_array() ? "[...]" : "{...}";
    std::string text = value.dump();
    return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

// a * b, or nullopt on u64 overflow.
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
    std::uint64_t product;
    if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
    return product;
}

class HeaderParser {
public:
    // Messages read "<operation>: '<path>': <problem>"; data_bytes = file size - 8 - N.
    HeaderParser(const std::string& operation, std::string path, std::uint64_t data_bytes)
        : context_(operation + ": '" + path + "'"), path_(std::move(path)), data_bytes_(data_bytes) {}

    // 'c' in quotes. Not "'" + std::string(1, c) + "'": GCC 12 at -O3 reports a bogus -Wrestrict on a
    // literal prepended to a temporary string (GCC bug 105329).
    static std::string quoted_char(char c) {
        std::string quoted(3, '\'');
        quoted[1] = c;
        return quoted;
    }

    SafetensorsHeader parse(std::string_view text) {
        // A JSON text that starts with '{' is an object or invalid, so this also rules out arrays etc.
        if (text.empty() || text.front() != '{')
            error("header is not a JSON object: it starts with ",
                  text.empty() ? std::string("nothing") : quoted_char(text.front()),
                  " (not a safetensors file, or a corrupt header)");
        nlohmann::json header = parse_json(text);
        SafetensorsHeader result;
        result.header_bytes = text.size();
        result.metadata = Metadata(path_);
        for (const auto& [key, value] : header.items()) {
            if (key == "__metadata__") result.metadata = parse_metadata(value);
            else result.tensors.push_back(parse_tensor(key, value));
        }
        check_layout(result.tensors);
        return result;
    }

private:
    template <class... Parts>
    [[noreturn]] void error(const Parts&... problem) const {
        fail(context_ + ": " + aigc::detail::concat(problem...));
    }

    // Parses while recording duplicate keys at every level: JSON parsers keep only the last
    // duplicate, so a second "0.weight" would silently replace the first.
    nlohmann::json parse_json(std::string_view text) const {
        std::vector<std::set<std::string>> open_objects;
        std::string duplicate;
        auto watch = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
            using Event = nlohmann::json::parse_event_t;
            if (event == Event::object_start) open_objects.emplace_back();
            else if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
            else if (event == Event::key && !open_objects.empty() && duplicate.empty() &&
                     !open_objects.back().insert(parsed.get<std::string>()).second)
                duplicate = parsed.get<std::string>();
            return true;
        };
        nlohmann::json header;
        try {
            header = nlohmann::json::parse(text.begin(), text.end(), watch);
        } catch (const nlohmann::json::exception& e) {
            error("header is not valid JSON (", e.what(), ")");
        }
        if (!duplicate.empty()) error("header has the key '" + duplicate + "' twice");
        return header;
    }

    Metadata parse_metadata(const nlohmann::json& value) const {
        if (!value.is_object()) error("__metadata__ is a JSON ", value.type_name(), ", expected an object of strings");
        Metadata metadata(path_);
        for (const auto& [key, text] : value.items()) {
            if (!text.is_string())
                error("__metadata__ entry '", key, "' is a JSON ", text.type_name(), ", expected a string");
            metadata.set(key, text.get<std::string>());
        }
        return metadata;
    }

    static index_t as_index(const nlohmann::json& v) {
        // Only exact non-negative integers that fit index_t; floats (1.5, 1e19), negatives, others: -1.
        if (v.is_number_unsigned() && v.get<std::uint64_t>() <= std::uint64_t(INT64_MAX))
            return static_cast<index_t>(v.get<std::uint64_t>());
        if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::int64_t>();
        return -1;
    }

    TensorEntry parse_tensor(const std::string& name, const nlohmann::json& info) const {
        const std::string what = "tensor '" + name + "'";
        if (!info.is_object()) error(what, " is a JSON ", info.type_name(), ", expected an object");
        for (const auto& [key, value] : info.items())
            if (key != "dtype" && key != "shape" && key != "data_offsets")
                error(what + " has an unknown field '" + key + "' (expected dtype, shape, data_offsets)");
        for (const char* field : {"dtype", "shape", "data_offsets"})
            if (!info.contains(field)) error(what + " has no '" + field + "'");

        TensorEntry entry;
        entry.name = name;
        if (!info["dtype"].is_string())
            error(what, " dtype is a JSON ", info["dtype"].type_name(), ", expected a string");
        entry.dtype = info["dtype"].get<std::string>();
        std::optional<std::uint64_t> element_bytes = safetensors_dtype_size(entry.dtype);
        if (!element_bytes) error(what + " has unknown dtype '" + entry.dtype + "'");

        const nlohmann::json& shape = info["shape"];
        if (!shape.is_array()) error(what, " shape is a JSON ", shape.type_name(), ", expected an array");
        std::uint64_t numel = 1;
        for (const nlohmann::json& dim : shape) {
            index_t d = as_index(dim);
            if (d < 0)
                error(what + " shape " + json_snippet(shape) + " has " + json_snippet(dim) + ", expected non-negative integers");
            entry.shape.push_back(d);
            auto grown = checked_mul(numel, static_cast<std::uint64_t>(d));
            if (!grown) error(what + " shape " + json_snippet(shape) + " has more elements than 2^64");
            numel = *grown;
        }

        const nlohmann::json& offsets = info["data_offsets"];
        index_t begin = offsets.is_array() && offsets.size() == 2 ? as_index(offsets[0]) : -1;
        index_t end = offsets.is_array() && offsets.size() == 2 ? as_index(offsets[1]) : -1;
        if (begin < 0 || end < 0)
            error(what + " data_offsets " + json_snippet(offsets) + " is not a pair of non-negative integers");
        if (end < begin) error(what, " data_offsets [", begin, ", ", end, "] ends before it begins");
        entry.begin = static_cast<std::uint64_t>(begin);
        entry.end = static_cast<std::uint64_t>(end);

        auto bytes = checked_mul(numel, *element_bytes);
        if (!bytes || *bytes != entry.end - entry.begin)
            error(what, " data_offsets [", begin, ", ", end, "] hold ", entry.end - entry.begin, " bytes, but dtype ",
                  entry.dtype, " shape ", entry.shape_str(), " needs ",
                  bytes ? std::to_string(*bytes) : std::string("more than 2^64"));
        return entry;
    }

    // Sorted by offset, each tensor must start exactly where the previous one ended.
    void check_layout(std::vector<TensorEntry>& tensors) const {
        std::stable_sort(tensors.begin(), tensors.end(), [](const TensorEntry& a, const TensorEntry& b) {
            return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
        });
        std::uint64_t expected_begin = 0;
        const TensorEntry* previous = nullptr;
        for (const TensorEntry& t : tensors) {
            if (t.begin > expected_begin)
                error("tensor '", t.name, "' data starts at byte ", t.begin, " but ",
                      previous ? "'" + previous->name + "' ends" : std::string("the data begins"), " at byte ",
                      expected_begin, ": a hole in the data");
            if (t.begin < expected_begin)
                error("tensor '", t.name, "' data [", t.begin, ", ", t.end, ") overlaps '", previous->name, "' [",
                      previous->begin, ", ", previous->end, ")");
            expected_begin = t.end;
            previous = &t;
        }
        if (expected_begin > data_bytes_)
            error("file is truncated: the tensor data needs ", expected_begin,
                  " bytes after the header but the file has ", data_bytes_);
        if (expected_begin < data_bytes_)
            error("file has ", data_bytes_ - expected_begin,
                  " trailing bytes after the last tensor's data (data ends at byte ", expected_begin, " of ",
                  data_bytes_, ")");
    }

    std::string context_;
    std::string path_;
    std::uint64_t data_bytes_;
};

AIGC_INLINE SafetensorsHeader parse_safetensors_header(std::string_view text, const std::string& operation,
                                                       const std::string& path, std::uint64_t data_bytes) {
    return HeaderParser(operation, path, data_bytes).parse(text);
}

}  // namespace detail
}  // namespace aigc::io
