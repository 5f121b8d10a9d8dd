#pragma once
// The safetensors header: how it is built for writing and how it is checked when read.
//
// File layout (safetensors README and safetensors/src/tensor.rs):
//   8 bytes   N, u64 little-endian
//   N bytes   JSON object starting with '{', padded with spaces to a multiple of 8:
//             {"__metadata__": {"format": "pt", ...strings}, "<name>": {"dtype": "F32",
//              "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   the rest  tensor data, little-endian, row-major; offsets are relative to the data start
// A valid file satisfies: N <= 100 MB; sorted by begin, the offsets are contiguous from 0 (no holes,
// no overlaps); end - begin == numel * dtype size; 8 + N + last end == file size.
// The JSON work is in safetensors_header_impl.hpp (nlohmann/json), compiled once in compiled mode.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/compiled.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "metadata.hpp"

namespace aigc::io {

inline constexpr std::uint64_t safetensors_max_header_bytes = 100'000'000;

// Element size in bytes of every whole-byte dtype the format defines; nullopt for unknown names.
// Files with dtypes aigc cannot load still get their offsets checked, and the error names the dtype.
inline std::optional<std::uint64_t> safetensors_dtype_size(std::string_view dtype) {
    struct Entry {
        std::string_view name;
        std::uint64_t size;
    };
    static constexpr Entry table[] = {{"BOOL", 1},    {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
                                      {"F8_E8M0", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},     {"BF16", 2},
                                      {"I32", 4},     {"U32", 4}, {"F32", 4}, {"F64", 8},     {"I64", 8},
                                      {"U64", 8},     {"C64", 8}};
    for (const Entry& e : table)
        if (e.name == dtype) return e.size;
    return std::nullopt;
}

template <class T>
constexpr std::string_view safetensors_dtype_of() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "safetensors: aigc stores float or double");
    return std::is_same_v<T, float> ? "F32" : "F64";
}

// One tensor as the header describes it.
struct TensorEntry {
    std::string name;
    std::string dtype;
    std::vector<index_t> shape;
    std::uint64_t begin = 0;  // byte offsets relative to the data start
    std::uint64_t end = 0;

    std::string shape_str() const {
        std::string text = "[";
        for (std::size_t i = 0; i < shape.size(); ++i) {
            if (i) text += ", ";
            text += std::to_string(shape[i]);
        }
        return text + "]";
    }
};

struct SafetensorsHeader {
    std::uint64_t header_bytes = 0;    // N
    std::vector<TensorEntry> tensors;  // in data order (by begin offset)
    Metadata metadata;

    const TensorEntry* find(std::string_view name) const {
        for (const TensorEntry& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

namespace detail {

// The header bytes for the given entries (in the order given), padded with spaces to a multiple of
// 8 so the data that follows the 8-byte length starts 8-byte aligned.
std::string build_safetensors_header(const std::vector<TensorEntry>& tensors, const Metadata& metadata);

// The checked header of the file at path, whose N header bytes are text and which holds data_bytes
// (file size - 8 - N) after them; every problem is an aigc::Error reading
// "<operation>: '<path>': <problem>".
SafetensorsHeader parse_safetensors_header(std::string_view text, const std::string& operation,
                                           const std::string& path, std::uint64_t data_bytes);

}  // namespace detail
}  // namespace aigc::io

#if !defined(AIGC_COMPILED)
#include "safetensors_header_impl.hpp"
#endif
