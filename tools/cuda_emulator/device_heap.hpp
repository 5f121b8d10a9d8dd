#pragma once
// Emulated device memory: one reserved address range, handed out first-fit in 256-byte aligned
// blocks (cudaMalloc's alignment). The whole range is inaccessible (PROT_NONE) except while a
// DeviceAccess lives, which the emulator holds only while a kernel, a copy or a cuBLAS call
// runs, so host code that dereferences a device pointer faults on the spot, as it would with a
// real GPU, and a SIGSEGV handler says so before the fault takes its usual course.
#include <cstddef>
#include <cstdint>
#include <map>

namespace aigc_cuda_emulator {

class DeviceHeap {
public:
    static constexpr std::size_t alignment = 256;

    // The process-wide heap, reserved on first use (never unmapped: device pointers may be freed
    // by static destructors after anything we could run at exit).
    static DeviceHeap& instance();

    std::size_t capacity() const { return capacity_; }
    std::size_t bytes_in_use() const { return in_use_; }

    // nullptr when no free range is large enough.
    void* allocate(std::size_t bytes);
    // false when `pointer` is not the start of a live allocation.
    bool release(void* pointer);

    // Whether [pointer, pointer + bytes) lies within one live allocation; a zero-length range
    // may end one past it.
    bool holds(const void* pointer, std::size_t bytes) const;
    // Whether `pointer` lies in the reserved range at all (live or not).
    bool reserved(const void* pointer) const;

private:
    DeviceHeap();
    friend class DeviceAccess;
    void set_access(bool accessible);

    std::uintptr_t base_ = 0;
    std::size_t capacity_ = 0;
    std::size_t in_use_ = 0;
    std::size_t high_water_ = 0;  // page-rounded end of everything ever allocated (offset)
    std::map<std::size_t, std::size_t> live_;  // offset -> size
    std::map<std::size_t, std::size_t> free_;  // offset -> size, coalesced
    int access_depth_ = 0;
};

// Device memory is readable and writable while one of these lives (they nest).
class DeviceAccess {
public:
    DeviceAccess();
    ~DeviceAccess();
    DeviceAccess(const DeviceAccess&) = delete;
    DeviceAccess& operator=(const DeviceAccess&) = delete;
};

}  // namespace aigc_cuda_emulator
