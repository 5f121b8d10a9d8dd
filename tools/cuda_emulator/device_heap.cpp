#include "device_heap.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace aigc_cuda_emulator {

namespace {

// The emulated device: as much memory as a small GPU. Reserved, not committed: only pages that
// are written take host memory.
constexpr std::size_t device_capacity = std::size_t(16) << 30;

std::size_t page_size() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

struct sigaction previous_segv_action;
std::uintptr_t heap_begin = 0, heap_end = 0;

// A fault inside the heap is host code touching device memory: say so, then let the previous
// handler (Catch2's, or the default) see the fault when the instruction runs again.
void on_segv(int signal, siginfo_t* info, void* context) {
    auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    if (address >= heap_begin && address < heap_end) {
        char message[200];
        int length = std::snprintf(message, sizeof message,
                                   "\ncuda emulator: host code accessed device memory at %p (device heap offset "
                                   "%zu); copy it to the host first (to_host / to<Cpu>())\n",
                                   info->si_addr, static_cast<std::size_t>(address - heap_begin));
        if (length > 0) [[maybe_unused]] auto written = write(STDERR_FILENO, message, static_cast<std::size_t>(length));
    }
    sigaction(SIGSEGV, &previous_segv_action, nullptr);
    (void)signal;
    (void)context;
}

std::size_t round_up(std::size_t value, std::size_t granule) { return (value + granule - 1) / granule * granule; }

}  // namespace

DeviceHeap& DeviceHeap::instance() {
    static DeviceHeap* heap = new DeviceHeap();
    return *heap;
}

DeviceHeap::DeviceHeap() {
    void* range = mmap(nullptr, device_capacity, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (range == MAP_FAILED) {
        std::fprintf(stderr, "cuda emulator: cannot reserve %zu bytes of address space for device memory\n",
                     device_capacity);
        std::abort();
    }
    base_ = reinterpret_cast<std::uintptr_t>(range);
    capacity_ = device_capacity;
    free_[0] = capacity_;
    heap_begin = base_;
    heap_end = base_ + capacity_;

    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = &on_segv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv_action);
}

void* DeviceHeap::allocate(std::size_t bytes) {
    std::size_t size = round_up(bytes == 0 ? 1 : bytes, alignment);
    if (size < bytes) return nullptr;  // overflow
    for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->second < size) continue;
        std::size_t offset = it->first, remaining = it->second - size;
        free_.erase(it);
        if (remaining > 0) free_[offset + size] = remaining;
        live_[offset] = size;
        in_use_ += size;
        std::size_t end = round_up(offset + size, page_size());
        if (end > high_water_) {
            // Pages past the old high-water mark are still PROT_NONE: open them if a window is open.
            if (access_depth_ > 0)
                mprotect(reinterpret_cast<void*>(base_ + high_water_), end - high_water_, PROT_READ | PROT_WRITE);
            high_water_ = end;
        }
        return reinterpret_cast<void*>(base_ + offset);
    }
    return nullptr;
}

bool DeviceHeap::release(void* pointer) {
    auto address = reinterpret_cast<std::uintptr_t>(pointer);
    if (address < base_ || address >= base_ + capacity_) return false;
    auto it = live_.find(address - base_);
    if (it == live_.end()) return false;
    std::size_t offset = it->first, size = it->second;
    live_.erase(it);
    in_use_ -= size;
    // Large blocks give their pages back to the host (their contents are undefined anyway).
    std::size_t page = page_size(), first_page = round_up(offset, page), end = offset + size;
    if (end >= first_page + 16 * page)
        madvise(reinterpret_cast<void*>(base_ + first_page), (end - first_page) / page * page, MADV_DONTNEED);
    // Coalesce with the free neighbours.
    auto next = free_.lower_bound(offset);
    if (next != free_.end() && next->first == end) {
        size += next->second;
        next = free_.erase(next);
    }
    if (next != free_.begin()) {
        auto before = std::prev(next);
        if (before->first + before->second == offset) {
            before->second += size;
            return true;
        }
    }
    free_[offset] = size;
    return true;
}

bool DeviceHeap::holds(const void* pointer, std::size_t bytes) const {
    auto address = reinterpret_cast<std::uintptr_t>(pointer);
    if (address < base_ || address > base_ + capacity_) return false;
    std::size_t offset = address - base_;
    auto it = live_.upper_bound(offset);
    if (it == live_.begin()) return false;
    --it;
    std::size_t end = it->first + it->second;
    if (bytes == 0) return offset <= end;
    return offset < end && bytes <= end - offset;
}

bool DeviceHeap::reserved(const void* pointer) const {
    auto address = reinterpret_cast<std::uintptr_t>(pointer);
    return address >= base_ && address < base_ + capacity_;
}

void DeviceHeap::set_access(bool accessible) {
    if (high_water_ == 0) return;
    if (mprotect(reinterpret_cast<void*>(base_), high_water_, accessible ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) {
        std::perror("cuda emulator: mprotect of device memory");
        std::abort();
    }
}

DeviceAccess::DeviceAccess() {
    DeviceHeap& heap = DeviceHeap::instance();
    if (heap.access_depth_++ == 0) heap.set_access(true);
}

DeviceAccess::~DeviceAccess() {
    DeviceHeap& heap = DeviceHeap::instance();
    if (--heap.access_depth_ == 0) heap.set_access(false);
}

}  // namespace aigc_cuda_emulator
