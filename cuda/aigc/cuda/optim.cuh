#pragma once
// Fused multi-tensor optimizer steps: one launch updates every parameter of a model (as PyTorch's
// multi_tensor_apply / foreach optimizers). The slot table (pointers and lengths of each
// parameter, gradient and state buffer) is written into a pinned host buffer and copied to device
// memory on the stream; each block then finds its slot by binary search over the slots' first
// block and updates one chunk of it with the shared update's scalar form, apply_at
// (AdamUpdate, SgdUpdate, RmspropUpdate of core/optim_math.hpp).
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <aigc/core/optim_math.hpp>

#include "common.cuh"
#include "memory.cuh"

namespace aigc::cuda {

namespace optim_detail {

constexpr int threads = 256;
constexpr index_t chunk = 4096;  // elements per block: 16 per thread

template <class T>
struct DeviceSlot {
    ParamSlot<T> slot;
    index_t first_block;  // blocks [first_block, first_block + ceil(n / chunk)) update this slot
};

// grid = total blocks over all slots, block = 256.
template <class T, class Update>
__global__ void multi_tensor_kernel(const DeviceSlot<T>* __restrict__ slots, int slot_count, Update update) {
    index_t block = blockIdx.x;
    // The last slot whose first block is <= this block (empty slots own no block and are skipped).
    int lo = 0, hi = slot_count - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (slots[mid].first_block <= block) lo = mid;
        else hi = mid - 1;
    }
    const ParamSlot<T> slot = slots[lo].slot;
    index_t begin = (block - slots[lo].first_block) * chunk;
    index_t end = begin + chunk < slot.n ? begin + chunk : slot.n;
    for (index_t i = begin + threadIdx.x; i < end; i += threads) update.apply_at(slot, i);
}

// The pinned staging buffer and device copy of the slot table, one per device. `copied` marks
// when the last upload has left the pinned buffer, so it is not overwritten while in flight.
struct SlotTableBuffers {
    void* pinned = nullptr;
    std::size_t capacity = 0;
    std::shared_ptr<void> device;
    cudaEvent_t copied = nullptr;
    bool upload_pending = false;
    std::mutex mutex;
};

inline SlotTableBuffers& slot_table_buffers() {
    static std::mutex mutex;
    static std::vector<SlotTableBuffers*>* all = new std::vector<SlotTableBuffers*>();
    DeviceContext& ctx = context();
    std::lock_guard<std::mutex> lock(mutex);
    if (static_cast<int>(all->size()) <= ctx.device) all->resize(static_cast<std::size_t>(ctx.device) + 1, nullptr);
    SlotTableBuffers*& buffers = (*all)[static_cast<std::size_t>(ctx.device)];
    if (!buffers) {
        buffers = new SlotTableBuffers();
        check(cudaEventCreateWithFlags(&buffers->copied, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    }
    return *buffers;
}

}  // namespace optim_detail

// One launch of update.apply_at over every element of every slot.
template <class T, class Update>
void apply_update(std::span<const ParamSlot<T>> slots, const Update& update) {
    using namespace optim_detail;
    check_update_slots(slots, update);
    std::vector<DeviceSlot<T>> table;
    table.reserve(slots.size());
    index_t blocks = 0;
    for (const ParamSlot<T>& s : slots) {
        table.push_back({s, blocks});
        blocks += ceil_div(s.n, chunk);
    }
    if (blocks == 0) return;
    AIGC_CHECK(blocks <= 0x7fffffff, "apply_update (", Update::name, "): ", blocks, " blocks exceed the grid");

    SlotTableBuffers& buffers = slot_table_buffers();
    std::lock_guard<std::mutex> lock(buffers.mutex);
    std::size_t bytes = table.size() * sizeof(DeviceSlot<T>);
    if (buffers.upload_pending) {
        check(cudaEventSynchronize(buffers.copied), "cudaEventSynchronize (slot table)");
        buffers.upload_pending = false;
    }
    if (buffers.capacity < bytes) {
        std::size_t capacity = bytes > 2 * buffers.capacity ? bytes : 2 * buffers.capacity;
        if (buffers.pinned) check(cudaFreeHost(buffers.pinned), "cudaFreeHost (slot table)");
        buffers.pinned = nullptr;
        buffers.capacity = 0;
        check(cudaMallocHost(&buffers.pinned, capacity), "cudaMallocHost (slot table)");
        // The old device table may still be read by a queued kernel; the caching allocator hands
        // it out again only to work queued after that kernel.
        buffers.device = Memory<Cuda>::allocate(capacity);
        buffers.capacity = capacity;
    }
    std::memcpy(buffers.pinned, table.data(), bytes);
    check(cudaMemcpyAsync(buffers.device.get(), buffers.pinned, bytes, cudaMemcpyHostToDevice, stream()),
          "cudaMemcpyAsync (slot table)");
    check(cudaEventRecord(buffers.copied, stream()), "cudaEventRecord (slot table)");
    buffers.upload_pending = true;
    launch("apply_update", multi_tensor_kernel<T, Update>, dim3(static_cast<unsigned>(blocks)), dim3(threads),
           static_cast<const DeviceSlot<T>*>(buffers.device.get()), static_cast<int>(table.size()), update);
}

}  // namespace aigc::cuda
