// The emulated NCCL (see include/nccl.h). Buffers must be device memory, as NCCL requires; the
// data moves under the device lock with device memory opened (DeviceAccess), like a copy.
#include <nccl.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>

#if defined(AIGC_EMULATOR_HAVE_MPI)
#include <mpi.h>
#endif

#include "device_heap.hpp"
#include "runtime_state.hpp"

struct ncclComm {
    int ranks = 1;
    int rank = 0;
};

namespace {

using namespace aigc_cuda_emulator;

std::string& last_error() {
    static std::string text;
    return text;
}

ncclResult_t refuse(ncclResult_t result, const std::string& message) {
    last_error() = message;
    diagnose("nccl: " + message);
    return result;
}

std::size_t element_bytes(ncclDataType_t type) {
    switch (type) {
    case ncclInt8: case ncclUint8: return 1;
    case ncclFloat16: case ncclBfloat16: return 2;
    case ncclInt32: case ncclUint32: case ncclFloat32: return 4;
    case ncclInt64: case ncclUint64: case ncclFloat64: return 8;
    }
    return 0;
}

// The checks NCCL makes before it enqueues: a communicator, a type this emulator reduces, device buffers.
ncclResult_t admit(const char* call, ncclComm_t comm, const void* send, const void* recv, std::size_t count,
                   ncclDataType_t type) {
    if (!comm) return refuse(ncclInvalidArgument, std::string(call) + ": no communicator");
    if (type != ncclFloat32 && type != ncclFloat64 && type != ncclInt64)
        return refuse(ncclInvalidArgument, std::string(call) + ": the emulator reduces float, double and int64 only");
    if (sticky_status() != cudaSuccess) return refuse(ncclUnhandledCudaError, std::string(call) + ": the device has failed");
    const std::size_t bytes = count * element_bytes(type);
    if (count > 0 && (!DeviceHeap::instance().holds(send, bytes) || !DeviceHeap::instance().holds(recv, bytes)))
        return refuse(ncclInvalidArgument, std::string(call) + ": a buffer is not (wholly) device memory");
    return ncclSuccess;
}

#if defined(AIGC_EMULATOR_HAVE_MPI)
MPI_Datatype mpi_type(ncclDataType_t type) {
    return type == ncclFloat32 ? MPI_FLOAT : type == ncclFloat64 ? MPI_DOUBLE : MPI_INT64_T;
}
#endif

template <class T>
void divide(void* data, std::size_t count, int ranks) {
    T* values = static_cast<T*>(data);
    for (std::size_t i = 0; i < count; ++i) values[i] /= static_cast<T>(ranks);
}

}  // namespace

ncclResult_t ncclGetVersion(int* version) {
    if (!version) return ncclInvalidArgument;
    *version = NCCL_VERSION_CODE;
    return ncclSuccess;
}

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
    if (!id) return ncclInvalidArgument;
    std::memset(id->internal, 0, sizeof(id->internal));
    std::snprintf(id->internal, sizeof(id->internal), "aigc-emulated-nccl pid %ld", static_cast<long>(getpid()));
    return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank) {
    if (!comm || nranks < 1 || rank < 0 || rank >= nranks)
        return refuse(ncclInvalidArgument, "ncclCommInitRank: rank " + std::to_string(rank) + " of " + std::to_string(nranks));
    if (nranks > 1) {
#if defined(AIGC_EMULATOR_HAVE_MPI)
        int initialized = 0, world_size = 0, world_rank = 0;
        MPI_Initialized(&initialized);
        if (!initialized) return refuse(ncclInvalidUsage, "ncclCommInitRank: several ranks need MPI initialised");
        MPI_Comm_size(MPI_COMM_WORLD, &world_size);
        MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
        if (world_size != nranks || world_rank != rank)
            return refuse(ncclInvalidUsage, "ncclCommInitRank: rank " + std::to_string(rank) + " of " +
                                                std::to_string(nranks) + " must be MPI world rank " +
                                                std::to_string(world_rank) + " of " + std::to_string(world_size));
        // Every rank must hold the id rank 0 made: compare them, as NCCL's bootstrap would fail.
        char root_id[NCCL_UNIQUE_ID_BYTES];
        std::memcpy(root_id, id.internal, sizeof(root_id));
        MPI_Bcast(root_id, NCCL_UNIQUE_ID_BYTES, MPI_CHAR, 0, MPI_COMM_WORLD);
        int same = std::memcmp(root_id, id.internal, sizeof(root_id)) == 0, all_same = 0;
        MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (!all_same) return refuse(ncclInvalidUsage, "ncclCommInitRank: the ranks hold different unique ids");
#else
        (void)id;
        return refuse(ncclInvalidUsage, "ncclCommInitRank: this emulator was built without MPI; one rank only");
#endif
    }
    *comm = new ncclComm{nranks, rank};
    return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
    delete comm;
    return ncclSuccess;
}
ncclResult_t ncclCommAbort(ncclComm_t comm) {
    delete comm;
    return ncclSuccess;
}
ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* error) {
    if (!comm || !error) return ncclInvalidArgument;
    *error = ncclSuccess;  // operations finish (or fail) before they return
    return ncclSuccess;
}
ncclResult_t ncclCommCount(const ncclComm_t comm, int* count) {
    if (!comm || !count) return ncclInvalidArgument;
    *count = comm->ranks;
    return ncclSuccess;
}
ncclResult_t ncclCommUserRank(const ncclComm_t comm, int* rank) {
    if (!comm || !rank) return ncclInvalidArgument;
    *rank = comm->rank;
    return ncclSuccess;
}

