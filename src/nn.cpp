// aigc::compiled: every layer for float and double on the CPU (the list is
// AIGC_INSTANTIATE_NN beside <aigc/nn/nn.hpp>; see include/aigc/core/compiled.hpp).
#include <aigc/nn/nn.hpp>

namespace aigc {
AIGC_INSTANTIATE_NN(, float)
AIGC_INSTANTIATE_NN(, double)
}  // namespace aigc
