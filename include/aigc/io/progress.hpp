#pragma once
// ProgressBar: one self-overwriting line on stderr per epoch,
//   epoch 3/10 [#########...........]  412/938  d_loss 0.6931  g_loss 0.7012  1523 samples/s  ETA 0:21
// redrawn at most every min_interval_s seconds (drawing every step would cost more than a small
// step). It switches itself off when the stream is not a terminal, so logs and CI output get no
// carriage-return noise; the trainers print their per-epoch summary lines separately.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/shape.hpp"

namespace aigc::io {

enum class ProgressMode {
    automatic,  // on only when the stream is a terminal (isatty)
    always,
    never,
};

struct ProgressOptions {
    index_t epoch = 0;  // 1-based; 0 leaves the epoch out
    index_t epochs = 0;
    index_t steps = 0;  // steps in this epoch
    ProgressMode mode = ProgressMode::automatic;
    double min_interval_s = 0.1;
    int bar_width = 24;
    std::FILE* stream = stderr;
};

using ProgressValues = std::vector<std::pair<std::string, double>>;

namespace detail {
inline std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    auto total = static_cast<long long>(std::llround(seconds));
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    else std::snprintf(text, sizeof(text), "%lld:%02lld", total / 60, total % 60);
    return text;
}
}  // namespace detail

// The line for `step` of options.steps done, `samples` processed, `elapsed_s` seconds since the start.
// samples/s = samples / elapsed; ETA = elapsed / step * (steps - step).
inline std::string format_progress_line(const ProgressOptions& options, index_t step, index_t samples, double elapsed_s,
                                        const ProgressValues& values) {
    std::string line;
    char text[64];
    if (options.epoch > 0) {
        line += "epoch " + std::to_string(options.epoch);
        if (options.epochs > 0) line += "/" + std::to_string(options.epochs);
        line += " ";
    }
    const double done = options.steps > 0 ? std::clamp(double(step) / double(options.steps), 0.0, 1.0) : 0.0;
    const int filled = static_cast<int>(done * options.bar_width);
    line += "[" + std::string(filled, '#') + std::string(options.bar_width - filled, '.') + "] ";
    std::snprintf(text, sizeof(text), "%*lld/%lld", static_cast<int>(std::to_string(options.steps).size()),
                  static_cast<long long>(step), static_cast<long long>(options.steps));
    line += text;
    for (const auto& [name, value] : values) {
        std::snprintf(text, sizeof(text), " %.4f", value);
        line += "  " + name + text;
    }
    if (elapsed_s > 0) {
        std::snprintf(text, sizeof(text), "  %.0f samples/s", double(samples) / elapsed_s);
        line += text;
    }
    const double eta = step > 0 && elapsed_s > 0 ? elapsed_s / double(step) * double(options.steps - step) : -1;
    line += "  ETA " + detail::format_duration(eta);
    return line;
}

class ProgressBar {
public:
    explicit ProgressBar(ProgressOptions options) : options_(options), start_(Clock::now()) {
        AIGC_CHECK(options_.steps >= 0 && options_.bar_width >= 0 && options_.bar_width <= 200,
                   "ProgressBar: steps must be >= 0 and bar_width in [0, 200], given steps ", options_.steps,
                   ", bar_width ", options_.bar_width);
        enabled_ = options_.stream != nullptr &&
                   (options_.mode == ProgressMode::always ||
                    (options_.mode == ProgressMode::automatic && ::isatty(::fileno(options_.stream)) == 1));
    }
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar() {
        if (drawn_ && !finished_) std::fputc('\n', options_.stream);
    }

    bool enabled() const { return enabled_; }
    int redraws() const { return redraws_; }

    // After step `step` (1-based) with `samples` processed so far in this epoch.
    void update(index_t step, index_t samples, const ProgressValues& values) {
        if (!enabled_) return;
        const auto now = Clock::now();
        const bool last = step >= options_.steps;
        if (drawn_ && !last && seconds(now - last_draw_) < options_.min_interval_s) return;
        draw(step, samples, values, now);
    }

    // The final state and a newline, so the next output starts on a fresh line.
    void finish(index_t samples, const ProgressValues& values) {
        if (!enabled_ || finished_) return;
        draw(options_.steps, samples, values, Clock::now());
        std::fputc('\n', options_.stream);
        std::fflush(options_.stream);
        finished_ = true;
    }

private:
    using Clock = std::chrono::steady_clock;
    static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

    void draw(index_t step, index_t samples, const ProgressValues& values, Clock::time_point now) {
        std::string line = format_progress_line(options_, step, samples, seconds(now - start_), values);
        // \r returns to the line start; ESC[K clears what a longer previous line left behind.
        std::fprintf(options_.stream, "\r%s\033[K", line.c_str());
        std::fflush(options_.stream);
        drawn_ = true;
        last_draw_ = now;
        ++redraws_;
    }

    ProgressOptions options_;
    Clock::time_point start_;
    Clock::time_point last_draw_{};
    bool enabled_ = false;
    bool drawn_ = false;
    bool finished_ = false;
    int redraws_ = 0;
};

}  // namespace aigc::io
