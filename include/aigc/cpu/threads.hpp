#pragma once
// CPU thread count: set_num_threads(), else AIGC_NUM_THREADS from the environment (capped to the
// cores), else every core this process may run on. The kernels share their work through our own pool
// (thread_pool.hpp); aigc does not use OpenMP. Eigen threads its GEMM only under OpenMP, so it is
// single-threaded here, and setNbThreads(1) keeps it so in a program that enables OpenMP for its
// own reasons: Eigen threads inside pool chunks would put n^2 threads on n cores.
#include <cstdlib>
#include <iostream>
#include <string>

#include "simd_headers.hpp"

#include "../core/error.hpp"
#include "thread_pool.hpp"

namespace aigc {

namespace detail {
// The pool, with AIGC_NUM_THREADS applied once before its first use (unless set_num_threads came first).
inline ThreadPool& cpu_pool();
// Set by set_num_threads: a count the program chose wins over the environment, which is then not
// even parsed (a bad AIGC_NUM_THREADS must not stop a program that says --threads).
inline bool& thread_count_chosen() {
    static bool chosen = false;
    return chosen;
}
}  // namespace detail

// Exactly `threads` (results are the same for any count; more than the cores only costs time).
inline void set_num_threads(int threads) {
    AIGC_CHECK(threads >= 1, "set_num_threads: need at least 1 thread, got ", threads);
    detail::thread_count_chosen() = true;
    Eigen::setNbThreads(1);
    detail::cpu_pool().resize(threads);
}

inline int num_threads() { return detail::cpu_pool().threads(); }

// What a program should run with when a user asks for `requested` threads: no more than the cores
// this process may use. More threads than cores only wait for each other (4096 threads made 20 GAN
// steps take 248 s instead of 1 s on 2 cores), so the count is capped and `note` says so.
inline int usable_threads(long requested, const char* source, std::ostream& note = std::cerr) {
    const int cores = detail::available_cores();
    if (requested <= cores) return static_cast<int>(requested);
    note << "note: " << source << " asks for " << requested << " threads, more than the " << cores
         << " cores this process may use; using " << cores << "\n";
    return cores;
}

namespace detail {
// Applied once, before the first kernel runs, so the environment wins over the default.
inline bool apply_thread_env() {
    if (const char* env = std::getenv("AIGC_NUM_THREADS"); env && !thread_count_chosen()) {
        char* end = nullptr;
        long threads = std::strtol(env, &end, 10);
        AIGC_CHECK(end != env && *end == '\0' && threads >= 1 && threads <= 4096,
                   "AIGC_NUM_THREADS: expected a positive integer up to 4096, got '", env, "'");
        ThreadPool::instance().resize(usable_threads(threads, "AIGC_NUM_THREADS"));
    }
    Eigen::setNbThreads(1);
    return true;
}
inline void ensure_thread_env() { static const bool applied = apply_thread_env(); (void)applied; }

inline ThreadPool& cpu_pool() {
    ensure_thread_env();
    return ThreadPool::instance();
}

// Runs f(begin, end) over [0, n) in pieces of `grain` elements (the last one shorter).
template <class F>
void parallel_ranges(index_t n, index_t grain, F&& f) {
    index_t chunks = (n + grain - 1) / grain;
    if (chunks > ThreadPool::max_chunks) {  // keep the chunk count in range: widen the grain
        grain = (n + ThreadPool::max_chunks - 1) / ThreadPool::max_chunks;
        chunks = (n + grain - 1) / grain;
    }
    cpu_pool().parallel_for(chunks, [&](index_t c) { f(c * grain, std::min(n, (c + 1) * grain)); });
}
}  // namespace detail

}  // namespace aigc
