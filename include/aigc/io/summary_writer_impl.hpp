#pragma once
// SummaryWriter, defined: included by summary_writer.hpp in header-only use, once by src/io.cpp in
// compiled mode.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>

#include "../core/compiled.hpp"
#include "../core/error.hpp"
#include "atomic_file.hpp"
#include "event_files.hpp"
#include "events.hpp"
#include "summary_writer.hpp"
#include "tfrecord.hpp"

namespace aigc::io {

namespace detail {
inline double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
inline std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}
// More than this waiting in memory is written at once, by the caller: memory stays bounded
// whatever the flush interval.
inline constexpr std::size_t summary_pending_limit = std::size_t{4} << 20;
}  // namespace detail

AIGC_INLINE SummaryWriter::SummaryWriter(const std::filesystem::path& log_dir, SummaryWriterOptions options)
    : flush_seconds_(options.flush_seconds) {
    AIGC_CHECK(options.flush_seconds > 0 && options.flush_seconds <= 3600, "SummaryWriter: flush_seconds must be in (0, 3600], given ",
               options.flush_seconds);
    std::error_code code;
    std::filesystem::create_directories(log_dir, code);
    AIGC_CHECK(!code, "SummaryWriter: cannot create the folder '", log_dir.string(), "': ", code.message());
    if (options.purge_step) purge_events_from(log_dir, *options.purge_step);

    // PyTorch's name; a second writer in the same second gets ".1", ".2", ... (sorted after the
    // first, as TensorBoard reads a run's files in name order).
    const std::string base = "events.out.tfevents." + std::to_string(static_cast<long long>(detail::wall_seconds())) + "." +
                             detail::host_name();
    for (int attempt = 0; attempt < 1000 && fd_ < 0; ++attempt) {
        path_ = log_dir / (attempt == 0 ? base : base + "." + std::to_string(attempt));
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
        if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) fail(aigc::detail::concat("SummaryWriter: cannot create '", path_.string(), "': ", detail::errno_text(errno)));

    pending_ = frame_tfrecord(events::file_version(detail::wall_seconds()));
    if (options.purge_step) pending_ += frame_tfrecord(events::session_start(detail::wall_seconds(), *options.purge_step));
    {
        std::lock_guard file_lock(file_mutex_);
        write_pending();  // the file is a valid events file from the start
    }
    if (!error_.empty()) {  // no destructor runs for a constructor that throws
        ::close(fd_);
        fail(error_);
    }
    flusher_ = std::thread([this] { flush_loop(); });
}

AIGC_INLINE SummaryWriter::~SummaryWriter() {
    {
        std::lock_guard lock(buffer_mutex_);
        if (closed_) return;  // close() has run and thrown whatever went wrong
    }
    try {
        close();
    } catch (const std::exception& e) {
        std::cerr << "aigc: error: " << e.what() << "\n";
    }
}

AIGC_INLINE void SummaryWriter::throw_if_failed() {
    std::lock_guard lock(buffer_mutex_);
    if (!error_.empty()) fail(error_);
}

AIGC_INLINE void SummaryWriter::append(const std::string& event) {
    std::string record = frame_tfrecord(event);
    bool write_now = false;
    {
        std::lock_guard lock(buffer_mutex_);
        if (!error_.empty()) fail(error_);
        AIGC_CHECK(!closed_, "SummaryWriter: '", path_.string(), "' is closed");
        pending_ += record;
        write_now = pending_.size() > detail::summary_pending_limit;
    }
    if (write_now) flush();
}

// Takes everything pending and appends it. A failed or short write is cut back to the last whole
// record, so the file never holds half a record followed by more records.
AIGC_INLINE void SummaryWriter::write_pending() {
    std::string batch;
    {
        std::lock_guard lock(buffer_mutex_);
        if (!error_.empty() || fd_ < 0) return;
        batch.swap(pending_);
    }
    if (batch.empty()) return;
    const int code = detail::write_all(fd_, batch.data(), batch.size());
    if (code == 0) {
        file_size_ += batch.size();
        return;
    }
    [[maybe_unused]] int ignored = ::ftruncate(fd_, static_cast<off_t>(file_size_));
    std::lock_guard lock(buffer_mutex_);
    error_ = aigc::detail::concat("SummaryWriter: cannot write to '", path_.string(), "': ", detail::errno_text(code),
                                  " (the records before are intact)");
}

AIGC_INLINE void SummaryWriter::flush_loop() {
    const auto interval = std::chrono::duration<double>(flush_seconds_);
    std::unique_lock lock(buffer_mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, interval, [this] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        {
            std::lock_guard file_lock(file_mutex_);
            write_pending();
        }
        lock.lock();
    }
}

AIGC_INLINE void SummaryWriter::flush() {
    {
        std::lock_guard file_lock(file_mutex_);
        write_pending();
    }
    throw_if_failed();
}

AIGC_INLINE void SummaryWriter::close() {
    {
        std::lock_guard lock(buffer_mutex_);
        if (closed_) {
            if (!error_.empty()) fail(error_);
            return;
        }
        closed_ = true;
        stopping_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    std::lock_guard file_lock(file_mutex_);
    write_pending();
    if (fd_ >= 0) {
        const bool synced = ::fsync(fd_) == 0;
        const int code = errno;
        ::close(fd_);
        fd_ = -1;
        std::lock_guard lock(buffer_mutex_);
        if (!synced && error_.empty())
            error_ = aigc::detail::concat("SummaryWriter: cannot sync '", path_.string(), "': ", detail::errno_text(code));
    }
    std::lock_guard lock(buffer_mutex_);
    if (!error_.empty()) fail(error_);
}

AIGC_INLINE void SummaryWriter::add_scalar(std::string_view tag, double value, std::int64_t step) {
    append(events::scalar(detail::wall_seconds(), step, tag, static_cast<float>(value)));
}

AIGC_INLINE void SummaryWriter::add_image(std::string_view tag, const GrayImage& image, std::int64_t step) {
    AIGC_CHECK(image.width > 0 && image.height > 0 &&
                   image.pixels.size() == static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height),
               "add_image '", tag, "': expected ", image.width, "x", image.height, " pixels, given ", image.pixels.size());
    append(events::image(detail::wall_seconds(), step, tag, image));
}

AIGC_INLINE void SummaryWriter::add_histogram(std::string_view tag, std::span<const double> values, std::int64_t step,
                                              int bins) {
    append(events::histogram(detail::wall_seconds(), step, tag, make_histogram(values, bins, tag)));
}

AIGC_INLINE void SummaryWriter::add_text(std::string_view tag, std::string_view markdown, std::int64_t step) {
    append(events::text(detail::wall_seconds(), step, tag, markdown));
}

}  // namespace aigc::io
