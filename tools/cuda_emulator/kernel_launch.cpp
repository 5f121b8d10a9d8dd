// Runs a kernel launch: validates it like the CUDA runtime, then runs the blocks one after
// another, each block's threads as fibers scheduled round-robin. A fiber runs until it reaches a
// barrier (__syncthreads: the block's; a shuffle or __syncwarp: its warp's) or returns. When every
// thread of a scope waits at its barrier, the scope is released; when nothing can run any more but
// threads still wait, some thread skipped a barrier the others reached, and the launch fails
// naming that barrier, where a GPU would hang or compute garbage.
#include <cuda_emulator.hpp>
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "device_heap.hpp"
#include "fiber.hpp"
#include "runtime_state.hpp"

uint3 threadIdx{0, 0, 0}, blockIdx{0, 0, 0};
dim3 blockDim{1, 1, 1}, gridDim{1, 1, 1};

namespace aigc_cuda_emulator {

namespace {

// Kernel frames are small, but a Debug build's are not: 256 KiB each, reserved, not committed.
constexpr std::size_t stack_bytes = 256 * 1024;
constexpr unsigned int max_threads_per_block = 1024;

enum class ThreadState { runnable, at_block_barrier, at_warp_barrier, finished };

struct EmulatedThread {
    FiberContext context;
    uint3 index{0, 0, 0};
    unsigned int linear = 0;
    ThreadState state = ThreadState::runnable;
};

// Thrown by kernel_fault to unwind the faulting thread's kernel frames back to its fiber entry.
struct KernelFault {};

struct BlockRun {
    void (*body)(void*) = nullptr;
    void* closure = nullptr;
    unsigned int thread_count = 0;
    std::vector<EmulatedThread> threads;
    FiberContext scheduler;
    EmulatedThread* current = nullptr;
    alignas(16) unsigned char slots[max_threads_per_block / 32][32][16];
    std::string fault;  // empty while all is well
};

BlockRun* running = nullptr;
ThreadOrder order = [] {
    const char* env = std::getenv("AIGC_CUDA_EMULATOR_ORDER");
    return env && std::strcmp(env, "reverse") == 0 ? ThreadOrder::reverse : ThreadOrder::forward;
}();

std::vector<std::unique_ptr<FiberStack>>& stack_pool() {
    static auto* pool = new std::vector<std::unique_ptr<FiberStack>>();
    return *pool;
}

void thread_entry(void* argument) {
    auto* thread = static_cast<EmulatedThread*>(argument);
    BlockRun& run = *running;
    try {
        run.body(run.closure);
    } catch (const KernelFault&) {
        // run.fault holds the message
    } catch (...) {
        if (run.fault.empty()) run.fault = "an exception escaped the kernel";
    }
    thread->state = ThreadState::finished;
    switch_fiber(thread->context, run.scheduler);
    std::abort();  // a finished fiber is never resumed
}

// Suspends the running fiber in `state` until the scheduler releases it.
void wait_at(ThreadState state) {
    BlockRun& run = *running;
    EmulatedThread* self = run.current;
    self->state = state;
    switch_fiber(self->context, run.scheduler);
    // resumed: the builtins were restored by the scheduler
}

unsigned int lanes_in_warp(const BlockRun& run, unsigned int warp) {
    unsigned int first = warp * 32;
    unsigned int left = run.thread_count - first;
    return left < 32 ? left : 32;
}

std::string describe(const uint3& v) {
    std::ostringstream out;
    out << "[" << v.x << ", " << v.y << ", " << v.z << "]";
    return out.str();
}

void resume(BlockRun& run, EmulatedThread& thread) {
    threadIdx = thread.index;
    run.current = &thread;
    switch_fiber(run.scheduler, thread.context);
    run.current = nullptr;
}

// Runs one block to completion; returns false with run.fault set when it cannot complete.
bool run_block(BlockRun& run) {
    unsigned int n = run.thread_count;
    for (unsigned int t = 0; t < n; ++t) {
        EmulatedThread& thread = run.threads[t];
        thread.state = ThreadState::runnable;
        make_fiber(thread.context, *stack_pool()[t], &thread_entry, &thread);
    }
    const unsigned int warps = (n + 31) / 32;
    for (;;) {
        for (unsigned int step = 0; step < n; ++step) {
            EmulatedThread& thread = run.threads[order == ThreadOrder::forward ? step : n - 1 - step];
            if (thread.state != ThreadState::runnable) continue;
            resume(run, thread);
            if (!run.fault.empty()) {
                run.fault += " (block " + describe(blockIdx) + ", thread " + describe(thread.index) + ")";
                return false;
            }
        }
        // Nothing is runnable now. Release every warp whose lanes all wait at the warp barrier.
        bool released = false;
        unsigned int finished = 0, at_block = 0;
        for (unsigned int w = 0; w < warps; ++w) {
            unsigned int lanes = lanes_in_warp(run, w), waiting = 0;
            for (unsigned int l = 0; l < lanes; ++l) {
                ThreadState s = run.threads[w * 32 + l].state;
                waiting += s == ThreadState::at_warp_barrier;
                finished += s == ThreadState::finished;
                at_block += s == ThreadState::at_block_barrier;
            }
            if (waiting == lanes) {
                for (unsigned int l = 0; l < lanes; ++l) run.threads[w * 32 + l].state = ThreadState::runnable;
                released = true;
            }
        }
        if (released) continue;
        if (finished == n) return true;
        if (at_block == n) {
            for (EmulatedThread& thread : run.threads) thread.state = ThreadState::runnable;
            continue;
        }
        std::ostringstream out;
        if (at_block > 0) {
            out << "__syncthreads reached by " << at_block << " of " << n << " threads of the block; " << finished
                << " returned without it";
            if (n - at_block - finished > 0) out << " and " << n - at_block - finished << " wait at a warp barrier";
        } else {
            out << "a warp shuffle or __syncwarp was not reached by every lane of its warp (" << finished
                << " threads returned)";
        }
        run.fault = out.str() + " in block " + describe(blockIdx);
        return false;
    }
}

std::string launch_configuration_problem(dim3 grid, dim3 block) {
    std::ostringstream out;
    unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
    if (block.x == 0 || block.y == 0 || block.z == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0)
        out << "a grid or block dimension is 0";
    else if (threads > max_threads_per_block)
        out << threads << " threads per block (at most " << max_threads_per_block << ")";
    else if (block.x > 1024 || block.y > 1024 || block.z > 64)
        out << "block dimensions above [1024, 1024, 64]";
    else if (grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535)
        out << "grid dimensions above [2^31 - 1, 65535, 65535]";
    return out.str();
}

}  // namespace

void barrier_block() {
    if (!running || !running->current) kernel_fault("__syncthreads outside a kernel");
    wait_at(ThreadState::at_block_barrier);
}

void barrier_warp() {
    if (!running || !running->current) kernel_fault("a warp barrier outside a kernel");
    wait_at(ThreadState::at_warp_barrier);
}

unsigned char* warp_slot(unsigned int lane) { return running->slots[running->current->linear / 32][lane]; }

unsigned int lane_id() { return running->current->linear % 32; }

unsigned int live_lane_mask() {
    unsigned int lanes = lanes_in_warp(*running, running->current->linear / 32);
    return lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
}

void kernel_fault(const char* message) {
    if (running && running->current) {
        if (running->fault.empty()) running->fault = message;
        throw KernelFault{};
    }
    diagnose(message);
    std::abort();
}

void set_thread_order(ThreadOrder new_order) { order = new_order; }

cudaError_t run_kernel(dim3 grid, dim3 block, cudaStream_t, const PointerArgument* pointer_arguments,
                       int pointer_count, void (*thread_body)(void*), void* closure) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (cudaError_t sticky = sticky_status(); sticky != cudaSuccess) return record(sticky);
    if (std::string problem = launch_configuration_problem(grid, block); !problem.empty()) {
        diagnose("invalid launch configuration: " + problem);
        return record(cudaErrorInvalidConfiguration);
    }
    for (int i = 0; i < pointer_count; ++i) {
        const void* p = pointer_arguments[i].value;
        if (p && !kernel_may_access(p)) {
            std::ostringstream out;
            out << "kernel argument " << pointer_arguments[i].index << " (" << p
                << ") is neither device memory nor pinned host memory: the kernel would fault";
            diagnose(out.str());
            return record_sticky(cudaErrorIllegalAddress);
        }
    }

    static BlockRun* run = new BlockRun();
    run->body = thread_body;
    run->closure = closure;
    run->thread_count = block.x * block.y * block.z;
    run->fault.clear();
    if (run->threads.size() < run->thread_count) run->threads.resize(run->thread_count);
    while (stack_pool().size() < run->thread_count) stack_pool().push_back(std::make_unique<FiberStack>(stack_bytes));
    for (unsigned int t = 0; t < run->thread_count; ++t) {
        EmulatedThread& thread = run->threads[t];
        thread.linear = t;
        thread.index = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
    }

    DeviceAccess access;
    blockDim = block;
    gridDim = grid;
    running = run;
    bool ok = true;
    for (unsigned int z = 0; z < grid.z && ok; ++z)
        for (unsigned int y = 0; y < grid.y && ok; ++y)
            for (unsigned int x = 0; x < grid.x && ok; ++x) {
                blockIdx = {x, y, z};
                ok = run_block(*run);
            }
    running = nullptr;
    if (!ok) {
        diagnose("kernel fault: " + run->fault);
        return record_sticky(cudaErrorLaunchFailure);
    }
    return cudaSuccess;
}

}  // namespace aigc_cuda_emulator
