#pragma once
// Data-parallel training of one model over the ranks of a communicator, as PyTorch's
// DistributedDataParallel: every rank holds the same parameters (checked, then broadcast from
// rank 0), computes the loss of its own part of the batch, and ends backward() with the
// gradient of the whole batch: the ranks' gradients weighted by their shares of it (equal shares,
// 1/size, unless set_share says otherwise) and summed.
//
//   dist::DataParallel<float> ddp(world, model.named_parameters());
//   ddp.backward(loss);   // instead of loss.backward()
//   optimizer.step();
//
// or, around code that calls backward() itself (a model's train_step):
//
//   auto synced = ddp.attach();   // every backward on this thread ends with synchronised gradients
//   model.train_step(batch, rng);
//
// Gradients are reduced in buckets of about `bucket_bytes`, filled in reverse parameter order
// (the order backward reaches them). A bucket goes out (MPI_Iallreduce) as soon as backward has
// finished every gradient in it, so communication overlaps the rest of backward; buckets go out
// in index order on every rank, as MPI requires of collectives. A parameter that a backward did
// not reach contributes zeros; a backward that reached none of this object's parameters (a GAN's
// G step, for the D's DataParallel) leaves them alone and sends nothing. As with PyTorch's,
// every rank must reach the same parameters in each backward.
//
// Device D's tensors travel by BucketTransport<D>: MPI on host memory for Cpu (here), NCCL on
// device memory for Cuda (cuda/aigc/dist/nccl.cuh, DataParallel<T, Cuda> over an NcclCommunicator).
#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../autograd/var.hpp"
#include "communicator.hpp"
#include "same_layout.hpp"

namespace aigc::dist {

struct DataParallelOptions {
    std::size_t bucket_bytes = std::size_t(25) << 20;  // PyTorch's default, 25 MiB
};

// How buckets of device D's gradients are summed over the ranks: start_sum begins a sum in place,
// progress lets started ones move during backward, wait_all finishes them (bounded by the
// communicator's timeout). Specialised per device.
template <class D>
struct BucketTransport;

template <>
struct BucketTransport<Cpu> {
    using Comm = Communicator;
    using Pending = MPI_Request;
    static const Communicator& world(const Comm& comm) { return comm; }
    template <class T>
    static void broadcast(const Comm& comm, Tensor<T, Cpu>& tensor) { comm.broadcast(tensor, 0); }
    template <class T>
    static Pending start_sum(const Comm& comm, T* data, index_t count) {
        MPI_Request request;
        detail::check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), detail::datatype<T>(), MPI_SUM,
                                         comm.handle(), &request),
                          "MPI_Iallreduce");
        return request;
    }
    static void progress(const Comm&, std::vector<Pending>& started) {
        int done = 0;
        for (MPI_Request& request : started)
            if (request != MPI_REQUEST_NULL) detail::check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    }
    static void wait_all(const Comm& comm, std::vector<Pending>& started) {
        comm.wait(started.data(), static_cast<int>(started.size()), "MPI_Iallreduce (DataParallel gradients)");
    }
};

template <class T, class D = Cpu>
class DataParallel final : private GradReadyHook<T, D> {
public:
    using Parameters = std::vector<std::pair<std::string, Var<T, D>>>;
    using Transport = BucketTransport<D>;
    using Comm = typename Transport::Comm;

    DataParallel(const Comm& comm, Parameters parameters, DataParallelOptions options = {})
        : comm_(comm), parameters_(std::move(parameters)),
          weight_(T(1) / static_cast<T>(Transport::world(comm).size())) {
        AIGC_CHECK(options.bucket_bytes > 0, "DataParallel: bucket_bytes must be positive");
        nn::NamedTensors<T, D> layout;
        for (const auto& [name, p] : parameters_) layout.emplace_back(name, p.value());
        check_same_layout(Transport::world(comm_), layout, "DataParallel");
        for (auto& [name, p] : parameters_) Transport::broadcast(comm_, p.value());
        // Reverse order: backward finishes the last layers' gradients first.
        Bucket current;
        for (std::size_t i = parameters_.size(); i-- > 0;) {
            const index_t n = parameters_[i].second.numel();
            if (!current.members.empty() &&
                static_cast<std::size_t>(current.size + n) * sizeof(T) > options.bucket_bytes) {
                buckets_.push_back(std::move(current));
                current = Bucket{};
            }
            bucket_of_[&parameters_[i].second.node()] = buckets_.size();
            current.members.push_back(i);
            current.size += n;
        }
        if (!current.members.empty()) buckets_.push_back(std::move(current));
        for (auto& b : buckets_) {
            // MPI counts are int: a single parameter this large would need a bucket of its own in pieces.
            AIGC_CHECK(b.size <= index_t(std::numeric_limits<int>::max()), "DataParallel: a bucket of ", b.size,
                       " elements exceeds MPI's count limit");
            b.buffer = Tensor<T, D>(Shape{b.size});
        }
    }
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;
    ~DataParallel() { detach(); }

