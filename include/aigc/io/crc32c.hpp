#pragma once
// CRC-32C (Castagnoli), the checksum of TFRecord files (TensorBoard's event files). Computed with
// the SSE4.2 crc32 instruction where the CPU has it and with a byte table otherwise; both give the
// same value (tests/test_events.cpp compares them on every length and alignment up to 100 bytes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../core/compiled.hpp"

namespace aigc::io {

// CRC-32C of [data, data + size), continuing from the CRC `crc` of the bytes before (0 to start).
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
inline std::uint32_t crc32c(std::string_view bytes) { return crc32c(bytes.data(), bytes.size()); }

// The two ways of computing it, for the tests: the table always works; the instruction only where
// crc32c_has_instruction() says so.
std::uint32_t crc32c_table(const void* data, std::size_t size, std::uint32_t crc = 0);
std::uint32_t crc32c_instruction(const void* data, std::size_t size, std::uint32_t crc = 0);
bool crc32c_has_instruction();

// TFRecord stores CRCs "masked" (rotated right by 15 bits, plus a constant), because a CRC of data
// that itself holds CRCs is weak: masking makes the stored value differ from the raw checksum.
constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
constexpr std::uint32_t unmask_crc(std::uint32_t masked) {
    const std::uint32_t rotated = masked - 0xa282ead8u;
    return (rotated >> 17) | (rotated << 15);
}

}  // namespace aigc::io

#if !defined(AIGC_COMPILED)
#include "crc32c_impl.hpp"
#endif
