// aigc::dist on GPUs (cuda/aigc/dist/nccl.cuh): NcclCommunicator and DataParallel<T, Cuda> on
// however many ranks mpirun started, one GPU each. Compiled twice, as the CUDA tests are:
// test_nccl by nvcc against real NCCL (one process: a machine with one GPU can hold one rank;
// exits 77 without a GPU, CTest's skipped), and test_nccl_emulated by the host compiler against
// the CUDA emulator's NCCL, on 1 and on 2 ranks. Like test_dist, not Catch2: every rank runs the
// same sequence of collectives and reports its own failures.
#include <aigc/cuda.cuh>
#include <aigc/dist/nccl.cuh>

#include "dist_checks.hpp"

#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

using namespace aigc;

namespace {

using namespace dist_checks;

template <class T>
void collective_cases(const dist::NcclCommunicator& gpus) {
    check_all_reduce<T, Cuda>(gpus, "ncclAllReduce", T(1e-5));
    for (int root = 0; root < gpus.size(); ++root) {
        auto t = ranked<T, Cuda>(33, gpus.rank());
        gpus.broadcast(t, root);
        check(t.to_vector() == ranked<T>(33, root).to_vector(), "ncclBroadcast from rank " + std::to_string(root));
    }
}

// A small MLP on device D whose weights depend on `seed`.
template <class D>
struct Mlp {
    Generator gen;
    nn::Sequential<float, D> net;
    explicit Mlp(std::uint64_t seed) : gen(seed) {
        net.push_back(std::make_shared<nn::Linear<float, D>>(5, 17, gen));
        net.push_back(std::make_shared<nn::Tanh<float, D>>());
        net.push_back(std::make_shared<nn::Linear<float, D>>(17, 3, gen));
    }
};

// Each rank's loss on its rows, uneven shares (set_share), one bucket and many: the gradients of
// the whole batch on every GPU, as the CPU computes them alone.
void data_parallel_cases(const dist::NcclCommunicator& gpus) {
    constexpr index_t batch = 13;
    const int size = gpus.size();
    auto boundary = [&](int r) -> index_t { return r == 0 ? 0 : r == size ? batch : r * batch / size + 1; };
    const index_t first = boundary(gpus.rank()), share = boundary(gpus.rank() + 1) - first;
    for (std::size_t bucket_bytes : {std::size_t(64), std::size_t(25) << 20}) {
        const std::string label = "DataParallel<float, Cuda> (buckets of " + std::to_string(bucket_bytes) + " bytes)";
        Mlp<Cpu> reference(3);
        Mlp<Cuda> model(3 + gpus.rank());  // other weights on other ranks: the broadcast fixes them
        dist::DataParallel<float, Cuda> ddp(gpus, model.net.named_parameters(), {.bucket_bytes = bucket_bytes});
        ddp.set_share(share, batch);
        Var<float, Cpu> whole = mse(reference.net.forward(Var<float, Cpu>(rows<Cpu>(0, batch, 5, 0.3f))),
                                    rows<Cpu>(0, batch, 3, 0.9f));
        whole.backward();
        Var<float, Cuda> mine = mse(model.net.forward(Var<float, Cuda>(rows<Cuda>(first, share, 5, 0.3f))),
                                    rows<Cuda>(first, share, 3, 0.9f));
        ddp.backward(mine);
        auto params = model.net.named_parameters();
        auto ref = reference.net.named_parameters();
        for (std::size_t i = 0; i < params.size(); ++i) {
            check(params[i].second.value().to_vector() == ref[i].second.value().to_vector(),
                  label + ": rank 0's " + params[i].first + " reached every rank");
            const float d = max_relative_difference(params[i].second.grad().to_vector(), ref[i].second.grad().to_vector());
            check(d < 1e-5f, label + ": " + params[i].first + " gradient differs from the CPU's whole batch by " +
                                 std::to_string(d));
        }
        if (bucket_bytes == 64) check(ddp.buckets() > 2, label + ": several buckets");
    }
}

}  // namespace

int main(int argc, char** argv) {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::cout << "skipped: no usable CUDA device\n";
        return 77;
    }
    try {
        dist::Session session(argc, argv);
        dist::Communicator& world = session.world();
        rank_for_messages = world.rank();
        world.set_timeout(30);
        dist::NcclCommunicator gpus(world);
        check(gpus.device() == world.local_rank() % devices, "each rank on its own GPU");
        collective_cases<float>(gpus);
        collective_cases<double>(gpus);
        data_parallel_cases(gpus);
        // A bad root is refused before NCCL sees it.
        auto t = Tensor<float, Cuda>::zeros(Shape{3});
        std::string error;
        try {
            gpus.broadcast(t, world.size());
        } catch (const Error& e) {
            error = e.what();
        }
        check(error == "dist::NcclCommunicator::broadcast: root " + std::to_string(world.size()) + " is not a rank of " +
                           std::to_string(world.size()),
              "a bad root is refused, got: " + error);
        world.barrier();
        if (failures == 0) std::cout << "rank " << world.rank() << " of " << world.size() << ": all NCCL checks passed\n";
    } catch (const Error& e) {
        std::cerr << "rank " << rank_for_messages << ": " << e.what() << "\n";
        return 1;
    }
    return failures == 0 ? 0 : 1;
}
