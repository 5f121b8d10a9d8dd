#pragma once
// PNG encoding with stb_image_write (Debian's libstb-dev), made safe for a header-only library.
// Included by png.hpp in header-only use, and once by src/io.cpp in compiled mode (AIGC_INLINE).
//
// Two things could go wrong with a header that compiles stb's implementation:
// 1. Link clashes: stb's functions would be defined in every translation unit (TU) that includes
//    us, and would collide with a user's own STB_IMAGE_WRITE_IMPLEMENTATION. So stb is compiled
//    with STB_IMAGE_WRITE_STATIC inside an unnamed namespace of our own: every symbol is local to
//    its TU and lives in aigc::io::detail::<unnamed>, never in the global namespace. The stb
//    configuration macros are saved and restored around the include (push_macro/pop_macro), so a
//    user may include <stb/stb_image_write.h> before or after us, with or without the implementation.
// 2. The one-definition rule: an inline function with external linkage (our public encode_png)
//    must not name a TU-local function, or its definitions differ between TUs (undefined
//    behaviour, no diagnostic required). So encode_png never names stb: it calls through a function
//    pointer held by an inline (single, program-wide) slot, which each TU's static initialiser fills
//    with its own, identical, TU-local encoder. Initialisation within a TU runs in order, so the
//    slot is filled before any code after this header in that TU can run.
#include <cassert>
#include <cstdint>
#include <filesystem>
#include <vector>

// stb's implementation includes these; including them first, at global scope, makes its own
// #includes no-ops inside our namespace (their include guards are already set).
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../core/compiled.hpp"
#include "../core/error.hpp"
#include "atomic_file.hpp"
#include "png.hpp"

#pragma push_macro("INCLUDE_STB_IMAGE_WRITE_H")
#pragma push_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#pragma push_macro("STB_IMAGE_WRITE_STATIC")
#pragma push_macro("STBIWDEF")
#pragma push_macro("STBI_WRITE_NO_STDIO")
#pragma push_macro("STBIW_ASSERT")
#pragma push_macro("STBIW_MALLOC")
#pragma push_macro("STBIW_REALLOC")
#pragma push_macro("STBIW_REALLOC_SIZED")
#pragma push_macro("STBIW_FREE")
#pragma push_macro("STBIW_MEMMOVE")
#pragma push_macro("STBIW_ZLIB_COMPRESS")
#pragma push_macro("STBIW_CRC32")
#pragma push_macro("STBIW_WINDOWS_UTF8")
#undef INCLUDE_STB_IMAGE_WRITE_H
#undef STBIW_MALLOC
#undef STBIW_REALLOC
#undef STBIW_REALLOC_SIZED
#undef STBIW_FREE
#undef STBIW_MEMMOVE
#undef STBIW_ZLIB_COMPRESS
#undef STBIW_CRC32
#undef STBIW_WINDOWS_UTF8
#undef STBIWDEF
#undef STBIW_ASSERT
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_STATIC
#undef STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO     // no FILE* API: we write the bytes ourselves, atomically
#define STBIWDEF static inline  // stb's advice when STATIC alone warns about unused functions
#define STBIW_ASSERT(x) assert(x)

namespace aigc::io::detail {
namespace {
// stb calls abs() on ints unqualified; from in here that would find aigc::abs (a Var op) first
// and never look further out.
using ::abs;
#if __has_include(<stb/stb_image_write.h>)
#include <stb/stb_image_write.h>
#else
#include <stb_image_write.h>
#endif
}  // namespace
}  // namespace aigc::io::detail

// Undefine ours first: GCC's pop_macro does not undefine a macro that was undefined when pushed.
#undef INCLUDE_STB_IMAGE_WRITE_H
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_STATIC
#undef STBIWDEF
#undef STBI_WRITE_NO_STDIO
#undef STBIW_ASSERT
#undef STBIW_MALLOC
#undef STBIW_REALLOC
#undef STBIW_REALLOC_SIZED
#undef STBIW_FREE
#undef STBIW_MEMMOVE
#undef STBIW_ZLIB_COMPRESS
#undef STBIW_CRC32
#undef STBIW_WINDOWS_UTF8
#pragma pop_macro("INCLUDE_STB_IMAGE_WRITE_H")
#pragma pop_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#pragma pop_macro("STB_IMAGE_WRITE_STATIC")
#pragma pop_macro("STBIWDEF")
#pragma pop_macro("STBI_WRITE_NO_STDIO")
#pragma pop_macro("STBIW_ASSERT")
#pragma pop_macro("STBIW_MALLOC")
#pragma pop_macro("STBIW_REALLOC")
#pragma pop_macro("STBIW_REALLOC_SIZED")
#pragma pop_macro("STBIW_FREE")
#pragma pop_macro("STBIW_MEMMOVE")
#pragma pop_macro("STBIW_ZLIB_COMPRESS")
#pragma pop_macro("STBIW_CRC32")
#pragma pop_macro("STBIW_WINDOWS_UTF8")

namespace aigc::io {

namespace detail {

// Returns false when stb fails (it reports no reason; in practice an allocation failure).
using PngEncoder = bool (*)(const GrayImage& image, std::vector<unsigned char>& png);

inline PngEncoder& png_encoder_slot() {
    static PngEncoder encoder = nullptr;
    return encoder;
}

namespace {
bool encode_png_with_stb(const GrayImage& image, std::vector<unsigned char>& png) {
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<unsigned char>*>(context);
        const auto* bytes = static_cast<const unsigned char*>(data);
        out->insert(out->end(), bytes, bytes + size);
    };
    return stbi_write_png_to_func(append, &png, image.width, image.height, 1, image.pixels.data(), image.width) != 0;
}
[[maybe_unused]] const bool png_encoder_registered = (png_encoder_slot() = &encode_png_with_stb, true);
}  // namespace

}  // namespace detail

AIGC_INLINE std::vector<unsigned char> encode_png(const GrayImage& image) {
    AIGC_CHECK(image.width > 0 && image.height > 0, "encode_png: image is ", image.width, "x", image.height,
               ", expected a positive width and height");
    AIGC_CHECK(image.pixels.size() == static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height),
               "encode_png: a ", image.width, "x", image.height, " image needs ",
               static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height), " pixels, given ",
               image.pixels.size());
    std::vector<unsigned char> png;
    AIGC_CHECK(detail::png_encoder_slot()(image, png), "encode_png: stb_image_write failed to encode a ", image.width,
               "x", image.height, " image (out of memory?)");
    return png;
}

AIGC_INLINE void write_png(const std::filesystem::path& path, const GrayImage& image) {
    std::vector<unsigned char> png = encode_png(image);
    AtomicFile file(path, "write_png");
    file.write(png.data(), png.size());
    file.commit();
}

}  // namespace aigc::io
