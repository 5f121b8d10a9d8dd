#pragma once
// Graceful stop: while a StopSignals object lives, SIGINT and SIGTERM only set a flag. The epoch
// loop looks at it after every step, finishes the epoch's bookkeeping as --max-steps does (metrics
// row, images, events, an atomic checkpoint), prints the command that resumes, and the program
// exits with 128 + the signal (130, 143). A second signal restores the default action and
// re-raises it: the process ends at once, and the last checkpoint stays whatever it was.
#include <atomic>
#include <csignal>
#include <string>

namespace examples {

class StopSignals {
public:
    StopSignals() {
        received_ = 0;
        previous_int_ = std::signal(SIGINT, handle);
        previous_term_ = std::signal(SIGTERM, handle);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;
    ~StopSignals() {
        std::signal(SIGINT, previous_int_);
        std::signal(SIGTERM, previous_term_);
    }
    // The signal that asked for a stop, or 0.
    static int received() { return received_; }
    static const char* name(int signal) { return signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal"; }

private:
    // Only async-signal-safe work here: a lock-free atomic exchange, signal() and raise().
    static void handle(int signal) {
        if (received_.exchange(signal) != 0) {
            std::signal(signal, SIG_DFL);
            std::raise(signal);
        }
    }
    static_assert(std::atomic<int>::is_always_lock_free);
    static inline std::atomic<int> received_{0};
    void (*previous_int_)(int) = SIG_DFL;
    void (*previous_term_)(int) = SIG_DFL;
};

// Thrown by the epoch loop after a graceful stop has saved everything; examples::run turns it into
// exit status 128 + signal.
struct StoppedBySignal {
    int signal;
};

}  // namespace examples
