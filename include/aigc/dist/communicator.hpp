#pragma once
// Processes that train one model together, through MPI (Open MPI from Debian). This is the
// distributed layer's only way to talk: no sockets or protocol of our own. Programs include it
// and link the aigc::dist target (CMake option AIGC_ENABLE_MPI, on where MPI is found); nothing
// else in the library needs MPI, so a build without it is unchanged.
//
//   dist::Session session(argc, argv);        // MPI_Init, or nothing when not under mpirun
//   dist::Communicator& world = session.world();
//   world.all_reduce(gradient, dist::Reduce::mean);
//
// Every MPI call's error becomes an aigc::Error naming the call and MPI's own message (the
// communicator is set to MPI_ERRORS_RETURN; the default would abort the whole job silently).
//
// No collective waits forever. A rank that died or hangs leaves the others blocked in their next
// collective, so each one is started non-blocking and waited for at most `timeout` (default 60 s,
// Communicator::set_timeout or AIGC_DIST_TIMEOUT in seconds); past it the call throws an
// aigc::Error naming the collective and the wait, and the Session ends the job with MPI_Abort
// (a collective cannot be cancelled, so finalising normally would hang).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <type_traits>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "launcher.hpp"

namespace aigc::dist {

enum class Reduce { sum, mean };

namespace detail {

inline void check_mpi(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    aigc::fail(aigc::detail::concat(call, " failed: ", length > 0 ? std::string(text, length) : "unknown MPI error",
                                    " (code ", code, ")"));
}

template <class T>
MPI_Datatype datatype() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t>,
                  "dist: float, double or int64 only");
    if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
    else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
    else return MPI_INT64_T;
}

}  // namespace detail

