#pragma once
// Host memory for Tensor<T, Cpu> (Memory<Cpu>): a caching allocator. glibc serves blocks above 128 KiB with
// mmap and returns them with munmap, so every such tensor costs a system call plus one page fault
// per 4 KiB touched (a [64, 1024] float activation is 64 faults) -- on every op of every step.
// Freed blocks go to a free list per size bucket instead and the next request of that bucket takes
// one from there. A training loop allocates the same sizes every step, so after the first step it
// reaches the system allocator zero times (stats().system_allocations stays constant; see
// tests/test_allocations.cpp). Same design and statistics as the CUDA backend's allocator.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "../core/device.hpp"
#include "../core/error.hpp"
#include "../core/size_buckets.hpp"

// AddressSanitizer's poisoning calls, declared weak: in a program built with -fsanitize=address the
// runtime defines them, elsewhere they are null and poisoning is skipped. A test on
// __SANITIZE_ADDRESS__ instead would give these inline functions two definitions, and a sanitized
// program linked to an uninstrumented aigc::compiled (or the reverse) would take the allocation from
// one and the release from the other: a cached block poisoned but never unpoisoned.
extern "C" {
void __asan_poison_memory_region(void const volatile* address, std::size_t size) __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile* address, std::size_t size) __attribute__((weak));
}

namespace aigc::cpu {

struct AllocatorStats {
    std::uint64_t system_allocations = 0;  // real aligned_alloc calls
    std::uint64_t system_frees = 0;        // real free calls (empty_cache)
    std::uint64_t cache_hits = 0;          // requests served from a free list
    std::size_t bytes_reserved = 0;        // obtained from the system and not yet returned
    std::size_t bytes_in_use = 0;          // handed out to tensors now (bucket sizes)
};

class CachingAllocator {
public:
    // 64-byte alignment: whole cache lines and aligned AVX-512 loads.
    static constexpr std::size_t alignment = 64;

    // The process-wide allocator, never destroyed: tensors in static objects may be freed after
    // any destructor we could order, and the operating system reclaims the cache at exit.
    static CachingAllocator& instance() {
        static CachingAllocator* allocator = new CachingAllocator();
        return *allocator;
    }

    // Multiples of 64 bytes up to 4 KiB, then at most 12.5% above the request (core/size_buckets.hpp).
    static std::size_t bucket_size(std::size_t bytes) { return detail::size_bucket(bytes, alignment, 4096); }

    // A block of at least `bytes` bytes (uninitialised), 64-byte aligned; empty for 0 bytes.
    std::shared_ptr<void> allocate(std::size_t bytes) {
        if (bytes == 0) return {};
        std::size_t size = bucket_size(bytes);
        void* block = take_cached(size);
        if (!block) block = allocate_from_system(size, bytes);
        return std::shared_ptr<void>(block, [size](void* p) { instance().release(size, p); });
    }

    // Returns every cached block to the system (blocks in use are not affected).
    void empty_cache() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [size, list] : free_lists_) {
            for (void* block : list) {
                unpoison(block, size);
                std::free(block);
                ++stats_.system_frees;
                stats_.bytes_reserved -= size;
            }
            list.clear();
        }
    }

    AllocatorStats stats() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return stats_;
    }

private:
    CachingAllocator() = default;

    static void unpoison(void* block, std::size_t size) {
        if (__asan_unpoison_memory_region) __asan_unpoison_memory_region(block, size);
    }

    void* take_cached(std::size_t size) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = free_lists_.find(size);
        if (it == free_lists_.end() || it->second.empty()) return nullptr;
        void* block = it->second.back();
        it->second.pop_back();
        ++stats_.cache_hits;
        stats_.bytes_in_use += size;
        unpoison(block, size);
        return block;
    }

    void* allocate_from_system(std::size_t size, std::size_t requested) {
        void* block = std::aligned_alloc(alignment, size);
        if (!block) {
            empty_cache();  // cached blocks of other sizes may be what is missing
            block = std::aligned_alloc(alignment, size);
        }
        if (!block) {
            AllocatorStats now = stats();
            fail(detail::concat("cpu: out of memory allocating ", requested, " bytes (bucket ", size, "); ",
                                now.bytes_in_use, " bytes in use, ", now.bytes_reserved, " reserved"));
        }
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.system_allocations;
        stats_.bytes_reserved += size;
        stats_.bytes_in_use += size;
        return block;
    }

    void release(std::size_t size, void* block) {
        std::lock_guard<std::mutex> lock(mutex_);
        // Poisoned while cached, so AddressSanitizer still reports a use after free.
        if (__asan_poison_memory_region) __asan_poison_memory_region(block, size);
        free_lists_[size].push_back(block);
        stats_.bytes_in_use -= size;
    }

    mutable std::mutex mutex_;
    std::map<std::size_t, std::vector<void*>> free_lists_;
    AllocatorStats stats_;
};

inline AllocatorStats allocator_stats() { return CachingAllocator::instance().stats(); }
inline void empty_cache() { CachingAllocator::instance().empty_cache(); }

}  // namespace aigc::cpu

namespace aigc {

// Tensors take their storage from the caching allocator: after the first training step,
// steady-state steps reach the system allocator zero times.
template <>
struct Memory<Cpu> {
    static constexpr std::size_t alignment = cpu::CachingAllocator::alignment;
    static std::shared_ptr<void> allocate(std::size_t bytes) { return cpu::CachingAllocator::instance().allocate(bytes); }
};

}  // namespace aigc
