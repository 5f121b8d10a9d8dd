#pragma once
// SummaryWriter: TensorBoard event files from C++, with PyTorch's names (torch.utils.tensorboard).
//
//   aigc::io::SummaryWriter events("out/gan");            // out/gan/events.out.tfevents.<seconds>.<host>
//   events.add_scalar("loss/d", d_loss, step);
//   events.add_image("samples", io::make_image_grid(images), step);
//   events.add_histogram("weights/0.weight", layer.weight().value(), step);
//   events.add_text("config", "lr 2e-4", 0);
//
// Records are framed as TFRecords (tfrecord.hpp) holding Event messages (events.hpp), the first of
// each file carrying file_version "brain.Event:2". They wait in memory and a background thread
// appends them to the file every `flush_seconds`, so a dashboard follows a live run; flush() and
// close() (and the destructor) write them at once. Files are only appended to: a crash loses at most
// the records not yet flushed, and can cut short only the last record, which readers skip.
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../core/compiled.hpp"
#include "../core/tensor.hpp"
#include "png.hpp"

namespace aigc::io {

struct SummaryWriterOptions {
    // The longest a record waits in memory before it is appended to the file.
    double flush_seconds = 2.0;
    // Resuming a run whose checkpoint is at step purge_step - 1: the folder's existing events files
    // first lose every record at a step >= purge_step (purge_events_from), and the new file starts
    // with a SessionLog START at purge_step, TensorBoard's own sign to do the same.
    std::optional<std::int64_t> purge_step = std::nullopt;
};

class SummaryWriter {
public:
    explicit SummaryWriter(const std::filesystem::path& log_dir, SummaryWriterOptions options = {});
    SummaryWriter(const SummaryWriter&) = delete;
    SummaryWriter& operator=(const SummaryWriter&) = delete;
    // Writes what is left. A destructor cannot throw: an error here is printed on stderr; call
    // close() to have it thrown instead.
    ~SummaryWriter();

    // Stored as float (Summary.Value.simple_value), as TensorBoard's scalars are.
    void add_scalar(std::string_view tag, double value, std::int64_t step);
    // An 8-bit grayscale image, stored PNG-encoded; make_image_grid (image.hpp) makes one of a batch.
    void add_image(std::string_view tag, const GrayImage& image, std::int64_t step);
    // `bins` equal-width buckets between the smallest and largest value; every value must be finite.
    void add_histogram(std::string_view tag, std::span<const double> values, std::int64_t step, int bins = 30);
    template <class T, class D>
    void add_histogram(std::string_view tag, const Tensor<T, D>& values, std::int64_t step, int bins = 30) {
        AIGC_CHECK(values.defined(), "add_histogram '", tag, "': undefined tensor");
        const std::vector<T> host = values.to_vector();
        const std::vector<double> wide(host.begin(), host.end());
        add_histogram(tag, std::span<const double>(wide), step, bins);
    }
    // Markdown, shown by TensorBoard's text dashboard.
    void add_text(std::string_view tag, std::string_view markdown, std::int64_t step);

    // Every record added so far is in the file when this returns.
    void flush();
    // Flushes, fsyncs and closes the file; later add_* calls fail. Throws the first write error.
    void close();

    const std::filesystem::path& path() const { return path_; }

private:
    void append(const std::string& event);
    void write_pending();  // caller holds file_mutex_
    void flush_loop();
    void throw_if_failed();

    std::filesystem::path path_;
    double flush_seconds_;
    int fd_ = -1;
    std::uint64_t file_size_ = 0;  // bytes of whole records in the file

    std::mutex buffer_mutex_;      // guards pending_, error_, stopping_, closed_
    std::condition_variable wake_;
    std::string pending_;          // framed records not yet written
    std::string error_;            // the first write error; every later call reports it
    bool stopping_ = false;
    bool closed_ = false;
    std::mutex file_mutex_;        // one writer at a time keeps the records in order
    std::thread flusher_;
};

}  // namespace aigc::io

#if !defined(AIGC_COMPILED)
#include "summary_writer_impl.hpp"
#endif
