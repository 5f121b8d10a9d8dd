#pragma once
// CPU thread count: AIGC_NUM_THREADS from the environment, or set_num_threads(). Eigen's GEMM
// splits its work over these threads when the program is built with OpenMP.
#include <cstdlib>
#include <string>

#include <Eigen/Core>
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "../core/error.hpp"

namespace aigc {

inline void set_num_threads(int threads) {
    AIGC_CHECK(threads >= 1, "set_num_threads: need at least 1 thread, got ", threads);
    Eigen::setNbThreads(threads);
#if defined(_OPENMP)
    omp_set_num_threads(threads);
#endif
}

inline int num_threads() { return Eigen::nbThreads(); }

namespace detail {
// Applied once, before the first kernel runs, so the environment wins over OpenMP's default.
inline bool apply_thread_env() {
    if (const char* env = std::getenv("AIGC_NUM_THREADS")) {
        char* end = nullptr;
        long threads = std::strtol(env, &end, 10);
        AIGC_CHECK(end != env && *end == '\0' && threads >= 1 && threads <= 4096,
                   "AIGC_NUM_THREADS: expected a positive integer, got '", env, "'");
        set_num_threads(static_cast<int>(threads));
    }
    return true;
}
inline void ensure_thread_env() { static const bool applied = apply_thread_env(); (void)applied; }
}  // namespace detail

}  // namespace aigc
