// aigc::compiled: every optimizer and gradient clipping for float and double on the CPU (the list is
// AIGC_INSTANTIATE_OPTIM beside <aigc/optim/optim.hpp>; see include/aigc/core/compiled.hpp).
#include <aigc/optim/optim.hpp>

namespace aigc {
AIGC_INSTANTIATE_OPTIM(, float)
AIGC_INSTANTIATE_OPTIM(, double)
}  // namespace aigc
