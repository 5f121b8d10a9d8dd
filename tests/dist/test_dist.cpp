// aigc::dist's communicator on however many ranks mpirun started (CTest: 2, and 1 without a
// launcher). Not Catch2: every rank must reach every collective in the same order, so the checks
// run in a fixed sequence on all ranks and each rank reports its own failures; the exit status is
// non-zero on any rank that saw one, which mpirun passes on.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <aigc/dist/communicator.hpp>
#include <aigc/dist/same_layout.hpp>

using namespace aigc;

namespace {

int failures = 0;
int rank_for_messages = 0;

void check(bool ok, const std::string& what) {
    if (ok) return;
    ++failures;
    std::cerr << "rank " << rank_for_messages << ": FAILED: " << what << "\n";
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Rank r holds r + 1 + i / 8 at index i: exact in float and double, sums known in closed form.
template <class T>
Tensor<T, Cpu> ranked(index_t n, int rank) {
    std::vector<T> values(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = T(rank + 1) + T(i) / T(8);
    return Tensor<T, Cpu>::from_vector(Shape{n}, values);
}

template <class T>
void all_reduce_cases(const dist::Communicator& world) {
    const int size = world.size();
    const T rank_sum = T(size * (size + 1) / 2);  // sum of rank + 1
    for (index_t n : {1, 17, 1023, 100003}) {
        auto sum = ranked<T>(n, world.rank());
        world.all_reduce(sum, dist::Reduce::sum);
        auto mean = ranked<T>(n, world.rank());
        world.all_reduce(mean, dist::Reduce::mean);
        auto s = sum.to_vector(), m = mean.to_vector();
        int wrong_sum = 0, wrong_mean = 0;
        for (index_t i = 0; i < n; ++i) {
            T expected = rank_sum + T(size) * T(i) / T(8);
            wrong_sum += s[static_cast<std::size_t>(i)] != expected;
            wrong_mean += std::abs(m[static_cast<std::size_t>(i)] - expected / T(size)) > T(1e-6) * expected;
        }
        check(wrong_sum == 0, "all_reduce sum of " + std::to_string(n) + " values: " + std::to_string(wrong_sum) + " wrong");
        check(wrong_mean == 0, "all_reduce mean of " + std::to_string(n) + " values: " + std::to_string(wrong_mean) + " wrong");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const bool launched = dist::launched_by_mpi();  // before MPI_Init: a singleton sets the variables too
    dist::Session session(argc, argv);
    dist::Communicator& world = session.world();
    rank_for_messages = world.rank();
    check(world.size() >= 1 && world.rank() >= 0 && world.rank() < world.size(), "rank and size");
    check(world.local_size() == world.size() && world.local_rank() == world.rank(),
          "one machine: local rank and size equal the world's");
    check(launched == (world.size() > 1), "launched_by_mpi() agrees with the launch");

    all_reduce_cases<float>(world);
    all_reduce_cases<double>(world);

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

    world.barrier();
    if (failures == 0) std::cout << "rank " << world.rank() << " of " << world.size() << ": all checks passed\n";
    return failures == 0 ? 0 : 1;
}
