// Chooses and owns the job's Communicator. The MPI implementation lives in
// mpi_communicator.cc, the only file in the project that includes <mpi.h>.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "libvi/base/communicator.h"

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

// Tests only, to reach every code path: the largest element count one MPI
// call carries (default 2^28, which keeps counts and offsets within int; 0
// restores it) and the rank count up to which ReduceScatterSum uses one
// MPI_Reduce per block instead of MPI_Reduce_scatter (default 8; −1 restores).
void SetMpiLimitsForTesting(size_t max_chunk, int rooted_reduce_max_ranks);

// Versions of the MPI library this binary runs with ("Open MPI v4.1.4 ...").
std::string MpiLibraryVersion();

}  // namespace ntm
