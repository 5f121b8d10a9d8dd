#pragma once
// Compiled mode. aigc is header-only by default; the optional CMake target aigc::compiled (src/)
// holds explicit instantiations for T = float and double on the CPU of the tensor, the autograd
// ops and losses, the layers, the optimizers and the models. A program linked to it gets
// AIGC_COMPILED defined, and each layer's umbrella header then declares those instantiations
// `extern`, so the program's translation units skip instantiating, optimising and emitting them:
// the bulk of a training program's compile time (the README program: ~6 s -> ~3 s of CPU).
//
// Each layer lists its instantiations once, as a macro LIST(EXTERN, T) beside its umbrella
// header; src/ expands it with EXTERN empty (definitions), AIGC_EXTERN_INSTANTIATIONS with
// EXTERN = extern (declarations). Only non-inline templates gain: GCC instantiates an inline
// function for inlining even when it is declared extern, so the heavy members of the listed
// classes are defined out of their class body.
#if defined(AIGC_COMPILED)
#define AIGC_EXTERN_INSTANTIATIONS(LIST) \
    namespace aigc {                     \
    LIST(extern, float)                  \
    LIST(extern, double)                 \
    }
#else
#define AIGC_EXTERN_INSTANTIATIONS(LIST)
#endif

// Non-template code (the safetensors JSON header, PNG encoding, IDX files) is declared in its
// header and defined in a companion *_impl.hpp. Header-only, the header includes its companion
// and AIGC_INLINE is `inline`; in compiled mode src/io.cpp includes the companions once with
// AIGC_INLINE empty, and a program's translation units see declarations only: they never parse
// nlohmann/json or stb_image_write (about 2 s of CPU each).
#if defined(AIGC_COMPILED)
#define AIGC_INLINE
#else
#define AIGC_INLINE inline
#endif
