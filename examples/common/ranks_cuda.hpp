#pragma once
// ranks.hpp's GPU half: on several ranks, --device cuda combines gradients with NCCL, GPU to GPU
// (cuda/aigc/dist/nccl.cuh). Included by each program's CUDA half (<program>_cuda.cu) before its
// commands, so that GradientSync<T, Cuda> finds it.
#include "ranks.hpp"

#if defined(AIGC_HAVE_MPI) && defined(AIGC_HAVE_NCCL)
#include <aigc/dist/nccl.cuh>
#endif

namespace examples {

#if defined(AIGC_HAVE_MPI) && defined(AIGC_HAVE_NCCL)
template <>
struct DeviceLink<aigc::Cuda> {
    using Comm = aigc::dist::NcclCommunicator;
    // One per run, on the GPU require_cuda_device chose for this rank.
    static std::shared_ptr<const Comm> open() { return std::make_shared<const Comm>(*world_pointer()); }
};
#else
// Without NCCL (or MPI) there is no way to combine GPU gradients: one GPU, one process.
template <class T>
class GradientSync<T, aigc::Cuda> {
public:
    using Group = std::vector<std::pair<std::string, aigc::Var<T, aigc::Cuda>>>;
    explicit GradientSync(const std::vector<Group>&) {
        AIGC_CHECK(!ranks().distributed(), ranks().prefix(),
                   "training on several ranks with --device cuda needs NCCL, and this program was built without it "
                   "(CMake found no nccl.h and libnccl); train with --device cpu under mpirun, or on one GPU without "
                   "mpirun");
    }
    struct Step {};
    Step step(const aigc::SampleRows&) { return {}; }
};
#endif

}  // namespace examples
