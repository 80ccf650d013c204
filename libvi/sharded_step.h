// The sharded optimizer step (ZeRO stage 1) of data-parallel training on
// P > 1 ranks. Instead of all-reducing the whole buffer and having every rank
// check, clip and Adam-update all parameters, each rank owns one contiguous
// block (shard) of the parameters:
//   1. reduce-scatter the gradient: each rank gets the summed gradient of its
//      shard;
//   2. finiteness check and Σ g² on the shard only, then ONE small all-reduce
//      (in double) of the buffer's tail (batch-norm and loss sums) and these
//      ShardChecks: the global norm and the first non-finite parameter block,
//      so every rank throws the same error or none;
//   3. Adam on the shard (the moments outside it go stale);
//   4. all-gather the parameter shards: every rank holds the updated model.
// Same bytes on the wire as one all-reduce (reduce-scatter + all-gather), and
// the per-step work over all parameters is divided by P. The result equals
// Trainer::ApplyStep up to float summation order. Checkpoints keep the full
// moments: GatherOptimizerState before serialising, so resuming at another P
// works. One rank (P = 1) uses Trainer::ApplyStep, not this.
//
//   ShardedStep sharded(trainer.model().layout(), comm);
//   per step: buffer.Clear(); trainer.AccumulateExactGradients(..., buffer);
//             sharded.Reduce(trainer, buffer);
//             if (buffer.loss(LossTerm::kDocuments) > 0) sharded.Apply(trainer, buffer);
//   checkpoint (every rank): sharded.GatherOptimizerState(trainer); rank 0 serialises.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libvi/aligned_vector.h"
#include "libvi/base/communicator.h"
#include "libvi/parameters.h"
#include "libvi/trainer.h"

namespace ntm {

// Contiguous blocks of a buffer, one per rank, identical on every rank.
class ShardPlan {
 public:
  // Boundaries are multiples of this many values (64 bytes of float).
  static constexpr int64_t kAlign = 16;

  // Splits `size` values over `ranks` blocks of nearly equal length.
  ShardPlan(int64_t size, int ranks);

  int64_t begin(int rank) const { return offsets_[rank]; }     // first value of a rank's block
  int64_t end(int rank) const { return offsets_[rank + 1]; }   // one past its last value
  std::span<const int64_t> counts() const { return counts_; }  // block lengths, by rank

 private:
  std::vector<int64_t> offsets_, counts_;
};

// Runs the sharded training step of one rank (see the top of this file).
class ShardedStep {
 public:
  // Shards of `layout`'s parameters over the ranks of `comm` (kept by reference).
  ShardedStep(const ParameterLayout& layout, Communicator& comm);

  // Collective: sums this rank's shard of `buffer`'s gradient over ranks and
  // checks it (both kept here for Apply); sums the tail of `buffer` in place.
  void Reduce(const Trainer& trainer, ReduceBuffer& buffer);
  // Collective: one step from `reduced` (after Reduce); every rank returns
  // the same report and holds the same parameters, or every rank throws.
  StepReport Apply(Trainer& trainer, const ReduceBuffer& reduced);
  // Collective: completes the Adam moments of every rank from their owners,
  // so that trainer.Serialize() writes the full optimiser state.
  void GatherOptimizerState(Trainer& trainer);

  const ShardPlan& plan() const { return plan_; }  // the parameter shards

 private:
  Communicator& comm_;
  ShardPlan plan_;
  AlignedVector<float> shard_;   // this rank's summed gradient
  ShardChecks checks_{};         // CheckGradientShard summed over ranks
  AlignedVector<double> small_;  // [tail | ShardChecks], the one small all-reduce
};

}  // namespace ntm
