#pragma once
// What a test can ask the CUDA emulator (see cuda_runtime.h for what it is): whether the program
// runs on it, and the last problem it diagnosed (a fault in a kernel, a rejected copy or launch),
// so tests of the emulator itself can check the message and not only the status.
#include <string>

namespace aigc_cuda_emulator {

constexpr bool active = true;

std::string last_diagnostic();

// Launches run their threads in this order between barriers: forward (thread 0 first, the
// default) or reverse. A kernel whose result depends on it has a race (a missing barrier).
// Also set by the environment variable AIGC_CUDA_EMULATOR_ORDER=forward|reverse.
enum class ThreadOrder { forward, reverse };
void set_thread_order(ThreadOrder order);

// Forgets a sticky fault, so one test of the emulator's fault handling does not end every
// later one (a real GPU would need a new process).
void reset_after_fault();

}  // namespace aigc_cuda_emulator
