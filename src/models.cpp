// aigc::compiled: the reference models and trainers for float and double on the CPU (the list is
// AIGC_INSTANTIATE_MODELS beside <aigc/models/models.hpp>; see include/aigc/core/compiled.hpp).
#include <aigc/models/models.hpp>

namespace aigc {
AIGC_INSTANTIATE_MODELS(, float)
AIGC_INSTANTIATE_MODELS(, double)
}  // namespace aigc
