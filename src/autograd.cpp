// aigc::compiled: the graph types, every op and loss for float and double on the CPU (the list is
// AIGC_INSTANTIATE_AUTOGRAD beside <aigc/autograd/autograd.hpp>; see include/aigc/core/compiled.hpp).
#include <aigc/autograd/autograd.hpp>

namespace aigc {
AIGC_INSTANTIATE_AUTOGRAD(, float)
AIGC_INSTANTIATE_AUTOGRAD(, double)
}  // namespace aigc
