#pragma once
// Metadata: the string-to-string map a safetensors file keeps under "__metadata__". A training
// checkpoint stores small exact values here (epoch, step, generator seed and offset: u64 values
// that a float tensor could not hold exactly); numbers are written with std::to_chars, which gives
// the shortest text that parses back to the same value, so a double survives the round trip.
#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <system_error>
#include <type_traits>

#include "../core/error.hpp"

namespace aigc::io {

template <class V>
concept MetadataNumber = (std::is_integral_v<V> || std::is_floating_point_v<V>) && !std::is_same_v<V, bool>;

class Metadata {
public:
    Metadata() = default;
    // source names where the entries came from (a file), so lookup errors can say which file.
    explicit Metadata(std::string source) : source_(std::move(source)) {}

    void set(const std::string& key, std::string value) { entries_[key] = std::move(value); }
    void set(const std::string& key, const char* value) { entries_[key] = value; }
    template <MetadataNumber V>
    void set(const std::string& key, V value) {
        char text[64];
        auto [end, code] = std::to_chars(text, text + sizeof(text), value);
        AIGC_CHECK(code == std::errc(), "Metadata::set: cannot format the value of '", key, "'");
        entries_[key] = std::string(text, end);
    }

    bool contains(const std::string& key) const { return entries_.count(key) != 0; }
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    const std::map<std::string, std::string>& entries() const { return entries_; }
    const std::string& source() const { return source_; }

    const std::string& get(const std::string& key) const {
        auto found = entries_.find(key);
        if (found == entries_.end())
            fail(aigc::detail::concat("Metadata::get: ", where(), "no entry '", key, "' (has: ", key_list(), ")"));
        return found->second;
    }
    // The whole text must parse as a V in range, e.g. get_as<std::uint64_t>("generator.offset").
    template <MetadataNumber V>
    V get_as(const std::string& key) const {
        const std::string& text = get(key);
        V value{};
        auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), value);
        AIGC_CHECK(code == std::errc() && end == text.data() + text.size(), "Metadata::get_as: ", where(), "entry '",
                   key, "' = '", text, "' is not a ", type_name<V>(),
                   code == std::errc::result_out_of_range ? " (out of range)" : "");
        return value;
    }

    bool operator==(const Metadata& other) const { return entries_ == other.entries_; }

private:
    std::string where() const { return source_.empty() ? std::string() : "'" + source_ + "': "; }
    std::string key_list() const {
        std::string keys;
        for (const auto& [key, value] : entries_) {
            if (!keys.empty()) keys += ", ";
            keys += key;
        }
        return keys.empty() ? "no entries" : keys;
    }
    template <class V>
    static const char* type_name() {
        if constexpr (std::is_floating_point_v<V>) return "floating-point number";
        else if constexpr (std::is_signed_v<V>) return "signed integer";
        else return "non-negative integer";
    }

    std::map<std::string, std::string> entries_;
    std::string source_;
};

}  // namespace aigc::io
