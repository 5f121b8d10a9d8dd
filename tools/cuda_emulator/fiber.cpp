#include "fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <stdexcept>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace aigc_cuda_emulator {

FiberStack::FiberStack(std::size_t bytes) {
    std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    usable_ = (bytes + page - 1) / page * page;
    mapped_ = usable_ + page;
    mapping_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping_ == MAP_FAILED) throw std::bad_alloc();
    if (mprotect(mapping_, page, PROT_NONE) != 0) {
        munmap(mapping_, mapped_);
        throw std::runtime_error("cuda emulator: cannot protect a fiber stack's guard page");
    }
    bottom_ = static_cast<char*>(mapping_) + page;
    top_ = static_cast<char*>(mapping_) + mapped_;
}

FiberStack::~FiberStack() { munmap(mapping_, mapped_); }

#if defined(__x86_64__)

struct UcontextState {};

// switch(void** save_stack_pointer, void* load_stack_pointer): pushes the System V callee-saved
// registers, saves the stack pointer, loads the other one and pops its registers. The `ret` then
// continues wherever that fiber switched away (or, the first time, at aigc_emu_fiber_start).
// aigc_emu_fiber_start calls entry(argument), which make_fiber left in r12 and r13; its CFI marks
// the bottom of the fiber's call stack for unwinders and debuggers.
asm(R"(
    .text
    .p2align 4
    .globl aigc_emu_switch
    .type aigc_emu_switch, @function
aigc_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size aigc_emu_switch, .-aigc_emu_switch

    .p2align 4
    .globl aigc_emu_fiber_start
    .type aigc_emu_fiber_start, @function
aigc_emu_fiber_start:
    .cfi_startproc
    .cfi_undefined rip
    movq %r13, %rdi
    callq *%r12
    ud2
    .cfi_endproc
    .size aigc_emu_fiber_start, .-aigc_emu_fiber_start
)");

extern "C" void aigc_emu_switch(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void aigc_emu_fiber_start();

FiberContext::FiberContext() = default;
FiberContext::~FiberContext() = default;
FiberContext::FiberContext(FiberContext&&) noexcept = default;
FiberContext& FiberContext::operator=(FiberContext&&) noexcept = default;

void make_fiber(FiberContext& fiber, FiberStack& stack, void (*entry)(void*), void* argument) {
    // The first switch pops r15, r14, r13, r12, rbx, rbp and returns to aigc_emu_fiber_start with
    // the stack pointer at the 16-byte aligned top, as its `call` needs.
    auto top = reinterpret_cast<std::uintptr_t>(stack.top()) & ~std::uintptr_t(15);
    auto* frame = reinterpret_cast<std::uintptr_t*>(top - 7 * sizeof(std::uintptr_t));
    frame[0] = 0;                                               // r15
    frame[1] = 0;                                               // r14
    frame[2] = reinterpret_cast<std::uintptr_t>(argument);      // r13
    frame[3] = reinterpret_cast<std::uintptr_t>(entry);         // r12
    frame[4] = 0;                                               // rbx
    frame[5] = 0;                                               // rbp
    frame[6] = reinterpret_cast<std::uintptr_t>(&aigc_emu_fiber_start);  // return address
    fiber.stack_pointer = frame;
}

void switch_fiber(FiberContext& from, FiberContext& to) { aigc_emu_switch(&from.stack_pointer, to.stack_pointer); }

#else

struct UcontextState {
    ucontext_t context;
    void (*entry)(void*) = nullptr;
    void* argument = nullptr;
};

namespace {
// makecontext passes int arguments only: the fiber's state travels as two 32-bit halves.
void ucontext_start(unsigned int high, unsigned int low) {
    auto* state = reinterpret_cast<UcontextState*>((static_cast<std::uintptr_t>(high) << 32) | low);
    state->entry(state->argument);
}
}  // namespace

FiberContext::FiberContext() : ucontext(std::make_unique<UcontextState>()) {}
FiberContext::~FiberContext() = default;
FiberContext::FiberContext(FiberContext&&) noexcept = default;
FiberContext& FiberContext::operator=(FiberContext&&) noexcept = default;

void make_fiber(FiberContext& fiber, FiberStack& stack, void (*entry)(void*), void* argument) {
    UcontextState& state = *fiber.ucontext;
    state.entry = entry;
    state.argument = argument;
    getcontext(&state.context);
    state.context.uc_stack.ss_sp = stack.bottom();
    state.context.uc_stack.ss_size = stack.size();
    state.context.uc_link = nullptr;
    auto address = reinterpret_cast<std::uintptr_t>(&state);
    makecontext(&state.context, reinterpret_cast<void (*)()>(&ucontext_start), 2,
                static_cast<unsigned int>(address >> 32), static_cast<unsigned int>(address & 0xffffffffu));
}

void switch_fiber(FiberContext& from, FiberContext& to) { swapcontext(&from.ucontext->context, &to.ucontext->context); }

#endif

}  // namespace aigc_cuda_emulator
