// The emulated CUDA runtime API: one device, synchronous streams, device memory from DeviceHeap,
// copies that check their direction the way unified addressing lets the real runtime check it.
#include <cuda_emulator.hpp>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <sstream>
#include <string>

#include "device_heap.hpp"
#include "runtime_state.hpp"

struct CUstream_st {
    unsigned int flags;
};
struct CUevent_st {
    unsigned int flags = 0;
    bool recorded = false;
    std::chrono::steady_clock::time_point when;
};

namespace aigc_cuda_emulator {

namespace {

thread_local cudaError_t last_error = cudaSuccess;
cudaError_t sticky = cudaSuccess;
std::string last_message;
std::map<const void*, std::size_t>& pinned_blocks() {
    static auto* blocks = new std::map<const void*, std::size_t>();
    return *blocks;
}

int environment_int(const char* name, int fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::atoi(value) : fallback;
}

// AIGC_CUDA_EMULATOR_DEVICES=0 makes the emulator report no device (to test the skip path).
int device_count() { return environment_int("AIGC_CUDA_EMULATOR_DEVICES", 1) > 0 ? 1 : 0; }

bool pinned(const void* pointer, std::size_t bytes) {
    auto& blocks = pinned_blocks();
    auto it = blocks.upper_bound(pointer);
    if (it == blocks.begin()) return false;
    --it;
    auto begin = static_cast<const char*>(it->first), p = static_cast<const char*>(pointer);
    return p >= begin && static_cast<std::size_t>(p - begin) + bytes <= it->second;
}

// Which side a copy's range is on: device (inside one allocation), host, or neither (a range
// that starts in device memory but is no live allocation, or runs past one).
enum class Side { device, host, invalid };
Side side_of(const void* pointer, std::size_t bytes) {
    DeviceHeap& heap = DeviceHeap::instance();
    if (heap.holds(pointer, bytes)) return Side::device;
    return heap.reserved(pointer) ? Side::invalid : Side::host;
}

const char* side_name(Side side) {
    return side == Side::device ? "device memory" : side == Side::host ? "host memory" : "no live device allocation";
}

cudaError_t check_copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
    if (bytes == 0) return cudaSuccess;
    Side to = side_of(dst, bytes), from = side_of(src, bytes);
    Side want_to, want_from;
    switch (kind) {
        case cudaMemcpyHostToHost: want_from = Side::host, want_to = Side::host; break;
        case cudaMemcpyHostToDevice: want_from = Side::host, want_to = Side::device; break;
        case cudaMemcpyDeviceToHost: want_from = Side::device, want_to = Side::host; break;
        case cudaMemcpyDeviceToDevice: want_from = Side::device, want_to = Side::device; break;
        case cudaMemcpyDefault:
            want_from = from == Side::invalid ? Side::device : from;
            want_to = to == Side::invalid ? Side::device : to;
            break;
        default: diagnose("cudaMemcpy: unknown direction"); return cudaErrorInvalidMemcpyDirection;
    }
    if (to == want_to && from == want_from) return cudaSuccess;
    std::ostringstream out;
    out << "cudaMemcpy of " << bytes << " bytes: the source (" << src << ") is " << side_name(from)
        << " and the destination (" << dst << ") is " << side_name(to) << ", which the direction given (" << kind
        << ") does not allow";
    diagnose(out.str());
    return cudaErrorInvalidValue;
}

}  // namespace

std::mutex& device_mutex() {
    static auto* mutex = new std::mutex();
    return *mutex;
}

cudaError_t record(cudaError_t status) {
    if (status != cudaSuccess) last_error = status;
    return status;
}

cudaError_t record_sticky(cudaError_t status) {
    sticky = status;
    return record(status);
}

cudaError_t sticky_status() { return sticky; }

bool kernel_may_access(const void* pointer) {
    return DeviceHeap::instance().holds(pointer, 0) || pinned(pointer, 0);
}

void diagnose(const std::string& message) {
    last_message = message;
    if (environment_int("AIGC_CUDA_EMULATOR_QUIET", 0) == 0) std::fprintf(stderr, "cuda emulator: %s\n", message.c_str());
}

std::string last_diagnostic() {
    std::lock_guard<std::mutex> lock(device_mutex());
    return last_message;
}

void reset_after_fault() {
    std::lock_guard<std::mutex> lock(device_mutex());
    sticky = cudaSuccess;
    last_error = cudaSuccess;
}

}  // namespace aigc_cuda_emulator

using namespace aigc_cuda_emulator;

const char* cudaGetErrorName(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
        case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
        case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
        case cudaErrorNoDevice: return "cudaErrorNoDevice";
        case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
        case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
        case cudaErrorNotReady: return "cudaErrorNotReady";
        case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
        case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    }
    return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInvalidConfiguration: return "invalid configuration argument";
        case cudaErrorInvalidDevicePointer: return "invalid device pointer";
        case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
        case cudaErrorNoDevice: return "no CUDA-capable device is detected";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
        case cudaErrorInvalidResourceHandle: return "invalid resource handle";
        case cudaErrorNotReady: return "device not ready";
        case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
        case cudaErrorLaunchFailure: return "unspecified launch failure";
    }
    return "unknown error";
}

cudaError_t cudaGetLastError() {
    cudaError_t status = last_error;
    last_error = sticky_status();
    return status;
}

cudaError_t cudaPeekAtLastError() { return last_error; }

cudaError_t cudaGetDeviceCount(int* count) {
    if (!count) return record(cudaErrorInvalidValue);
    *count = device_count();
    return *count ? cudaSuccess : record(cudaErrorNoDevice);
}

