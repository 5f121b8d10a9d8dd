// aigc::compiled: IDX file reading and writing, compiled once (the AIGC_INLINE functions of
// <aigc/data/idx.hpp>; see include/aigc/core/compiled.hpp).
#include <aigc/data/idx_impl.hpp>
