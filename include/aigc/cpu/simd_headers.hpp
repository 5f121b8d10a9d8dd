#pragma once
// Eigen and the x86 intrinsics, included once for the whole CPU backend (every cpu/ header that
// needs either includes this file instead).
//
// GCC 12's avx512fintrin.h initialises some results with the self-assignment idiom
// `__m512 __Y = __Y;` (an intentionally undefined value); once Eigen's AVX-512 exp/log are inlined
// into our element-wise maps, -Wmaybe-uninitialized (-Wuninitialized for double) reports it
// hundreds of times per program (GCC bug 105593, fixed in GCC 13). The warning is attributed to
// the lines of the intrinsics header, so it is silenced where that header is first read -- here --
// and nowhere in our own code. GCC only: clang has no -Wmaybe-uninitialized and would warn about
// the unknown option instead.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
