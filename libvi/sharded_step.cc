#include "libvi/sharded_step.h"

#include <algorithm>
#include <stdexcept>

namespace ntm {

ShardPlan::ShardPlan(int64_t size, int ranks) : offsets_(ranks + 1, size), counts_(ranks) {
  if (size < 0 || ranks < 1) throw std::invalid_argument("ShardPlan: size < 0 or ranks < 1");
  for (int r = 0; r < ranks; ++r) {
    // ⌊size · r / ranks⌋ without overflow, rounded down to kAlign: the
    // offsets never decrease and the last block ends at `size`.
    const int64_t even = size / ranks * r + size % ranks * r / ranks;
    offsets_[r] = even / kAlign * kAlign;
  }
  for (int r = 0; r < ranks; ++r) counts_[r] = offsets_[r + 1] - offsets_[r];
}

ShardedStep::ShardedStep(const ParameterLayout& layout, Communicator& comm)
    : comm_(comm), plan_(layout.size(), comm.size()) {
  shard_.resize(static_cast<size_t>(plan_.counts()[comm.rank()]));
}

void ShardedStep::Reduce(const Trainer& trainer, ReduceBuffer& buffer) {
  comm_.ReduceScatterSum(buffer.gradient(), plan_.counts(), shard_);
  const ShardChecks checks = trainer.CheckGradientShard(shard_, plan_.begin(comm_.rank()));
  // The tail and the checks share one reduction: each small collective is a
  // point where every rank waits for the slowest.
  const std::span<float> tail = buffer.tail();
  small_.assign(tail.begin(), tail.end());
  small_.insert(small_.end(), checks.begin(), checks.end());
  comm_.AllReduceSum(std::span<double>(small_));
  std::transform(small_.begin(), small_.begin() + tail.size(), tail.begin(),
                 [](double x) { return static_cast<float>(x); });
  std::copy(small_.begin() + tail.size(), small_.end(), checks_.begin());
}

StepReport ShardedStep::Apply(Trainer& trainer, const ReduceBuffer& reduced) {
  const StepReport report =
      trainer.ApplyStepToShard(reduced, shard_, plan_.begin(comm_.rank()), checks_);
  comm_.AllGatherInPlace(trainer.model().parameters(), plan_.counts());
  return report;
}

void ShardedStep::GatherOptimizerState(Trainer& trainer) {
  comm_.AllGatherInPlace(trainer.optimizer().mutable_first_moment(), plan_.counts());
  comm_.AllGatherInPlace(trainer.optimizer().mutable_second_moment(), plan_.counts());
}

}  // namespace ntm
