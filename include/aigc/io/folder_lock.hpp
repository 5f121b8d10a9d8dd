#pragma once
// FolderLock: one writer per run folder. An advisory flock() on <folder>/.aigc.lock, held for the
// lock object's lifetime. The kernel drops it when the process ends, however it ends (SIGKILL, a
// crash), so a lock left by a dead process never blocks the next run. The file holds the holder's
// process id and description, for the message the next process prints.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>

#include "../core/error.hpp"
#include "atomic_file.hpp"

namespace aigc::io {

class FolderLock {
public:
    // holder: what takes the lock, e.g. "gan_mnist train"; shown to a process that finds it taken.
    FolderLock(const std::filesystem::path& folder, std::string_view holder) {
        const std::filesystem::path path = folder / ".aigc.lock";
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd_ < 0)
            fail(aigc::detail::concat("cannot lock '", folder.string(), "': cannot open '", path.string(),
                                      "': ", detail::errno_text(errno)));
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int code = errno;
            std::string other(256, '\0');
            const ssize_t got = ::pread(fd_, other.data(), other.size(), 0);
            other.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
            while (!other.empty() && (other.back() == '\n' || other.back() == '\0')) other.pop_back();
            ::close(fd_);
            fd_ = -1;
            if (code == EWOULDBLOCK)
                fail(aigc::detail::concat("'", folder.string(), "' is in use by ", other.empty() ? "another process" : other,
                                          "; two runs writing one folder would overwrite each other's results: wait for "
                                          "it to finish or choose another --out"));
            fail(aigc::detail::concat("cannot lock '", path.string(), "': ", detail::errno_text(code)));
        }
        const std::string text = "process " + std::to_string(::getpid()) + " (" + std::string(holder) + ")\n";
        // Without its description the lock still holds; only a second process's message is vaguer.
        if (::ftruncate(fd_, 0) == 0) (void)detail::write_all(fd_, text.data(), text.size());
    }
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;
    ~FolderLock() {
        if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
    }

private:
    int fd_ = -1;
};

}  // namespace aigc::io
