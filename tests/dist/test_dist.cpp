// aigc::dist's communicator on however many ranks mpirun started (CTest: 2, and 1 without a
// launcher). Not Catch2: every rank must reach every collective in the same order, so the checks
// run in a fixed sequence on all ranks and each rank reports its own failures; the exit status is
// non-zero on any rank that saw one, which mpirun passes on.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <aigc/aigc.hpp>
#include <aigc/dist/communicator.hpp>
#include <aigc/dist/data_parallel.hpp>
#include <aigc/dist/same_layout.hpp>

#include "dist_checks.hpp"

using namespace aigc;

namespace {

using namespace dist_checks;

// A small MLP whose initial weights depend on `seed`, and a fixed global batch of 12 rows.
struct Mlp {
    Generator gen;
    nn::Sequential<float> net;
    explicit Mlp(std::uint64_t seed) : gen(seed) {
        net.push_back(std::make_shared<nn::Linear<float>>(5, 7, gen));
        net.push_back(std::make_shared<nn::Tanh<float>>());
        net.push_back(std::make_shared<nn::Linear<float>>(7, 6, gen));
        net.push_back(std::make_shared<nn::Tanh<float>>());
        net.push_back(std::make_shared<nn::Linear<float>>(6, 3, gen));
    }
};

// Each rank's mean loss over its share of the batch, averaged over ranks by DataParallel, must
// give the gradient of the mean loss over the whole batch, which every rank also computes alone.
void data_parallel_cases(const dist::Communicator& world) {
    constexpr index_t batch = 12;
    if (batch % world.size() != 0) return;
    const index_t share = batch / world.size(), first = world.rank() * share;
    for (std::size_t bucket_bytes : {std::size_t(64), std::size_t(25) << 20}) {
        const std::string label = "DataParallel (buckets of " + std::to_string(bucket_bytes) + " bytes)";
        Mlp reference(7), model(7 + world.rank());  // other weights on other ranks: the broadcast fixes them
        dist::DataParallel<float> ddp(world, model.net.named_parameters(), {.bucket_bytes = bucket_bytes});
        auto ref_params = reference.net.named_parameters(), params = model.net.named_parameters();
        bool same_start = true;
        for (std::size_t i = 0; i < params.size(); ++i)
            same_start &= params[i].second.value().to_vector() == ref_params[i].second.value().to_vector();
        check(same_start, label + ": rank 0's parameters reach every rank");
        if (bucket_bytes == 64) {
            check(ddp.buckets() > 2, label + ": several buckets");
        } else {
            check(ddp.buckets() == 1, label + ": one bucket");
        }

        Var<float, Cpu> whole = mse(reference.net.forward(Var<float, Cpu>(rows(0, batch, 5, 0.1f))), rows(0, batch, 3, 0.7f));
        whole.backward();
        Var<float, Cpu> mine = mse(model.net.forward(Var<float, Cpu>(rows(first, share, 5, 0.1f))), rows(first, share, 3, 0.7f));
        ddp.backward(mine);
        for (std::size_t i = 0; i < params.size(); ++i) {
            float d = max_relative_difference(params[i].second.grad().to_vector(), ref_params[i].second.grad().to_vector());
            check(d < 1e-5f, label + ": " + params[i].first + " gradient differs from the whole batch's by " + std::to_string(d));
        }
        if (bucket_bytes == 64)
            check(ddp.launched_during_backward() > 0, label + ": no bucket went out before backward ended");
        // A second backward reuses the buckets (and a parameter backward never reached gets zeros).
        for (auto& [name, p] : params) p.grad() = Tensor<float, Cpu>();
        Var<float, Cpu> again = mse(model.net.forward(Var<float, Cpu>(rows(first, share, 5, 0.1f))), rows(first, share, 3, 0.7f));
        ddp.backward(again);
        float d = max_relative_difference(params[0].second.grad().to_vector(), ref_params[0].second.grad().to_vector());
        check(d < 1e-5f, label + ": second backward differs by " + std::to_string(d));
    }
}

// Unequal shares (a short last batch): each rank's gradient weighted by its share of the whole
// batch (set_share) still sums to the whole batch's. Two models attached at once, as a GAN's D and
// G: a backward through one of them synchronises that one and leaves the other's gradients alone.
void weighted_and_attached_cases(const dist::Communicator& world) {
    constexpr index_t batch = 12;
    auto boundary = [&](int r) -> index_t { return r == 0 ? 0 : r == world.size() ? batch : r * batch / world.size() + 1; };
    const index_t first = boundary(world.rank()), share = boundary(world.rank() + 1) - first;
    Mlp reference(11), model(11), other(12);
    dist::DataParallel<float> ddp(world, model.net.named_parameters());
    dist::DataParallel<float> other_ddp(world, other.net.named_parameters());
    ddp.set_share(share, batch);
    Var<float, Cpu> whole = mse(reference.net.forward(Var<float, Cpu>(rows(0, batch, 5, 0.2f))), rows(0, batch, 3, 0.4f));
    whole.backward();
    auto other_params = other.net.named_parameters();
    other_params[0].second.grad() = Tensor<float, Cpu>::full(other_params[0].second.value().shape(), 42.0f);
    {
        auto synced = ddp.attach();
        auto other_synced = other_ddp.attach();
        Var<float, Cpu> mine = mse(model.net.forward(Var<float, Cpu>(rows(first, share, 5, 0.2f))), rows(first, share, 3, 0.4f));
        mine.backward();  // plain backward: the attached objects do the rest
    }
    auto params = model.net.named_parameters(), ref_params = reference.net.named_parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        float d = max_relative_difference(params[i].second.grad().to_vector(), ref_params[i].second.grad().to_vector());
        check(d < 1e-5f, "weighted shares: " + params[i].first + " gradient differs from the whole batch's by " + std::to_string(d));
    }
    const auto untouched = other_params[0].second.grad().to_vector();
    check(std::all_of(untouched.begin(), untouched.end(), [](float g) { return g == 42.0f; }),
          "a backward that never reached a DataParallel's parameters leaves their gradients alone");
    check(grad_ready_hooks<float, Cpu>().empty(), "attach() ends with its scope");
    check(!error_of([&] { ddp.set_share(0, batch); }).empty(), "set_share refuses a share of no samples");
}

}  // namespace

