#pragma once
// The CPU backend's worker threads. A kernel splits its work into a list of chunks and
// parallel_for hands them out one at a time: the calling thread takes chunks too, and a worker
// that the OS has not scheduled yet simply gets none. That matters on a small shared machine,
// where a fixed split per thread (OpenMP's static schedule) makes a loaded core stall the whole
// kernel. Whether results depend on the thread count is up to the kernel's split (kernels.hpp).
//
// One 64-bit word carries the job: generation (32 bits) | chunk count (16) | next chunk (16).
// Claiming a chunk is a compare-and-swap on that word, so a worker that read a stale job fails
// its claim instead of running a chunk that belongs to another call; a successful claim proves
// the job is still in flight (its caller waits for every chunk), so its function is still alive.
//
// When other processes keep the cores busy, kernels run on the calling thread alone for a while
// (contention.hpp): waiting for a descheduled worker costs more than the worker saves.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include "simd_headers.hpp"
#endif

#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "contention.hpp"

namespace aigc::detail {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Cores this process may run on (the affinity mask, so `taskset -c 0` means one).
inline int available_cores() {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
    return std::max(1u, std::thread::hardware_concurrency());
}

class ThreadPool {
public:
    static constexpr index_t max_chunks = 0xFFFF;

    // Process-wide and never destroyed: workers sleep in a futex wait and end with the process.
    static ThreadPool& instance() {
        static ThreadPool* pool = new ThreadPool(available_cores());
        return *pool;
    }

    // Threads that run chunks, the calling thread included.
    int threads() const { return static_cast<int>(workers_.size()) + 1; }

    // Whether kernels now run on the calling thread alone because other processes keep the cores
    // busy (contention.hpp), and how many such periods there have been.
    bool serial_now() const { return contention_.serial(now()); }
    std::int64_t contention_trips() const { return contention_.trips(); }
    // The detector itself, for tests that trip it (serial kernels must give the same bits).
    ContentionGuard& contention() { return contention_; }
    static std::int64_t now() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    // Call between kernels (not from inside one).
    void resize(int threads) {
        std::lock_guard<std::mutex> lock(busy_);
        stop_workers();
        start_workers(threads - 1);
    }

    // f(chunk) for every chunk in [0, chunks), on this thread and the workers; returns when all
    // are done. The first exception a chunk throws is rethrown here (after every chunk ran).
    template <class F>
    void parallel_for(index_t chunks, F&& f) {
        // One non-template function and a trampoline: a program has dozens of kernel lambdas, and
        // a copy of the scheduling code for each (or an inlined serial copy of the kernel's body
        // beside the trampoline's) cost compile time; an indirect call per chunk costs nothing.
        using Fn = std::remove_reference_t<F>;
        run(chunks, [](void* ctx, index_t c) { (*static_cast<Fn*>(ctx))(c); }, static_cast<void*>(std::addressof(f)));
    }

private:
    using Task = void (*)(void* context, index_t chunk);

    void run(index_t chunks, Task task, void* context) {
        AIGC_CHECK(chunks >= 0 && chunks <= max_chunks, "parallel_for: ", chunks, " chunks, at most ", max_chunks);
        if (chunks == 0) return;
        // Serial when there is nothing to share, when called from inside a chunk (nested kernels),
        // while other processes keep the cores busy, or when another thread's kernel holds the workers.
        if (chunks == 1 || workers_.empty() || inside_chunk() || contention_.serial(now()) || !busy_.try_lock()) {
            for (index_t c = 0; c < chunks; ++c) task(context, c);
            return;
        }
        std::lock_guard<std::mutex> lock(busy_, std::adopt_lock);
        task_.store(task, std::memory_order_relaxed);
        context_.store(context, std::memory_order_relaxed);
        done_.store(0, std::memory_order_relaxed);
        error_ = nullptr;
        generation_ = (generation_ + 1) & 0xFFFFFFFFu;
        std::uint64_t job = (generation_ << 32) | (static_cast<std::uint64_t>(chunks) << 16);
        state_.store(job, std::memory_order_release);
        // Only ever incremented (stop_workers too): a stored generation could take the word back to
        // a value a sleeping worker already saw, and it would sleep through the next wake-up.
        signal_.fetch_add(1);
        if (sleepers_.load() > 0) signal_.notify_all();
        std::int64_t start = now();
        work();
        std::int64_t own_done = now();
        if (done_.load(std::memory_order_acquire) != chunks) {
            for (int spins = 0; done_.load(std::memory_order_acquire) != chunks; ++spins) {
                if (spins < 4096) cpu_relax();
                else std::this_thread::yield();  // a worker holding a chunk was preempted: let it run
            }
            std::int64_t end = now();
            contention_.record(own_done - start, end - own_done, end);
        }
        if (error_) std::rethrow_exception(error_);
    }

    explicit ThreadPool(int threads) { start_workers(threads - 1); }

    static bool& inside_chunk() {
        thread_local bool inside = false;
        return inside;
    }

    // Claims and runs chunks of the job in `state_` until none is left.
    void work() {
        bool& inside = inside_chunk();
        std::uint64_t s = state_.load(std::memory_order_acquire);
        for (;;) {
            std::uint64_t chunks = (s >> 16) & 0xFFFF, next = s & 0xFFFF;
            if (next >= chunks) return;
            if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;  // s now holds the current word: retry (or stop if it is another job)
            auto task = task_.load(std::memory_order_relaxed);
            void* context = context_.load(std::memory_order_relaxed);
            inside = true;
            try {
                task(context, static_cast<index_t>(next));
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex_);
                if (!error_) error_ = std::current_exception();
            }
            inside = false;
            done_.fetch_add(1, std::memory_order_release);
            s = state_.load(std::memory_order_acquire);
        }
    }

    // Spins briefly (kernels of one training step come back to back), then sleeps on a futex.
    void worker_loop() {
        std::uint32_t seen = signal_.load();
        while (!stop_.load(std::memory_order_relaxed)) {
            for (int spins = 0; signal_.load(std::memory_order_acquire) == seen && spins < spin_limit; ++spins)
                cpu_relax();
            if (signal_.load() == seen) {
                sleepers_.fetch_add(1);
                signal_.wait(seen);
                sleepers_.fetch_sub(1);
            }
            seen = signal_.load();
            if (stop_.load(std::memory_order_relaxed)) return;
            work();
        }
    }

    void start_workers(int count) {
        stop_.store(false);
        for (int i = 0; i < count; ++i) workers_.emplace_back([this] { worker_loop(); });
    }
    void stop_workers() {
        stop_.store(true);
        signal_.fetch_add(1);
        signal_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
    }

    static constexpr int spin_limit = 20000;  // about 0.1-0.5 ms of pause instructions

    std::mutex busy_;         // held by the thread whose kernel owns the workers
    std::mutex error_mutex_;
    std::vector<std::thread> workers_;
    std::uint64_t generation_ = 0;
    alignas(64) std::atomic<std::uint64_t> state_{0};
    alignas(64) std::atomic<index_t> done_{0};
    alignas(64) std::atomic<std::uint32_t> signal_{0};
    std::atomic<int> sleepers_{0};
    std::atomic<bool> stop_{false};
    std::atomic<Task> task_{nullptr};
    std::atomic<void*> context_{nullptr};
    std::exception_ptr error_;
    ContentionGuard contention_;
};

}  // namespace aigc::detail
