#pragma once
// The processes of one training run. Started by mpirun (MPI detected at start-up, in
// examples::run), a trainer is one rank of many: every rank trains on its own rows of each whole
// batch and gradients are combined over the ranks (dist::DataParallel), so N ranks at --batch b
// take the steps one process at --batch N*b takes; rank 0 alone touches the run folder. Started
// alone it is one process and nothing here communicates.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <aigc/all.hpp>
#include <aigc/dist/launcher.hpp>

#if defined(AIGC_HAVE_MPI)
#include <aigc/dist/communicator.hpp>
#include <aigc/dist/data_parallel.hpp>
#endif

namespace examples {

#if defined(AIGC_HAVE_MPI)
using World = aigc::dist::Communicator;
#else
struct World {  // never constructed: a build without MPI has one process
    int rank() const { return 0; }
    int size() const { return 1; }
};
#endif

// The run's world, set by examples::run when MPI started this process; null otherwise.
inline World*& world_pointer() {
    static World* world = nullptr;
    return world;
}

class Ranks {
public:
    int rank() const { return world() ? world()->rank() : 0; }
    int size() const { return world() ? world()->size() : 1; }
    bool is_root() const { return rank() == 0; }
    bool distributed() const { return size() > 1; }
    // Ranks on this machine (they share its cores and GPUs), and this one's place among them.
    int local_size() const {
#if defined(AIGC_HAVE_MPI)
        if (world()) return world()->local_size();
#endif
        return 1;
    }
    int local_rank() const {
#if defined(AIGC_HAVE_MPI)
        if (world()) return world()->local_rank();
#endif
        return 0;
    }

    // "rank 1 of 4: " in messages of a distributed run, nothing otherwise.
    std::string prefix() const {
        return distributed() ? "rank " + std::to_string(rank()) + " of " + std::to_string(size()) + ": " : "";
    }

    // Runs `work` on rank 0 alone (what touches the run folder). Every rank learns whether it
    // succeeded: on failure rank 0 throws its own error and the others stop saying so, instead
    // of waiting in the next collective until the timeout.
    void on_root([[maybe_unused]] const std::string& what, const std::function<void()>& work) const {
        if (!distributed()) {
            work();
            return;
        }
#if defined(AIGC_HAVE_MPI)
        std::exception_ptr failure;
        if (is_root()) {
            try {
                work();
            } catch (...) {
                failure = std::current_exception();
            }
        }
        const bool ok = world()->all_min(failure ? 0 : 1) == 1;
        if (failure) std::rethrow_exception(failure);
        AIGC_CHECK(ok, prefix(), "rank 0 failed while ", what, " (its error says why); stopping");
#endif
    }

    // Rank 0's text on every rank.
    std::string share_text(const std::string& text) const {
#if defined(AIGC_HAVE_MPI)
        if (distributed()) return world()->broadcast_text(text, 0);
#endif
        return text;
    }

    // Rank 0's tensors (names, shapes and values) on every rank: what a resumed run's model and
    // optimizers load. The others cannot hold them already (an optimizer has no moments before its
    // first step), so rank 0 says what there is first.
    template <class T, class D>
    aigc::nn::NamedTensors<T, D> share_tensors(aigc::nn::NamedTensors<T, D> tensors) const {
        if (!distributed()) return tensors;
#if defined(AIGC_HAVE_MPI)
        std::ostringstream layout;
        for (const auto& [name, tensor] : tensors) {
            layout << name << '\n' << tensor.rank();
            for (int d = 0; d < tensor.rank(); ++d) layout << ' ' << tensor.shape()[d];
            layout << '\n';
        }
        std::istringstream shared(share_text(layout.str()));
        if (!is_root()) {
            tensors.clear();
            std::string name;
            while (std::getline(shared, name)) {
                int rank = 0;
                shared >> rank;
                std::vector<aigc::index_t> dims(static_cast<std::size_t>(rank));
                for (auto& d : dims) shared >> d;
                shared.ignore(1);
                AIGC_CHECK(static_cast<bool>(shared), "the tensor list from rank 0 is malformed");
                tensors.emplace_back(name, aigc::Tensor<T, D>(aigc::Shape(dims.begin(), dims.end())));
            }
        }
        for (auto& [name, tensor] : tensors) {
            if constexpr (std::is_same_v<D, aigc::Cpu>) {
                world()->broadcast(tensor, 0);
            } else {  // through the host: a checkpoint's tensors move once per run
                auto host = tensor.template to<aigc::Cpu>();
                world()->broadcast(host, 0);
                tensor.copy_from(host.template to<D>());
            }
        }
#endif
        return tensors;
    }

