#pragma once
// Fused multi-tensor optimizer steps: one launch updates every parameter of a model (as PyTorch's
// multi_tensor_apply / foreach optimizers). The slot table (pointers and lengths of each
// parameter, gradient and state buffer) is written into a pinned host buffer and copied to device
// memory on the stream; each block then finds its slot by binary search over the slots' first
// block and updates one chunk of it with the shared AdamUpdate/SgdUpdate/RmspropUpdate functor.
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
    T* param;
    const T* grad;
    T* state0;
    T* state1;
    T* state2;
    index_t n;
    index_t first_block;  // blocks [first_block, first_block + ceil(n / chunk)) update this slot
};

// How each optimizer's functor reads its state buffers (null buffers mean "not used").
struct ApplyAdam {
    template <class T, class Update>
    __device__ void operator()(const Update& update, const DeviceSlot<T>& s, index_t i) const {
        update(s.param[i], s.grad[i], s.state0[i], s.state1[i]);
    }
};
struct ApplySgd {
    template <class T, class Update>
    __device__ void operator()(const Update& update, const DeviceSlot<T>& s, index_t i) const {
        update(s.param[i], s.grad[i], s.state0 ? s.state0 + i : nullptr);
    }
};
struct ApplyRmsprop {
    template <class T, class Update>
    __device__ void operator()(const Update& update, const DeviceSlot<T>& s, index_t i) const {
        update(s.param[i], s.grad[i], s.state0[i], s.state1 ? s.state1 + i : nullptr, s.state2 ? s.state2 + i : nullptr);
    }
};

// grid = total blocks over all slots, block = 256.
template <class T, class Update, class Apply>
__global__ void multi_tensor_kernel(const DeviceSlot<T>* __restrict__ slots, int slot_count, Update update, Apply apply) {
    index_t block = blockIdx.x;
    // The last slot whose first block is <= this block (empty slots own no block and are skipped).
    int lo = 0, hi = slot_count - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (slots[mid].first_block <= block) lo = mid;
        else hi = mid - 1;
    }
    const DeviceSlot<T> slot = slots[lo];
    index_t begin = (block - slot.first_block) * chunk;
    index_t end = begin + chunk < slot.n ? begin + chunk : slot.n;
    for (index_t i = begin + threadIdx.x; i < end; i += threads) apply(update, slot, i);
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

template <class T, class Update, class Apply>
void multi_tensor_step(const char* name, std::span<const ParamSlot<T>> slots, const Update& update, Apply apply,
                       bool needs_state0, bool needs_state1, bool needs_state2) {
    std::vector<DeviceSlot<T>> table;
    table.reserve(slots.size());
    index_t blocks = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const ParamSlot<T>& s = slots[i];
        AIGC_CHECK(s.n >= 0, name, ": slot ", i, " has negative length ", s.n);
        if (s.n > 0) {
            AIGC_CHECK(s.param && s.grad, name, ": slot ", i, " (", s.n, " elements) has no ",
                       s.param ? "gradient" : "parameter", " buffer");
            AIGC_CHECK(!needs_state0 || s.state0, name, ": slot ", i, " needs its first state buffer");
            AIGC_CHECK(!needs_state1 || s.state1, name, ": slot ", i, " needs its second state buffer");
            AIGC_CHECK(!needs_state2 || s.state2, name, ": slot ", i, " needs its third state buffer");
        }
        table.push_back({s.param, s.grad, s.state0, s.state1, s.state2, s.n, blocks});
        blocks += ceil_div(s.n, chunk);
    }
    if (blocks == 0) return;
    AIGC_CHECK(blocks <= 0x7fffffff, name, ": ", blocks, " blocks exceed the grid");

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
    launch(name, multi_tensor_kernel<T, Update, Apply>, dim3(static_cast<unsigned>(blocks)), dim3(threads),
           static_cast<const DeviceSlot<T>*>(buffers.device.get()), static_cast<int>(table.size()), update, apply);
}

}  // namespace optim_detail

template <class T>
void adam_step(std::span<const ParamSlot<T>> slots, AdamUpdate<T> update) {
    optim_detail::multi_tensor_step("adam_step", slots, update, optim_detail::ApplyAdam{}, true, true, false);
}

template <class T>
void sgd_step(std::span<const ParamSlot<T>> slots, SgdUpdate<T> update) {
    optim_detail::multi_tensor_step("sgd_step", slots, update, optim_detail::ApplySgd{}, update.momentum != T(0), false,
                                   false);
}

template <class T>
void rmsprop_step(std::span<const ParamSlot<T>> slots, RmspropUpdate<T> update) {
    optim_detail::multi_tensor_step("rmsprop_step", slots, update, optim_detail::ApplyRmsprop{}, true, update.momentum > T(0),
                                   update.centered);
}

}  // namespace aigc::cuda
