#pragma once
// aigc::dist on GPUs: NCCL (shipped with the CUDA toolkit) moves Tensor<T, Cuda> between the ranks
// of an MPI communicator, one GPU per rank. MPI starts the processes and hands NCCL its unique id
// (rank 0 makes it, MPI broadcasts it); every gradient byte then goes GPU to GPU over NVLink,
// PCIe or InfiniBand as NCCL chooses. CMake target aigc::dist_nccl, where MPI, the CUDA backend
// and NCCL are all found.
//
//   dist::Session session(argc, argv);
//   dist::NcclCommunicator gpus(session.world());     // selects this rank's GPU first
//   dist::DataParallel<float, Cuda> ddp(gpus, model.named_parameters());
//
// Every NCCL error becomes an aigc::Error naming the call and NCCL's own message. NCCL runs its
// collectives on aigc's stream (cuda::stream()), in order with the kernels around them; waiting
// for one polls the stream and NCCL's asynchronous error, for at most the MPI communicator's
// timeout, after which the NCCL communicator is aborted and the wait throws (a peer that died
// or hangs never leaves a rank waiting forever).
#include <nccl.h>

#include <chrono>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <aigc/dist/communicator.hpp>
#include <aigc/dist/data_parallel.hpp>

#include "../cuda/common.cuh"
#include "../cuda/kernels.cuh"
#include "../cuda/memory.cuh"

namespace aigc::dist {

namespace detail {

inline void check_nccl(ncclResult_t result, const char* call, ncclComm_t comm = nullptr) {
    if (result == ncclSuccess || result == ncclInProgress) return;
    const char* last = comm ? ncclGetLastError(comm) : nullptr;
    aigc::fail(aigc::detail::concat(call, " failed: ", ncclGetErrorString(result),
                                    last && *last ? std::string(" (") + last + ")" : std::string()));
}

template <class T>
ncclDataType_t nccl_type() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t>,
                  "dist: float, double or int64 only");
    if constexpr (std::is_same_v<T, float>) return ncclFloat32;
    else if constexpr (std::is_same_v<T, double>) return ncclFloat64;
    else return ncclInt64;
}

}  // namespace detail

// The GPU a rank of `world` uses: its local rank among the ranks of its machine, modulo the GPUs
// there. Made current (cudaSetDevice) by NcclCommunicator; a program that allocates tensors
// before creating it should call this first, or the tensors land on GPU 0.
inline int select_rank_device(const Communicator& world) {
    int devices = 0;
    cuda::check(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    AIGC_CHECK(devices > 0, "dist::select_rank_device: rank ", world.rank(), " sees no CUDA device");
    const int device = world.local_rank() % devices;
    cuda::check(cudaSetDevice(device), "cudaSetDevice");
    return device;
}

class NcclCommunicator {
public:
    explicit NcclCommunicator(const Communicator& world) : world_(world), device_(select_rank_device(world)) {
        ncclUniqueId id{};
        if (world.rank() == 0) detail::check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
        const std::string shared = world.broadcast_text(std::string(id.internal, sizeof(id.internal)), 0);
        std::copy(shared.begin(), shared.end(), id.internal);
        detail::check_nccl(ncclCommInitRank(&comm_, world.size(), id, world.rank()), "ncclCommInitRank");
    }
    NcclCommunicator(const NcclCommunicator&) = delete;
    NcclCommunicator& operator=(const NcclCommunicator&) = delete;
    ~NcclCommunicator() {
        if (!comm_) return;
        // After a failed wait the communicator may be stuck in a collective: abort, never destroy.
        if (broken_) ncclCommAbort(comm_);
        else ncclCommDestroy(comm_);
    }

    const Communicator& world() const { return world_; }
    int rank() const { return world_.rank(); }
    int size() const { return world_.size(); }
    int device() const { return device_; }
    ncclComm_t handle() const { return comm_; }

    // Starts an in-place sum of `count` device values on aigc's stream; wait() finishes it.
    template <class T>
    void start_sum(T* data, index_t count) const {
        detail::check_nccl(ncclAllReduce(data, data, static_cast<std::size_t>(count), detail::nccl_type<T>(), ncclSum,
                                         comm_, cuda::stream()),
                           "ncclAllReduce", comm_);
    }

    // In place: every rank ends with the elementwise sum (or mean) over all ranks.
    template <class T>
    void all_reduce(Tensor<T, Cuda>& tensor, Reduce op = Reduce::sum) const {
        detail::check_nccl(ncclAllReduce(tensor.data(), tensor.data(), static_cast<std::size_t>(tensor.numel()),
                                         detail::nccl_type<T>(), op == Reduce::mean ? ncclAvg : ncclSum, comm_,
                                         cuda::stream()),
                           "ncclAllReduce", comm_);
        wait("ncclAllReduce");
    }

    // Every rank ends with root's values (same shapes on every rank: check_same_layout).
    template <class T>
    void broadcast(Tensor<T, Cuda>& tensor, int root = 0) const {
        AIGC_CHECK(root >= 0 && root < size(), "dist::NcclCommunicator::broadcast: root ", root, " is not a rank of ",
                   size());
        detail::check_nccl(ncclBroadcast(tensor.data(), tensor.data(), static_cast<std::size_t>(tensor.numel()),
                                         detail::nccl_type<T>(), root, comm_, cuda::stream()),
                           "ncclBroadcast", comm_);
        wait("ncclBroadcast");
    }

    // Until everything enqueued on aigc's stream (collectives included) has finished, at most the
    // world's timeout. A failure NCCL reports asynchronously, or the timeout, throws.
    void wait(const char* what) const {
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        for (long polls = 0;; ++polls) {
            const cudaError_t status = cudaStreamQuery(cuda::stream());
            if (status == cudaSuccess) return;
            if (status != cudaErrorNotReady) cuda::check(status, what);
            ncclResult_t async = ncclSuccess;
            detail::check_nccl(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError", comm_);
            if (async != ncclSuccess && async != ncclInProgress) {
                broken_ = true;
                detail::check_nccl(async, what, comm_);
            }
            const double waited = std::chrono::duration<double>(Clock::now() - start).count();
            if (waited > world_.timeout()) {
                broken_ = true;
                aigc::fail(aigc::detail::concat(what, " on rank ", rank(), " of ", size(), " did not complete within ",
                                                world_.timeout(), " s: another rank died, hangs or stopped calling it; "
                                                "the job is stopped (AIGC_DIST_TIMEOUT sets the limit)"));
            }
            if (polls > 1000) std::this_thread::yield();
        }
    }
    bool broken() const { return broken_; }

private:
    const Communicator& world_;
    int device_;
    ncclComm_t comm_ = nullptr;
    mutable bool broken_ = false;
};

// DataParallel<T, Cuda>: buckets on the GPU, summed by NCCL on aigc's stream.
template <>
struct BucketTransport<Cuda> {
    using Comm = NcclCommunicator;
    struct Pending {};  // collectives on one stream finish in order: waiting for the stream suffices
    static const Communicator& world(const Comm& comm) { return comm.world(); }
    template <class T>
    static void broadcast(const Comm& comm, Tensor<T, Cuda>& tensor) { comm.broadcast(tensor, 0); }
    template <class T>
    static Pending start_sum(const Comm& comm, T* data, index_t count) {
        comm.start_sum(data, count);
        return {};
    }
    static void progress(const Comm&, std::vector<Pending>&) {}  // the GPU moves them on its own
    static void wait_all(const Comm& comm, std::vector<Pending>& started) {
        if (!started.empty()) comm.wait("ncclAllReduce (DataParallel gradients)");
    }
};

}  // namespace aigc::dist
