#pragma once
// A fresh, empty folder under the system's temp directory for one test case, removed (with
// everything in it) when it goes out of scope. The name holds the process id and a counter, since
// CTest runs test cases as separate processes side by side.
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace aigc_test {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& tag) {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               ("aigc-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

}  // namespace aigc_test
