#pragma once
// When the machine is shared with other busy processes, the thread pool runs kernels on the
// calling thread alone for a while.
//
// Why: a kernel split across threads finishes when its last chunk does. A worker the OS has
// descheduled while holding a chunk stalls the caller until the worker's next time slice --
// milliseconds, against kernels of tens of microseconds -- so beside one other CPU-bound process
// the GAN step took 21 ms on two threads and 19 ms on one (scripts/bench.sh --contention).
// Claiming chunks one at a time (thread_pool.hpp) keeps a late worker from holding many, but
// cannot take back the one it holds.
//
// The pool reports, after every parallel kernel, how long the caller ran chunks and how long it
// then waited for the others. A wait longer than both the caller's own share and ordinary load
// imbalance is a stall; a few stalls close together mean the cores are taken, and kernels run
// serially for a period, then parallel again to look. Periods that trip again at once double (up
// to a cap), so a lasting load costs few probes. Results do not change: kernels cut their work
// into chunks independently of who runs them, so a serial kernel gives the same bits.
#include <algorithm>
#include <atomic>
#include <cstdint>

namespace aigc::detail {

class ContentionGuard {
public:
    using Nanoseconds = std::int64_t;
    static constexpr Nanoseconds stall_min = 200'000;         // shorter waits are load imbalance
    static constexpr int stalls_to_trip = 3;                  // stalls within `window` ...
    static constexpr Nanoseconds window = 50'000'000;         // ... that mean the cores are taken
    static constexpr Nanoseconds first_period = 100'000'000;  // serial for this long, then look again
    static constexpr Nanoseconds max_period = 1'600'000'000;

    // Whether kernels should run on the calling thread alone at time `now` (any thread may ask).
    bool serial(Nanoseconds now) const { return now < serial_until_.load(std::memory_order_relaxed); }

    // After a parallel kernel (by the thread that ran it; calls are serialised by the pool): the
    // caller spent `own` running chunks, then `wait` until the other threads finished theirs.
    void record(Nanoseconds own, Nanoseconds wait, Nanoseconds now) {
        if (wait < stall_min || wait < own) return;
        if (now - window_start_ > window) {
            window_start_ = now;
            stalls_ = 0;
        }
        if (++stalls_ < stalls_to_trip) return;
        // Tripping again soon after the last serial period ended: the load is lasting.
        Nanoseconds last_end = serial_until_.load(std::memory_order_relaxed);
        period_ = trips_ > 0 && now - last_end < 2 * period_ ? std::min(2 * period_, max_period) : first_period;
        serial_until_.store(now + period_, std::memory_order_relaxed);
        stalls_ = 0;
        window_start_ = now;
        ++trips_;
    }

    // Back to the parallel state with no stalls seen (tests leave no serial period behind).
    void clear() {
        serial_until_.store(0, std::memory_order_relaxed);
        window_start_ = 0;
        period_ = first_period;
        stalls_ = 0;
    }

    std::int64_t trips() const { return trips_; }          // serial periods so far
    Nanoseconds current_period() const { return period_; }  // length of the latest one

private:
    std::atomic<Nanoseconds> serial_until_{0};
    Nanoseconds window_start_ = 0;
    Nanoseconds period_ = first_period;
    int stalls_ = 0;
    std::int64_t trips_ = 0;
};

}  // namespace aigc::detail
