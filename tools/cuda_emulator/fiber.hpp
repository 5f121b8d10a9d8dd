#pragma once
// Cooperative fibers for the emulated CUDA threads: a fiber runs until it switches back to the
// scheduler, which resumes it later exactly there. On x86-64 the switch is a few instructions
// (callee-saved registers and the stack pointer); elsewhere it falls back to ucontext, which is
// correct but makes a system call per switch.
#include <cstddef>
#include <memory>

namespace aigc_cuda_emulator {

// A stack for one fiber, with an inaccessible guard page below it so an overflow faults at once.
class FiberStack {
public:
    explicit FiberStack(std::size_t bytes);
    ~FiberStack();
    FiberStack(const FiberStack&) = delete;
    FiberStack& operator=(const FiberStack&) = delete;
    void* top() const { return top_; }
    std::size_t size() const { return usable_; }
    void* bottom() const { return bottom_; }

private:
    void* mapping_ = nullptr;
    std::size_t mapped_ = 0, usable_ = 0;
    void* bottom_ = nullptr;
    void* top_ = nullptr;
};

// The saved state of a suspended fiber (or of the scheduler while a fiber runs).
struct FiberContext {
    void* stack_pointer = nullptr;  // x86-64
    std::unique_ptr<struct UcontextState> ucontext;  // other architectures
    FiberContext();
    ~FiberContext();
    FiberContext(FiberContext&&) noexcept;
    FiberContext& operator=(FiberContext&&) noexcept;
};

// Prepares `fiber` to run entry(argument) on `stack` when first switched to. `entry` must never
// return: it ends by switching away for the last time.
void make_fiber(FiberContext& fiber, FiberStack& stack, void (*entry)(void*), void* argument);

// Saves the running context into `from` and continues `to`.
void switch_fiber(FiberContext& from, FiberContext& to);

}  // namespace aigc_cuda_emulator
