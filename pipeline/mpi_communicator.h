// Chooses and owns the job's Communicator. The MPI implementation lives in
// mpi_communicator.cc, the only file in the project that includes <mpi.h>.
#pragma once

#include <memory>

#include "libvi/communicator.h"

namespace ntm {

// True when this process was started by mpirun/srun (an MPI launcher's
// environment variables are set), so MPI must be initialised.
bool LaunchedUnderMpi();

// Returns an MPI communicator (a duplicate of MPI_COMM_WORLD) when launched
// under MPI, or when `force_mpi`; a LocalCommunicator otherwise.
std::unique_ptr<Communicator> CreateCommunicator(bool force_mpi = false);

// Frees the duplicated communicator and finalises MPI if (and only if) this
// process initialised it. Call once at normal exit; never from a destructor.
void FinalizeCommunicator(std::unique_ptr<Communicator>& comm);

// Versions of the MPI library this binary runs with ("Open MPI v4.1.4 ...").
std::string MpiLibraryVersion();

}  // namespace ntm
