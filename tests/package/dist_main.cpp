// An outside program built against the installed aigc::dist: MPI starts (a singleton without
// mpirun), one rank's all-reduce and broadcast leave the values as they are. Exits 0 only then.
#include <aigc/cpu.hpp>
#include <aigc/dist/communicator.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    aigc::dist::Session session(argc, argv);
    auto& world = session.world();
    auto t = aigc::Tensor<float>::from_vector({3}, {1.0f, 2.0f, 3.5f});
    world.all_reduce(t, aigc::dist::Reduce::mean);
    world.broadcast(t, 0);
    const bool ok = t.to_vector() == std::vector<float>{1.0f, 2.0f, 3.5f} && world.size() >= 1;
    std::printf("aigc::dist from the installed package: rank %d of %d, %s\n", world.rank(), world.size(),
                ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
