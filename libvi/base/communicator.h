// The collective-communication interface. libvi and the stages call only
// this; the MPI implementation lives in pipeline/runtime/mpi_communicator.cc, the only
// file that includes <mpi.h>. With one process every collective is a no-op.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ntm {

// Collective operations over the ranks of one job.
class Communicator {
 public:
  virtual ~Communicator() = default;

  // This process's rank in [0, size).
  virtual int rank() const = 0;
  // Number of ranks in the job.
  virtual int size() const = 0;

  // In-place element-wise sum over all ranks.
  virtual void AllReduceSum(std::span<float> values) = 0;
  virtual void AllReduceSum(std::span<double> values) = 0;
  virtual void AllReduceSum(std::span<int64_t> values) = 0;
  // In-place element-wise maximum over all ranks.
  virtual void AllReduceMax(std::span<float> values) = 0;
  virtual void AllReduceMax(std::span<double> values) = 0;
  virtual void AllReduceMax(std::span<int64_t> values) = 0;

  // Reduce-scatter: `values` (the same length on every rank) is split into
  // consecutive blocks of counts[r] elements, one per rank; rank r receives
  // in `block` (counts[r] elements) the sum over ranks of block r. `counts`
  // must be identical on every rank and sum to values.size().
  virtual void ReduceScatterSum(std::span<const float> values, std::span<const int64_t> counts,
                                std::span<float> block) = 0;
  // In-place all-gather: each rank r contributes its block (counts[r]
  // elements at offset counts[0] + ... + counts[r − 1]) of `values`; on
  // return every rank holds every block. Same contract for `counts`.
  virtual void AllGatherInPlace(std::span<float> values, std::span<const int64_t> counts) = 0;

  // Replaces `bytes` on every rank with root's copy (sizes may differ).
  virtual void Broadcast(std::vector<char>& bytes, int root) = 0;
  // Returns every rank's `bytes`, indexed by rank (sizes may differ).
  virtual std::vector<std::vector<char>> AllGather(std::span<const char> bytes) = 0;
  // Blocks until every rank has arrived. The place for long, expected waits:
  // the MPI implementation waits without holding a core busy.
  virtual void Barrier() = 0;
  // Ends the whole job at once (used when one rank fails and others wait).
  [[noreturn]] virtual void Abort(int exit_code) = 0;

  // True on rank 0, which prints progress and writes shared files.
  bool is_root() const { return rank() == 0; }
};

// Throws std::invalid_argument unless `counts` has one entry per rank, none
// negative, summing to `total`, and a `block` given is counts[rank] long.
// For the implementations of the block collectives.
void CheckBlockCounts(std::span<const int64_t> counts, int ranks, int rank, size_t total,
                      std::optional<size_t> block = std::nullopt);

// One rank, no other process: every collective leaves its data unchanged.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void AllReduceSum(std::span<float>) override {}
  void AllReduceSum(std::span<double>) override {}
  void AllReduceSum(std::span<int64_t>) override {}
  void AllReduceMax(std::span<float>) override {}
  void AllReduceMax(std::span<double>) override {}
  void AllReduceMax(std::span<int64_t>) override {}
  void ReduceScatterSum(std::span<const float> values, std::span<const int64_t> counts,
                        std::span<float> block) override;
  void AllGatherInPlace(std::span<float> values, std::span<const int64_t> counts) override;
  void Broadcast(std::vector<char>&, int) override {}
  std::vector<std::vector<char>> AllGather(std::span<const char> bytes) override {
    return {std::vector<char>(bytes.begin(), bytes.end())};
  }
  void Barrier() override {}
  [[noreturn]] void Abort(int exit_code) override;
};

}  // namespace ntm
