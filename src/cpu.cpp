// aigc::compiled: the tensor and the heaviest CPU kernels for float and double on the CPU (the list is
// AIGC_INSTANTIATE_CPU beside <aigc/cpu.hpp>; see include/aigc/core/compiled.hpp).
#include <aigc/cpu.hpp>

namespace aigc {
AIGC_INSTANTIATE_CPU(, float)
AIGC_INSTANTIATE_CPU(, double)
}  // namespace aigc
