#pragma once
// Memory<Cuda>: device memory from a caching allocator. cudaMalloc and cudaFree synchronise the
// device and cost tens of microseconds, so freed blocks go to a free list per (device, size
// bucket) and the next request of that bucket takes one from there. A training loop allocates the
// same sizes every step, so after the first step it calls cudaMalloc zero times
// (stats().device_mallocs stays constant; the tests count it).
//
// Reuse is safe without events because this backend runs all its work on one stream per device:
// a block freed while a kernel still reads it can only be handed to work queued after that kernel.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <aigc/core/size_buckets.hpp>

#include "common.cuh"

namespace aigc::cuda {

struct AllocatorStats {
    std::uint64_t device_mallocs = 0;  // real cudaMalloc calls
    std::uint64_t device_frees = 0;    // real cudaFree calls (empty_cache, or retry after out-of-memory)
    std::uint64_t cache_hits = 0;      // requests served from a free list
    std::size_t bytes_reserved = 0;    // obtained from cudaMalloc and not yet returned
    std::size_t bytes_in_use = 0;      // handed out to tensors now (bucket sizes)
};

class CachingAllocator {
public:
    // The process-wide allocator (never destroyed: tensors in static objects may outlive any
    // destructor order we could choose, and the driver reclaims device memory at exit).
    static CachingAllocator& instance() {
        static CachingAllocator* allocator = new CachingAllocator();
        return *allocator;
    }

    // Bucket sizes: multiples of 512 bytes up to 1 MiB (tensors of a few hundred floats share
    // little waste), then at most 12.5% above the request (core/size_buckets.hpp).
    static std::size_t bucket_size(std::size_t bytes) {
        return aigc::detail::size_bucket(bytes, 512, std::size_t(1) << 20);
    }

    // A block of at least `bytes` bytes on the current device, 256-byte aligned (cudaMalloc's).
    std::shared_ptr<void> allocate(std::size_t bytes) {
        if (bytes == 0) return {};
        int device = detail::current_device();
        std::size_t size = bucket_size(bytes);
        void* block = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto& list = free_lists_[{device, size}];
            if (!list.empty()) {
                block = list.back();
                list.pop_back();
                ++stats_.cache_hits;
            }
        }
        if (!block) block = malloc_on_device(device, size, bytes);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stats_.bytes_in_use += size;
        }
        return std::shared_ptr<void>(block, [device, size](void* p) { instance().release(device, size, p); });
    }

    // Returns every cached block to the driver (waits for the device first).
    void empty_cache() {
        std::lock_guard<std::mutex> lock(mutex_);
        free_cached_locked();
    }

    AllocatorStats stats() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return stats_;
    }

private:
    CachingAllocator() = default;

    struct Key {
        int device;
        std::size_t size;
        bool operator<(const Key& other) const {
            return device != other.device ? device < other.device : size < other.size;
        }
    };

    void release(int device, std::size_t size, void* block) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_lists_[{device, size}].push_back(block);
        stats_.bytes_in_use -= size;
    }

    void* malloc_on_device(int device, std::size_t size, std::size_t requested) {
        void* block = nullptr;
        cudaError_t status = cudaMalloc(&block, size);
        if (status == cudaErrorMemoryAllocation) {
            // Cached blocks of other sizes may be what is missing: give them back and try once more.
            cudaGetLastError();  // clear the error so later checks do not see it
            std::lock_guard<std::mutex> lock(mutex_);
            free_cached_locked();
            status = cudaMalloc(&block, size);
        }
        if (status != cudaSuccess) {
            cudaGetLastError();
            AllocatorStats now = stats();
            fail(aigc::detail::concat("cuda: out of memory allocating ", requested, " bytes (bucket ", size,
                                      ") on device ", device, ": ", cudaGetErrorString(status), "; ",
                                      now.bytes_in_use, " bytes in use, ", now.bytes_reserved, " reserved"));
        }
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.device_mallocs;
        stats_.bytes_reserved += size;
        return block;
    }

    // Caller holds mutex_. cudaFree of a block that queued work still uses would be a bug, so each
    // device is synchronised before its blocks go back.
    void free_cached_locked() {
        int previous = detail::current_device();
        int synced_device = -1;
        for (auto& [key, list] : free_lists_) {
            if (list.empty()) continue;
            if (key.device != synced_device) {  // the map is ordered by device: one sync per device
                check(cudaSetDevice(key.device), "cudaSetDevice (empty_cache)");
                check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (empty_cache)");
                synced_device = key.device;
            }
            for (void* block : list) {
                check(cudaFree(block), "cudaFree (empty_cache)");
                ++stats_.device_frees;
                stats_.bytes_reserved -= key.size;
            }
            list.clear();
        }
        check(cudaSetDevice(previous), "cudaSetDevice (empty_cache)");
    }

    mutable std::mutex mutex_;
    std::map<Key, std::vector<void*>> free_lists_;
    AllocatorStats stats_;
};

inline AllocatorStats allocator_stats() { return CachingAllocator::instance().stats(); }
inline void empty_cache() { CachingAllocator::instance().empty_cache(); }

}  // namespace aigc::cuda

namespace aigc {

template <>
struct Memory<Cuda> {
    static constexpr std::size_t alignment = 256;
    static std::shared_ptr<void> allocate(std::size_t bytes) { return cuda::CachingAllocator::instance().allocate(bytes); }
};

}  // namespace aigc
