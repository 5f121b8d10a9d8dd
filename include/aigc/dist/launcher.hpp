#pragma once
// What an MPI launcher (mpirun/mpiexec, srun with PMI/PMIx) tells a process through its
// environment, read without MPI itself: the trainers ask it at start-up, to initialise MPI only
// when launched, and a build without MPI asks it to refuse to run as one of several copies.
// Ask before dist::Session: Open MPI's singleton mode sets the same variables when it initialises.
#include <cstdlib>

namespace aigc::dist {

// The number of ranks the launcher started, or 0 when it did not say (no launcher).
inline int launcher_ranks() {
    for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* value = std::getenv(variable)) return std::atoi(value);
    return 0;
}

// Whether this process was started by an MPI launcher, of any number of ranks.
inline bool launched_by_mpi() {
    return launcher_ranks() > 0 || std::getenv("PMIX_RANK") || std::getenv("MPI_LOCALNRANKS");
}

}  // namespace aigc::dist
