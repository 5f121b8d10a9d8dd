#pragma once
// AtomicFile: replace a file so that a reader (or a crash) sees either the old contents or the new,
// never a half-written file. The bytes go to a temporary file in the same folder (rename is only
// atomic within one file system), which is fsync'ed, renamed over the target, and then the folder
// is fsync'ed so the rename itself survives a power cut. Until commit() succeeds the old file is
// untouched; a failure or an exception removes the temporary file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "../core/error.hpp"

namespace aigc::io {

namespace detail {
inline std::string errno_text(int code) { return std::strerror(code); }

// Writes all of [data, data + size) to fd, retrying short writes and EINTR; returns errno or 0.
inline int write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    while (size > 0) {
        ssize_t written = ::write(fd, bytes, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        bytes += written;
        size -= static_cast<std::size_t>(written);
    }
    return 0;
}

inline std::atomic<std::uint64_t>& temp_file_counter() {
    static std::atomic<std::uint64_t> counter{0};
    return counter;
}
}  // namespace detail

class AtomicFile {
public:
    // operation names the caller in error messages, e.g. "save_safetensors".
    AtomicFile(std::filesystem::path target, std::string operation)
        : target_(std::move(target)), operation_(std::move(operation)) {
        AIGC_CHECK(!target_.empty() && target_.has_filename(), operation_, ": '", target_.string(),
                   "' is not a file path");
        std::filesystem::path folder = target_.parent_path();
        folder_ = folder.empty() ? std::filesystem::path(".") : folder;
        // A unique hidden name per process and call; O_EXCL makes a clash an error we retry, and
        // mode 0666 lets the umask decide the final permissions, as for any newly created file.
        for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
            // Built by appending, not `"." + std::string`: GCC 12 at -O3 reports a bogus -Wrestrict
            // on a literal prepended to a temporary string (GCC bug 105329).
            std::string name = ".";
            name += target_.filename().string();
            name += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(detail::temp_file_counter().fetch_add(1));
            temp_ = folder_ / name;
            fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_ < 0 && errno != EEXIST) break;
        }
        if (fd_ < 0) {
            int code = errno;
            temp_.clear();
            fail(aigc::detail::concat(operation_, ": cannot create a temporary file in '", folder_.string(),
                                      "' to write '", target_.string(), "': ", detail::errno_text(code)));
        }
    }
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile() { discard(); }

    void write(const void* data, std::size_t size) {
        AIGC_CHECK(fd_ >= 0, operation_, ": write to '", target_.string(), "' after commit or failure");
        int code = detail::write_all(fd_, data, size);
        if (code != 0) {
            discard();
            fail(aigc::detail::concat(operation_, ": writing '", target_.string(), "' failed: ",
                                      detail::errno_text(code), " (the previous file, if any, is unchanged)"));
        }
    }
    void write(std::string_view text) { write(text.data(), text.size()); }

    // fsync, rename over the target, fsync the folder. After this the new contents are durable.
    void commit() {
        AIGC_CHECK(fd_ >= 0, operation_, ": commit of '", target_.string(), "' after commit or failure");
        if (::fsync(fd_) != 0) fail_and_discard("fsync of the temporary file failed", errno);
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail_and_discard("closing the temporary file failed", errno);
        if (::rename(temp_.c_str(), target_.c_str()) != 0)
            fail_and_discard("renaming the temporary file failed", errno);
        temp_.clear();
        sync_folder();
    }

private:
    [[noreturn]] void fail_and_discard(const char* what, int code) {
        discard();
        fail(aigc::detail::concat(operation_, ": ", what, " for '", target_.string(), "': ", detail::errno_text(code),
                                  " (the previous file, if any, is unchanged)"));
    }
    void discard() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!temp_.empty()) ::unlink(temp_.c_str());
        temp_.clear();
    }
    // The rename lives in the folder's entries; without this fsync a crash could bring back the old name.
    void sync_folder() {
        int dir = ::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
            fail(aigc::detail::concat(operation_, ": cannot open folder '", folder_.string(),
                                      "' to fsync it: ", detail::errno_text(errno)));
        int status = ::fsync(dir);
        int code = errno;
        ::close(dir);
        // Some file systems cannot fsync a folder (EINVAL); the data itself is already durable there.
        if (status != 0 && code != EINVAL)
            fail(aigc::detail::concat(operation_, ": fsync of folder '", folder_.string(),
                                      "' failed: ", detail::errno_text(code)));
    }

    std::filesystem::path target_;
    std::filesystem::path folder_;
    std::filesystem::path temp_;
    std::string operation_;
    int fd_ = -1;
};

// The whole contents at once: the common case for PNG, SVG and small files.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                                  const std::string& operation) {
    AtomicFile file(path, operation);
    file.write(contents);
    file.commit();
}

}  // namespace aigc::io