    // The whole batch's step values from every rank's own: each weighted by its share of the
    // batch and summed (a mean over the rank's rows becomes the mean over the whole batch). Also
    // whether any rank was asked to stop, so that all stop after the same step.
    bool combine_step([[maybe_unused]] std::vector<double>& values, [[maybe_unused]] const aigc::SampleRows& rows,
                      bool stop_here) const {
        if (!distributed()) return stop_here;
#if defined(AIGC_HAVE_MPI)
        const double weight = static_cast<double>(rows.count) / static_cast<double>(rows.total);
        std::vector<double> all;
        for (double v : values) all.push_back(v * weight);
        all.push_back(stop_here ? 1.0 : 0.0);
        world()->all_reduce(all.data(), static_cast<aigc::index_t>(all.size()), aigc::dist::Reduce::sum);
        for (std::size_t k = 0; k < values.size(); ++k) values[k] = all[k];
        return all.back() > 0;
#else
        return stop_here;
#endif
    }

private:
    static World* world() { return world_pointer(); }
};

inline const Ranks& ranks() {
    static const Ranks instance;
    return instance;
}

// Training-set loader options for this rank: --batch rows of every whole batch of --batch * ranks.
inline aigc::data::LoaderOptions this_ranks_rows(aigc::data::LoaderOptions options) {
    options.rank = ranks().rank();
    options.ranks = ranks().size();
    return options;
}

// The communicator device D's gradients travel over: MPI's world for the CPU; NCCL's for GPUs
// (ranks_cuda.hpp, included by the programs' CUDA halves).
template <class D>
struct DeviceLink;
#if defined(AIGC_HAVE_MPI)
template <>
struct DeviceLink<aigc::Cpu> {
    using Comm = aigc::dist::Communicator;
    static std::shared_ptr<const Comm> open() { return {world_pointer(), [](const Comm*) {}}; }  // not ours
};
#endif

// Gradient synchronisation for one run: a dist::DataParallel per group of parameters (one per
// optimizer: a backward through one group leaves the others alone). Nothing in one process.
template <class T, class D>
class GradientSync {
public:
    using Group = std::vector<std::pair<std::string, aigc::Var<T, D>>>;  // a model's named_parameters()

    explicit GradientSync([[maybe_unused]] const std::vector<Group>& groups) {
        if (!ranks().distributed()) return;
#if defined(AIGC_HAVE_MPI)
        comm_ = DeviceLink<D>::open();
        for (const auto& group : groups) members_.push_back(std::make_unique<aigc::dist::DataParallel<T, D>>(*comm_, group));
#endif
    }

    // Attached for one step: every backward in it ends with the whole batch's gradients, this
    // rank's counted by its share of the batch.
    class Step {
    public:
#if defined(AIGC_HAVE_MPI)
        Step(GradientSync& sync, const aigc::SampleRows& rows) {
            for (auto& member : sync.members_) {
                member->set_share(rows.count, rows.total);
                attached_.push_back(member->attach());
            }
        }

    private:
        std::vector<typename aigc::dist::DataParallel<T, D>::Attached> attached_;
#else
        Step(GradientSync&, const aigc::SampleRows&) {}
#endif
    };
    Step step(const aigc::SampleRows& rows) { return Step(*this, rows); }

private:
#if defined(AIGC_HAVE_MPI)
    std::shared_ptr<const typename DeviceLink<D>::Comm> comm_;  // outlives the members (declared first)
    std::vector<std::unique_ptr<aigc::dist::DataParallel<T, D>>> members_;
#endif
};

}  // namespace examples