// A group of processes (MPI_COMM_WORLD duplicated, so our traffic never mixes with a user's).
class Communicator {
public:
    explicit Communicator(MPI_Comm parent) {
        detail::check_mpi(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup");
        detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
        detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
        // Ranks on this machine, numbered from 0: picks a GPU per rank.
        MPI_Comm local;
        detail::check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
                          "MPI_Comm_split_type");
        detail::check_mpi(MPI_Comm_rank(local, &local_rank_), "MPI_Comm_rank");
        detail::check_mpi(MPI_Comm_size(local, &local_size_), "MPI_Comm_size");
        detail::check_mpi(MPI_Comm_free(&local), "MPI_Comm_free");
        if (const char* env = std::getenv("AIGC_DIST_TIMEOUT")) {
            char* end = nullptr;
            double seconds = std::strtod(env, &end);
            AIGC_CHECK(end != env && *end == '\0' && seconds > 0, "AIGC_DIST_TIMEOUT: expected seconds > 0, got '",
                       env, "'");
            set_timeout(seconds);
        }
    }
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;
    ~Communicator() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Comm_free(&comm_);
    }

    int rank() const { return rank_; }
    int size() const { return size_; }
    int local_rank() const { return local_rank_; }
    int local_size() const { return local_size_; }
    MPI_Comm handle() const { return comm_; }

    // How long a collective may wait for the other ranks before it gives up (see the top).
    void set_timeout(double seconds) {
        AIGC_CHECK(seconds > 0, "dist::Communicator::set_timeout: seconds must be positive, given ", seconds);
        timeout_ = seconds;
    }
    double timeout() const { return timeout_; }
    // Whether a collective timed out: the job can only be aborted (Session does).
    bool broken() const { return broken_; }

    // Waits for started requests, at most timeout(): MPI_Testall in a loop. Open MPI moves a
    // non-blocking collective on only inside MPI calls, so the loop never sleeps (a 1 ms sleep
    // between tests made a 1 MiB all-reduce take 2.8 ms instead of ~0.2); past the first polls it
    // yields the core, for ranks that share one.
    void wait(MPI_Request* requests, int count, const char* call) const {
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        for (long polls = 0;; ++polls) {
            int done = 0;
            detail::check_mpi(MPI_Testall(count, requests, &done, MPI_STATUSES_IGNORE), call);
            if (done) return;
            const double waited = std::chrono::duration<double>(Clock::now() - start).count();
            if (waited > timeout_) {
                broken_ = true;
                aigc::fail(aigc::detail::concat(call, " on rank ", rank_, " of ", size_, " did not complete within ",
                                                timeout_, " s: another rank died, hangs or stopped calling it; the "
                                                "job is stopped (AIGC_DIST_TIMEOUT sets the limit)"));
            }
            if (polls > 1000) std::this_thread::yield();
        }
    }
    void wait(MPI_Request& request, const char* call) const { wait(&request, 1, call); }

    // In place: every rank ends with the elementwise sum (or mean) over all ranks.
    template <class T>
    void all_reduce(Tensor<T, Cpu>& tensor, Reduce op = Reduce::sum) const {
        all_reduce(tensor.data(), tensor.numel(), op);
    }
    template <class T>
    void all_reduce(T* data, index_t count, Reduce op = Reduce::sum) const {
        // MPI counts are int: large tensors go in pieces.
        constexpr index_t piece = index_t(1) << 30;
        for (index_t first = 0; first < count; first += piece) {
            int n = static_cast<int>(std::min(piece, count - first));
            MPI_Request request;
            detail::check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data + first, n, detail::datatype<T>(), MPI_SUM, comm_,
                                             &request),
                              "MPI_Iallreduce");
            wait(request, "MPI_Iallreduce");
        }
        if (op == Reduce::mean && size_ > 1) {
            const T scale = T(1) / static_cast<T>(size_);
            for (index_t i = 0; i < count; ++i) data[i] *= scale;
        }
    }

    // Every rank ends with root's values; the shapes must already agree (check_same_shapes).
    template <class T>
    void broadcast(Tensor<T, Cpu>& tensor, int root = 0) const {
        check_root(root, "broadcast");
        constexpr index_t piece = index_t(1) << 30;
        for (index_t first = 0; first < tensor.numel(); first += piece) {
            int n = static_cast<int>(std::min(piece, tensor.numel() - first));
            bcast(tensor.data() + first, n, detail::datatype<T>(), root);
        }
    }

    void barrier() const {
        MPI_Request request;
        detail::check_mpi(MPI_Ibarrier(comm_, &request), "MPI_Ibarrier");
        wait(request, "MPI_Ibarrier");
    }

    // The smallest of every rank's value.
    std::int64_t all_min(std::int64_t value) const {
        MPI_Request request;
        detail::check_mpi(MPI_Iallreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_MIN, comm_, &request),
                          "MPI_Iallreduce");
        wait(request, "MPI_Iallreduce");
        return value;
    }

    // Root's text on every rank.
    std::string broadcast_text(const std::string& text, int root = 0) const {
        check_root(root, "broadcast_text");
        std::int64_t length = static_cast<std::int64_t>(text.size());
        bcast(&length, 1, MPI_INT64_T, root);
        std::string out = rank_ == root ? text : std::string(static_cast<std::size_t>(length), '\0');
        bcast(out.data(), static_cast<int>(length), MPI_CHAR, root);
        return out;
    }

private:
    void bcast(void* data, int count, MPI_Datatype type, int root) const {
        MPI_Request request;
        detail::check_mpi(MPI_Ibcast(data, count, type, root, comm_, &request), "MPI_Ibcast");
        wait(request, "MPI_Ibcast");
    }

    void check_root(int root, const char* what) const {
        AIGC_CHECK(root >= 0 && root < size_, "dist::Communicator::", what, ": root ", root, " is not a rank of ", size_);
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
    double timeout_ = 60.0;
    mutable bool broken_ = false;
};

// MPI's lifetime in a program: initialised here (serialised threads: a background thread may
// call MPI, one call at a time) and finalised at the end of scope. Without a launcher, MPI is
// still initialised (Open MPI runs as a singleton), so the same program runs alone or under mpirun.
class Session {
public:
    Session(int& argc, char**& argv) {
        int initialized = 0;
        detail::check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
        if (!initialized) {
            int provided = 0;
            detail::check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
            owns_ = true;
            AIGC_CHECK(provided >= MPI_THREAD_SERIALIZED, "dist::Session: this MPI provides thread level ", provided,
                       ", below MPI_THREAD_SERIALIZED");
        }
        world_ = new Communicator(MPI_COMM_WORLD);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() {
        // After a timed-out collective, finalising would wait for it forever: end every rank.
        if (world_->broken()) MPI_Abort(MPI_COMM_WORLD, 1);
        delete world_;
        if (owns_) MPI_Finalize();
    }

    Communicator& world() { return *world_; }

private:
    Communicator* world_ = nullptr;
    bool owns_ = false;
};

}  // namespace aigc::dist