cudaError_t cudaGetDevice(int* device) {
    if (!device) return record(cudaErrorInvalidValue);
    *device = 0;
    return device_count() ? cudaSuccess : record(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device) {
    if (!device_count()) return record(cudaErrorNoDevice);
    return device == 0 ? cudaSuccess : record(cudaErrorInvalidDevice);
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device) {
    if (!value) return record(cudaErrorInvalidValue);
    if (device != 0 || !device_count()) return record(cudaErrorInvalidDevice);
    switch (attribute) {
        // As many SMs as an H100/H200 by default, so grid and tile choices follow the same paths.
        case cudaDevAttrMultiProcessorCount: *value = environment_int("AIGC_CUDA_EMULATOR_SMS", 132); break;
        case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
        case cudaDevAttrWarpSize: *value = 32; break;
        case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
        case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
        default: return record(cudaErrorInvalidValue);
    }
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return record(sticky_status()); }

cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
    std::lock_guard<std::mutex> lock(device_mutex());
    DeviceHeap& heap = DeviceHeap::instance();
    if (free_bytes) *free_bytes = heap.capacity() - heap.bytes_in_use();
    if (total_bytes) *total_bytes = heap.capacity();
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
    if (!stream) return record(cudaErrorInvalidValue);
    if (cudaError_t s = sticky_status(); s != cudaSuccess) return record(s);
    *stream = new CUstream_st{flags};
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    delete stream;
    return cudaSuccess;
}

// Every operation of a stream has finished when its call returned.
cudaError_t cudaStreamSynchronize(cudaStream_t) { return record(sticky_status()); }
cudaError_t cudaStreamQuery(cudaStream_t) { return record(sticky_status()); }

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
    if (!event) return record(cudaErrorInvalidValue);
    *event = new CUevent_st();
    (*event)->flags = flags;
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    delete event;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
    if (!event) return record(cudaErrorInvalidResourceHandle);
    event->recorded = true;
    event->when = std::chrono::steady_clock::now();
    return record(sticky_status());
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    if (!event) return record(cudaErrorInvalidResourceHandle);
    return record(sticky_status());
}

cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end) {
    if (!milliseconds || !start || !end) return record(cudaErrorInvalidValue);
    if (!start->recorded || !end->recorded || (start->flags & cudaEventDisableTiming) ||
        (end->flags & cudaEventDisableTiming))
        return record(cudaErrorInvalidResourceHandle);
    *milliseconds = std::chrono::duration<float, std::milli>(end->when - start->when).count();
    return cudaSuccess;
}

cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
    if (!pointer) return record(cudaErrorInvalidValue);
    std::lock_guard<std::mutex> lock(device_mutex());
    if (cudaError_t s = sticky_status(); s != cudaSuccess) return record(s);
    *pointer = nullptr;
    if (bytes == 0) return cudaSuccess;
    void* block = DeviceHeap::instance().allocate(bytes);
    if (!block) return record(cudaErrorMemoryAllocation);
    // cudaMalloc leaves memory uninitialised. All-ones bytes are NaN as float and double, so a
    // kernel that reads memory nobody wrote (accumulating into a fresh buffer, say) shows NaNs
    // here instead of the zeros a fresh mapping would give.
    {
        DeviceAccess access;
        std::memset(block, 0xff, bytes);
    }
    *pointer = block;
    return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
    if (!pointer) return cudaSuccess;
    std::lock_guard<std::mutex> lock(device_mutex());
    if (!DeviceHeap::instance().release(pointer)) {
        std::ostringstream out;
        out << "cudaFree(" << pointer << "): not a live device allocation";
        diagnose(out.str());
        return record(cudaErrorInvalidValue);
    }
    return cudaSuccess;
}

cudaError_t cudaMallocHost(void** pointer, std::size_t bytes) {
    if (!pointer) return record(cudaErrorInvalidValue);
    std::lock_guard<std::mutex> lock(device_mutex());
    void* block = ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t(256), std::nothrow);
    if (!block) return record(cudaErrorMemoryAllocation);
    pinned_blocks()[block] = bytes;
    *pointer = block;
    return cudaSuccess;
}

cudaError_t cudaFreeHost(void* pointer) {
    if (!pointer) return cudaSuccess;
    std::lock_guard<std::mutex> lock(device_mutex());
    if (pinned_blocks().erase(pointer) == 0) return record(cudaErrorInvalidValue);
    ::operator delete(pointer, std::align_val_t(256));
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
    return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (cudaError_t s = sticky_status(); s != cudaSuccess) return record(s);
    if (cudaError_t s = check_copy(dst, src, bytes, kind); s != cudaSuccess) return record(s);
    if (bytes == 0) return cudaSuccess;
    DeviceAccess access;
    std::memmove(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemset(void* dst, int value, std::size_t bytes) { return cudaMemsetAsync(dst, value, bytes, nullptr); }

cudaError_t cudaMemsetAsync(void* dst, int value, std::size_t bytes, cudaStream_t) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (cudaError_t s = sticky_status(); s != cudaSuccess) return record(s);
    if (bytes == 0) return cudaSuccess;
    if (!DeviceHeap::instance().holds(dst, bytes)) {
        std::ostringstream out;
        out << "cudaMemset of " << bytes << " bytes at " << dst << ": not inside one device allocation";
        diagnose(out.str());
        return record(cudaErrorInvalidValue);
    }
    DeviceAccess access;
    std::memset(dst, value, bytes);
    return cudaSuccess;
}
