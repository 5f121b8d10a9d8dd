#pragma once
// The events files of a run folder, as a resumed run must leave them. A run checkpoints at step S
// and may write events for later steps before it crashes or stops; the run resumed from S writes
// those steps again. So before it starts, every record at a step after S is dropped from the
// folder's files (and a record cut short by a crash with them): no (tag, step) is ever in the
// folder twice, and what remains is what the checkpoint's run had written.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "atomic_file.hpp"
#include "events.hpp"
#include "tfrecord.hpp"

namespace aigc::io {

// TensorBoard reads every file whose name contains "tfevents", in name order.
inline bool is_events_file(const std::filesystem::path& path) {
    return path.filename().string().find("tfevents") != std::string::npos;
}

inline std::vector<std::filesystem::path> list_events_files(const std::filesystem::path& folder) {
    std::vector<std::filesystem::path> files;
    std::error_code code;
    if (!std::filesystem::is_directory(folder, code)) return files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        if (entry.is_regular_file() && is_events_file(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

struct EventsPurge {
    int files_rewritten = 0;
    int files_removed = 0;           // left with nothing but their file_version record
    std::int64_t records_dropped = 0;
    std::int64_t damaged_tails = 0;  // files whose last record was cut short or failed its CRC
};

// Drops every record at a step >= first_dropped_step from the events files in `folder`, and any
// damaged tail. A file that changes is replaced atomically (io::AtomicFile).
inline EventsPurge purge_events_from(const std::filesystem::path& folder, std::int64_t first_dropped_step) {
    EventsPurge purge;
    for (const auto& file : list_events_files(folder)) {
        TfRecordScan scan = read_tfrecords(file);
        std::string kept;
        bool has_data = false, changed = scan.end != TfRecordScan::End::complete;
        if (changed) ++purge.damaged_tails;
        for (const auto& record : scan.records) {
            events::EventKey key;
            try {
                key = events::read_key(record.data);
            } catch (const Error& e) {
                fail(aigc::detail::concat("SummaryWriter: cannot resume the events in '", file.string(), "': the record at byte ",
                                          record.offset, " is not an event (", e.what(), ")"));
            }
            const bool header = key.file_version;
            if (!header && key.step >= first_dropped_step) {
                ++purge.records_dropped;
                changed = true;
                continue;
            }
            has_data = has_data || !header;
            kept += frame_tfrecord(record.data);
        }
        if (!changed) continue;
        if (!has_data) {
            std::filesystem::remove(file);
            ++purge.files_removed;
            continue;
        }
        AtomicFile out(file, "SummaryWriter");
        out.write(kept.data(), kept.size());
        out.commit();
        ++purge.files_rewritten;
    }
    return purge;
}

// A new run in a folder replaces the run that was there, events included.
inline int remove_events_files(const std::filesystem::path& folder) {
    int removed = 0;
    for (const auto& file : list_events_files(folder)) removed += std::filesystem::remove(file) ? 1 : 0;
    return removed;
}

}  // namespace aigc::io