const char* ncclGetErrorString(ncclResult_t result) {
    switch (result) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
    case ncclSystemError: return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
    case ncclInternalError: return "internal error - please report this issue to the NCCL developers";
    case ncclInvalidArgument: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
    case ncclInvalidUsage: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
    case ncclRemoteError: return "remote process exited or there was a network error";
    case ncclInProgress: return "NCCL operation in progress";
    default: return "unknown result code";
    }
}
const char* ncclGetLastError(ncclComm_t) { return last_error().c_str(); }

ncclResult_t ncclAllReduce(const void* send, void* recv, size_t count, ncclDataType_t type, ncclRedOp_t op,
                           ncclComm_t comm, cudaStream_t) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (ncclResult_t r = admit("ncclAllReduce", comm, send, recv, count, type); r != ncclSuccess) return r;
    if (op != ncclSum && op != ncclAvg) return refuse(ncclInvalidArgument, "ncclAllReduce: the emulator sums and averages only");
    DeviceAccess access;
    const std::size_t bytes = count * element_bytes(type);
    if (comm->ranks == 1) {
        if (send != recv) std::memmove(recv, send, bytes);
        return ncclSuccess;
    }
#if defined(AIGC_EMULATOR_HAVE_MPI)
    if (MPI_Allreduce(send == recv ? MPI_IN_PLACE : send, recv, static_cast<int>(count), mpi_type(type), MPI_SUM,
                      MPI_COMM_WORLD) != MPI_SUCCESS)
        return refuse(ncclRemoteError, "ncclAllReduce: MPI_Allreduce failed");
    if (op == ncclAvg) {
        if (type == ncclFloat32) divide<float>(recv, count, comm->ranks);
        else if (type == ncclFloat64) divide<double>(recv, count, comm->ranks);
        else divide<std::int64_t>(recv, count, comm->ranks);
    }
#endif
    return ncclSuccess;
}

ncclResult_t ncclBroadcast(const void* send, void* recv, size_t count, ncclDataType_t type, int root, ncclComm_t comm,
                           cudaStream_t) {
    std::lock_guard<std::mutex> lock(device_mutex());
    if (ncclResult_t r = admit("ncclBroadcast", comm, comm && comm->rank == root ? send : recv, recv, count, type);
        r != ncclSuccess)
        return r;
    if (root < 0 || root >= comm->ranks)
        return refuse(ncclInvalidArgument, "ncclBroadcast: root " + std::to_string(root) + " of " + std::to_string(comm->ranks));
    DeviceAccess access;
    if (comm->rank == root && send != recv) std::memmove(recv, send, count * element_bytes(type));
#if defined(AIGC_EMULATOR_HAVE_MPI)
    if (comm->ranks > 1 &&
        MPI_Bcast(recv, static_cast<int>(count), mpi_type(type), root, MPI_COMM_WORLD) != MPI_SUCCESS)
        return refuse(ncclRemoteError, "ncclBroadcast: MPI_Bcast failed");
#endif
    return ncclSuccess;
}
