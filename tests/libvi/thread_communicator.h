// Ranks as threads of one test process (xgboost-style): one ThreadCommunicator
// per thread over a shared ThreadGroup. Sums run in rank order, so every rank
// gets bit-identical results and a test can reproduce them in one thread.
#pragma once

#include <algorithm>
#include <barrier>
#include <cstdlib>
#include <functional>
#include <span>
#include <vector>

#include "libvi/base/communicator.h"

namespace ntm::testing {

// The state the threads of one job share.
class ThreadGroup {
 public:
  explicit ThreadGroup(int ranks) : ranks_(ranks), barrier_(ranks), slots_(ranks) {}
  int ranks() const { return ranks_; }  // number of ranks (threads)

  // Publishes `data` for `rank`, lets `compute(slots)` read every rank's data
  // into this rank's result, then (once every rank has read) `store` it.
  void Collective(int rank, const void* data, const std::function<void()>& compute,
                  const std::function<void()>& store) {
    slots_[rank] = data;
    barrier_.arrive_and_wait();
    compute();
    barrier_.arrive_and_wait();
    store();
  }
  const void* slot(int rank) const { return slots_[rank]; }  // a rank's published data
  void Wait() { barrier_.arrive_and_wait(); }                // every rank arrives

 private:
  int ranks_;
  std::barrier<> barrier_;
  std::vector<const void*> slots_;
};

// One rank's view of a ThreadGroup.
class ThreadCommunicator final : public Communicator {
 public:
  ThreadCommunicator(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return group_.ranks(); }
  void AllReduceSum(std::span<float> v) override { Reduce(v, std::plus<>()); }
  void AllReduceSum(std::span<double> v) override { Reduce(v, std::plus<>()); }
  void AllReduceSum(std::span<int64_t> v) override { Reduce(v, std::plus<>()); }
  void AllReduceMax(std::span<float> v) override { Reduce(v, Max()); }
  void AllReduceMax(std::span<double> v) override { Reduce(v, Max()); }
  void AllReduceMax(std::span<int64_t> v) override { Reduce(v, Max()); }

  void ReduceScatterSum(std::span<const float> values, std::span<const int64_t> counts,
                        std::span<float> block) override {
    CheckBlockCounts(counts, size(), rank_, values.size(), block.size());
    const int64_t offset = Offset(counts, rank_);
    std::vector<float> sum(block.size());
    group_.Collective(
        rank_, values.data(),
        [&] {
          for (int r = 0; r < size(); ++r) {
            const float* data = static_cast<const float*>(group_.slot(r)) + offset;
            for (size_t i = 0; i < sum.size(); ++i) sum[i] = r == 0 ? data[i] : sum[i] + data[i];
          }
        },
        [&] { std::copy(sum.begin(), sum.end(), block.begin()); });
  }
  void AllGatherInPlace(std::span<float> values, std::span<const int64_t> counts) override {
    CheckBlockCounts(counts, size(), rank_, values.size());
    std::vector<float> all(values.size());
    group_.Collective(
        rank_, values.data(),
        [&] {
          for (int r = 0; r < size(); ++r) {
            const float* data = static_cast<const float*>(group_.slot(r));
            const int64_t offset = Offset(counts, r);
            std::copy(data + offset, data + offset + counts[r], all.begin() + offset);
          }
        },
        [&] { std::copy(all.begin(), all.end(), values.begin()); });
  }
  void Broadcast(std::vector<char>& bytes, int root) override {
    std::vector<char> copy;
    group_.Collective(
        rank_, &bytes, [&] { copy = *static_cast<const std::vector<char>*>(group_.slot(root)); },
        [&] { bytes = copy; });
  }
  std::vector<std::vector<char>> AllGather(std::span<const char> bytes) override {
    std::vector<std::vector<char>> all(size());
    group_.Collective(
        rank_, &bytes,
        [&] {
          for (int r = 0; r < size(); ++r) {
            const auto* s = static_cast<const std::span<const char>*>(group_.slot(r));
            all[r].assign(s->begin(), s->end());
          }
        },
        [] {});
    return all;
  }
  void Barrier() override { group_.Wait(); }
  [[noreturn]] void Abort(int) override { std::abort(); }

 private:
  struct Max {
    template <typename T>
    T operator()(T a, T b) const {
      return std::max(a, b);
    }
  };
  static int64_t Offset(std::span<const int64_t> counts, int rank) {
    int64_t offset = 0;
    for (int r = 0; r < rank; ++r) offset += counts[r];
    return offset;
  }
  template <typename T, typename Op>
  void Reduce(std::span<T> values, Op op) {
    std::vector<T> result(values.size());
    group_.Collective(
        rank_, values.data(),
        [&] {
          for (int r = 0; r < size(); ++r) {
            const T* data = static_cast<const T*>(group_.slot(r));
            for (size_t i = 0; i < result.size(); ++i) {
              result[i] = r == 0 ? data[i] : op(result[i], data[i]);
            }
          }
        },
        [&] { std::copy(result.begin(), result.end(), values.begin()); });
  }

  ThreadGroup& group_;
  int rank_;
};

}  // namespace ntm::testing