    // This rank's part of the whole batch, `samples` of `total`: its gradient counts that much. A
    // loss that is a mean over the rank's samples then sums to the mean over the whole batch, also
    // when a short last batch splits unevenly. Same on every rank until changed: 1 / size.
    void set_share(index_t samples, index_t total) {
        AIGC_CHECK(samples > 0 && samples <= total, "DataParallel::set_share: ", samples, " samples of ", total);
        weight_ = static_cast<T>(static_cast<double>(samples) / static_cast<double>(total));
    }

    // While the returned object lives, every backward() on this thread ends with this object's
    // parameters' gradients synchronised (several DataParallel objects may be attached at once).
    class Attached {
    public:
        explicit Attached(DataParallel& ddp) : ddp_(&ddp) {
            auto& hooks = grad_ready_hooks<T, D>();
            GradReadyHook<T, D>* hook = ddp_;
            AIGC_CHECK(std::find(hooks.begin(), hooks.end(), hook) == hooks.end(),
                       "DataParallel::attach: already attached on this thread");
            hooks.push_back(hook);
        }
        Attached(Attached&& other) noexcept : ddp_(std::exchange(other.ddp_, nullptr)) {}
        Attached(const Attached&) = delete;
        Attached& operator=(const Attached&) = delete;
        Attached& operator=(Attached&&) = delete;
        ~Attached() {
            if (ddp_) ddp_->detach();
        }

    private:
        DataParallel* ddp_;
    };
    [[nodiscard]] Attached attach() { return Attached(*this); }

    // loss.backward(), with every parameter's gradient then the whole batch's.
    void backward(Var<T, D>& loss) {
        Attached attached = attach();
        loss.backward();  // on a throw this rank stops; the others fail or time out in their collectives
    }

    std::size_t buckets() const { return buckets_.size(); }
    // Buckets of the last backward() that went out before backward itself had finished.
    std::size_t launched_during_backward() const { return launched_during_backward_; }

private:
    struct Bucket {
        std::vector<std::size_t> members;  // parameter indices, in bucket order
        index_t size = 0;                  // elements
        Tensor<T, D> buffer;               // [size], where the sum happens
        std::size_t waiting = 0;           // gradients not yet final in this backward
    };

    void detach() {
        auto& hooks = grad_ready_hooks<T, D>();
        GradReadyHook<T, D>* hook = this;
        hooks.erase(std::remove(hooks.begin(), hooks.end(), hook), hooks.end());
    }

    void backward_started() override {
        for (auto& b : buckets_) b.waiting = b.members.size();
        // Left by a backward that threw after sending: those collectives can only time out.
        started_.clear();
        next_bucket_ = 0;
        launched_during_backward_ = 0;
        reached_ = false;
        in_backward_ = true;
    }

    void backward_finished() override {
        in_backward_ = false;
        if (!reached_) return;  // none of ours: nothing to synchronise
        // Parameters backward did not reach: their buckets go now, in order, with zeros there.
        for (auto& b : buckets_) b.waiting = 0;
        launch_ready_buckets();
        Transport::wait_all(comm_, started_);
        started_.clear();
        for (auto& b : buckets_) {
            index_t offset = 0;
            for (std::size_t i : b.members) {
                Var<T, D>& p = parameters_[i].second;
                if (!p.has_grad()) p.grad() = Tensor<T, D>(p.value().shape());
                Kernels<D>::copy(p.numel(), b.buffer.data() + offset, p.grad().data());
                offset += p.numel();
            }
        }
    }

    void gradient_ready(Node<T, D>& leaf) override {
        auto found = bucket_of_.find(&leaf);
        if (found == bucket_of_.end()) return;  // a leaf of another model
        reached_ = true;
        Bucket& b = buckets_[found->second];
        if (b.waiting > 0 && --b.waiting == 0) launch_ready_buckets();
        // Lets the buckets already out move along while backward goes on.
        Transport::progress(comm_, started_);
    }

    // Sends every bucket, in index order, whose gradients are all final.
    void launch_ready_buckets() {
        while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].waiting == 0) {
            Bucket& b = buckets_[next_bucket_++];
            index_t offset = 0;
            for (std::size_t i : b.members) {
                const Var<T, D>& p = parameters_[i].second;
                T* dst = b.buffer.data() + offset;
                if (p.has_grad()) {  // this rank's gradient, weighted by its share of the batch
                    Kernels<D>::transform(1, p.numel(), fn::Affine<T>{weight_, T(0)}, dst,
                                          In<T>::full(p.grad().data(), p.numel()), false);
                } else {
                    Kernels<D>::fill(p.numel(), T(0), dst);
                }
                offset += p.numel();
            }
            started_.push_back(Transport::start_sum(comm_, b.buffer.data(), b.size));
            if (in_backward_) ++launched_during_backward_;
        }
    }

    const Comm& comm_;
    Parameters parameters_;
    std::vector<Bucket> buckets_;
    std::vector<typename Transport::Pending> started_;  // this backward's sums, in bucket order
    std::unordered_map<const Node<T, D>*, std::size_t> bucket_of_;  // parameter node -> bucket
    std::size_t next_bucket_ = 0;
    std::size_t launched_during_backward_ = 0;
    bool in_backward_ = false;
    bool reached_ = false;
    T weight_;
};

}  // namespace aigc::dist
