#pragma once
// CRC-32C, defined: included by crc32c.hpp in header-only use, once by src/io.cpp in compiled mode.
#include <array>
#include <cstring>

#include "../core/compiled.hpp"
#include "../core/error.hpp"
#include "crc32c.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define AIGC_CRC32C_X86 1
#endif

namespace aigc::io {

namespace detail {
// Reflected Castagnoli polynomial, as the SSE4.2 instruction uses it.
constexpr std::uint32_t crc32c_polynomial = 0x82f63b78u;

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? crc32c_polynomial : 0u);
        table[byte] = crc;
    }
    return table;
}
inline constexpr std::array<std::uint32_t, 256> crc32c_bytes = make_crc32c_table();

#if defined(AIGC_CRC32C_X86)
// Only called after crc32c_has_instruction(): the target attribute lets this one function use the
// instruction without compiling the whole program for SSE4.2.
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_sse42(const unsigned char* p, std::size_t size,
                                                                    std::uint32_t crc) {
    std::uint64_t wide = ~crc;
    for (; size >= 8; p += 8, size -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);  // unaligned and strict-aliasing safe
        wide = _mm_crc32_u64(wide, word);
    }
    std::uint32_t narrow = static_cast<std::uint32_t>(wide);
    for (; size > 0; ++p, --size) narrow = _mm_crc32_u8(narrow, *p);
    return ~narrow;
}
#endif
}  // namespace detail

AIGC_INLINE std::uint32_t crc32c_table(const void* data, std::size_t size, std::uint32_t crc) {
    const auto* p = static_cast<const unsigned char*>(data);
    crc = ~crc;
    for (std::size_t i = 0; i < size; ++i) crc = (crc >> 8) ^ detail::crc32c_bytes[(crc ^ p[i]) & 0xffu];
    return ~crc;
}

AIGC_INLINE bool crc32c_has_instruction() {
#if defined(AIGC_CRC32C_X86)
    static const bool has = __builtin_cpu_supports("sse4.2");
    return has;
#else
    return false;
#endif
}

AIGC_INLINE std::uint32_t crc32c_instruction(const void* data, std::size_t size, std::uint32_t crc) {
    AIGC_CHECK(crc32c_has_instruction(), "crc32c_instruction: this CPU has no SSE4.2 crc32 instruction");
#if defined(AIGC_CRC32C_X86)
    return detail::crc32c_sse42(static_cast<const unsigned char*>(data), size, crc);
#else
    return crc32c_table(data, size, crc);
#endif
}

AIGC_INLINE std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
    return crc32c_has_instruction() ? crc32c_instruction(data, size, crc) : crc32c_table(data, size, crc);
}

}  // namespace aigc::io