// --hang / --die: the last rank stops taking part (sleeps, or kills itself) while rank 0 waits in
// an all-reduce with a 2 s limit. Rank 0 must stop with the timeout's error (CTest matches its
// text), not wait forever; the Session then aborts the job.
int fault_case(dist::Communicator& world, const std::string& mode) {
    world.set_timeout(2.0);
    if (world.rank() == world.size() - 1 && world.size() > 1) {
        if (mode == "--die") std::raise(SIGKILL);
        std::this_thread::sleep_for(std::chrono::seconds(30));
        return 0;
    }
    auto t = ranked<float>(1000, world.rank());
    std::string error = error_of([&] { world.all_reduce(t); });
    std::cerr << "rank " << world.rank() << ": " << (error.empty() ? "no error" : error) << "\n";
    return 1;
}

int main(int argc, char** argv) {
    const bool launched = dist::launched_by_mpi();  // before MPI_Init: a singleton sets the variables too
    dist::Session session(argc, argv);
    dist::Communicator& world = session.world();
    rank_for_messages = world.rank();
    if (argc > 1) return fault_case(world, argv[1]);
    check(world.size() >= 1 && world.rank() >= 0 && world.rank() < world.size(), "rank and size");
    check(world.local_size() == world.size() && world.local_rank() == world.rank(),
          "one machine: local rank and size equal the world's");
    check(launched == (world.size() > 1), "launched_by_mpi() agrees with the launch");

    check_all_reduce<float, Cpu>(world, "all_reduce", 1e-6f);
    check_all_reduce<double, Cpu>(world, "all_reduce", 1e-6);

    // Broadcast from every root: everyone ends with the root's values.
    for (int root = 0; root < world.size(); ++root) {
        auto t = ranked<float>(33, world.rank());
        world.broadcast(t, root);
        check(t.to_vector() == ranked<float>(33, root).to_vector(), "broadcast from rank " + std::to_string(root));
        std::string text = world.broadcast_text("from rank " + std::to_string(world.rank()), root);
        check(text == "from rank " + std::to_string(root), "broadcast_text from rank " + std::to_string(root));
    }
    world.barrier();

    // Same parameters everywhere: passes. A rank with another shape: every rank throws, naming it.
    Generator gen(1);
    nn::NamedTensors<float, Cpu> params{{"fc1.weight", Tensor<float, Cpu>::uniform(Shape{4, 3}, gen, -1.0f, 1.0f)},
                                         {"fc1.bias", Tensor<float, Cpu>::zeros(Shape{4})}};
    check(error_of([&] { dist::check_same_layout(world, params, "test"); }).empty(), "identical layouts pass");
    if (world.size() > 1) {
        auto mismatched = params;
        if (world.rank() == world.size() - 1) mismatched[1].second = Tensor<float, Cpu>::zeros(Shape{5});
        std::string error = error_of([&] { dist::check_same_layout(world, mismatched, "DataParallel"); });
        const std::string last = std::to_string(world.size() - 1);
        check(error == "DataParallel: the ranks hold different parameters (" + std::to_string(world.size()) +
                           " ranks); parameter 2: rank 0 has 'fc1.bias [4]' where rank " + last + " has 'fc1.bias [5]'",
              "layout mismatch message, got: " + error);
    }

    // MPI's own errors become aigc::Error naming the call (the communicator returns them).
    int value = 0;
    std::string error = error_of([&] {
        dist::detail::check_mpi(MPI_Bcast(&value, 1, MPI_INT, world.size() + 3, world.handle()), "MPI_Bcast");
    });
    check(error.rfind("MPI_Bcast failed: ", 0) == 0, "an MPI error becomes aigc::Error, got: " + error);
    error = error_of([&] {
        auto t = ranked<float>(3, 0);
        world.broadcast(t, world.size());
    });
    check(error == "dist::Communicator::broadcast: root " + std::to_string(world.size()) + " is not a rank of " +
                       std::to_string(world.size()),
          "a bad root is refused before MPI, got: " + error);

    data_parallel_cases(world);
    weighted_and_attached_cases(world);

    world.barrier();
    if (failures == 0) std::cout << "rank " << world.rank() << " of " << world.size() << ": all checks passed\n";
    return failures == 0 ? 0 : 1;
}
