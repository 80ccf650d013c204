// The MPI communicator under a real `mpirun -np 2` and `-np 3`: every
// collective is checked against values each rank can compute on its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "pipeline/runtime/mpi_communicator.h"

namespace ntm {
namespace {

Communicator* g_comm = nullptr;

TEST(MpiCommunicatorTest, RankAndSize) {
  ASSERT_GE(g_comm->size(), 2) << "run under mpirun -np >= 2";
  EXPECT_GE(g_comm->rank(), 0);
  EXPECT_LT(g_comm->rank(), g_comm->size());
}

TEST(MpiCommunicatorTest, AllReduceSumAndMaxForEveryType) {
  const int r = g_comm->rank(), p = g_comm->size();
  std::vector<double> d = {1.0 * r, 0.5, -1.0 * r};
  g_comm->AllReduceSum(d);
  const double rank_sum = p * (p - 1) / 2.0;
  EXPECT_DOUBLE_EQ(d[0], rank_sum);
  EXPECT_DOUBLE_EQ(d[1], 0.5 * p);
  EXPECT_DOUBLE_EQ(d[2], -rank_sum);

  std::vector<float> f = {float(r), float(-r)};
  g_comm->AllReduceMax(f);
  EXPECT_EQ(f[0], float(p - 1));
  EXPECT_EQ(f[1], 0.0f);

  std::vector<int64_t> i = {int64_t{1} << 40, r};
  g_comm->AllReduceSum(i);
  EXPECT_EQ(i[0], (int64_t{1} << 40) * p);
  g_comm->AllReduceMax(i);
  EXPECT_EQ(i[0], (int64_t{1} << 40) * p);

  std::vector<double> m = {double(r)};
  g_comm->AllReduceMax(m);
  EXPECT_EQ(m[0], p - 1);
}

TEST(MpiCommunicatorTest, AllReduceOfAGradientSizedBuffer) {
  std::vector<float> g(3'000'000);
  std::iota(g.begin(), g.end(), float(g_comm->rank()));
  g_comm->AllReduceSum(g);
  const int p = g_comm->size();
  for (size_t k : {size_t{0}, size_t{12345}, g.size() - 1}) {
    EXPECT_FLOAT_EQ(g[k], p * float(k) + p * (p - 1) / 2.0f);
  }
}

// 300 MB crosses the 256 Mi-element chunk size of the implementation.
TEST(MpiCommunicatorTest, BroadcastOfALargeBuffer) {
  const size_t n = size_t{300} << 20;
  std::vector<char> bytes;
  if (g_comm->rank() == 1) {
    bytes.resize(n);
    for (size_t k = 0; k < n; ++k) bytes[k] = static_cast<char>(k * 7 + 3);
  }
  g_comm->Broadcast(bytes, 1);
  ASSERT_EQ(bytes.size(), n);
  size_t wrong = 0;
  for (size_t k = 0; k < n; k += 4093) wrong += bytes[k] != static_cast<char>(k * 7 + 3);
  EXPECT_EQ(bytes.back(), static_cast<char>((n - 1) * 7 + 3));
  EXPECT_EQ(wrong, 0u);
}

TEST(MpiCommunicatorTest, AllGatherOfDifferentSizes) {
  const int r = g_comm->rank();
  std::vector<char> mine(static_cast<size_t>(r) * 1000 + 1, static_cast<char>('a' + r));
  auto all = g_comm->AllGather(mine);
  ASSERT_EQ(all.size(), static_cast<size_t>(g_comm->size()));
  for (int q = 0; q < g_comm->size(); ++q) {
    EXPECT_EQ(all[q].size(), static_cast<size_t>(q) * 1000 + 1);
    EXPECT_EQ(all[q].front(), 'a' + q);
    EXPECT_EQ(all[q].back(), 'a' + q);
  }
}

TEST(MpiCommunicatorTest, BarrierReturns) { g_comm->Barrier(); }

// Uneven blocks, one of them empty: rank r holds 1000 r + 37 values, the
// middle rank none (with 3 ranks).
std::vector<int64_t> UnevenCounts(int ranks) {
  std::vector<int64_t> counts;
  for (int r = 0; r < ranks; ++r) counts.push_back(ranks == 3 && r == 1 ? 0 : 1000 * r + 37);
  return counts;
}

int64_t OffsetOf(const std::vector<int64_t>& counts, int rank) {
  return std::accumulate(counts.begin(), counts.begin() + rank, int64_t{0});
}

// Each rank sums its block: value k on rank q is k + q.
void CheckReduceScatter(const std::vector<int64_t>& counts) {
  const int r = g_comm->rank(), p = g_comm->size();
  const int64_t total = OffsetOf(counts, p);
  std::vector<float> values(static_cast<size_t>(total));
  std::iota(values.begin(), values.end(), float(r));
  const std::vector<float> before = values;
  std::vector<float> block(static_cast<size_t>(counts[r]), -1.0f);
  g_comm->ReduceScatterSum(values, counts, block);
  const int64_t offset = OffsetOf(counts, r);
  size_t wrong = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    wrong += block[i] != p * float(offset + i) + p * (p - 1) / 2.0f;
  }
  EXPECT_EQ(wrong, 0u) << "rank " << r << " of " << p;
  EXPECT_TRUE(values == before) << "the input is left unchanged";
}

// Each rank fills only its block (k + 0.5 at index k); all see every block.
void CheckAllGather(const std::vector<int64_t>& counts) {
  const int r = g_comm->rank(), p = g_comm->size();
  std::vector<float> values(static_cast<size_t>(OffsetOf(counts, p)), -1.0f);
  for (int64_t k = OffsetOf(counts, r); k < OffsetOf(counts, r + 1); ++k) values[k] = k + 0.5f;
  g_comm->AllGatherInPlace(values, counts);
  size_t wrong = 0;
  for (size_t k = 0; k < values.size(); ++k) wrong += values[k] != k + 0.5f;
  EXPECT_EQ(wrong, 0u) << "rank " << r << " of " << p;
}

// Default path at 2 and 3 ranks: one MPI_Reduce per block.
TEST(MpiCommunicatorTest, ReduceScatterAndAllGatherOfUnevenBlocks) {
  CheckReduceScatter(UnevenCounts(g_comm->size()));
  CheckAllGather(UnevenCounts(g_comm->size()));
}

// The path of larger jobs: MPI_Reduce_scatter.
TEST(MpiCommunicatorTest, ReduceScatterCollectiveOfUnevenBlocks) {
  SetMpiLimitsForTesting(0, 1);
  CheckReduceScatter(UnevenCounts(g_comm->size()));
  SetMpiLimitsForTesting(0, -1);
}

// The paths for buffers beyond int counts (chunked reduce to each owner,
// chunked broadcasts), exercised with a small chunk size.
TEST(MpiCommunicatorTest, ReduceScatterAndAllGatherInChunks) {
  SetMpiLimitsForTesting(100, 1);
  CheckReduceScatter(UnevenCounts(g_comm->size()));
  CheckAllGather(UnevenCounts(g_comm->size()));
  SetMpiLimitsForTesting(0, -1);
}

// Reduce-scatter then all-gather equals an all-reduce: the sharded step's
// data path on a gradient-sized buffer (blocks of multiples of 16 floats).
TEST(MpiCommunicatorTest, ReduceScatterThenAllGatherOfAGradientSizedBuffer) {
  const int r = g_comm->rank(), p = g_comm->size();
  const int64_t n = 3'019'850;
  std::vector<int64_t> counts(p);
  for (int q = 0; q < p; ++q) counts[q] = (n * (q + 1) / p / 16 * 16) - (n * q / p / 16 * 16);
  counts[p - 1] += n - OffsetOf(counts, p);
  std::vector<float> g(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) g[k] = static_cast<float>(k % 1000) * (r + 1);
  std::vector<float> expected = g;
  g_comm->AllReduceSum(expected);
  for (int rooted_max : {-1, 1}) {  // rooted reductions, then MPI_Reduce_scatter
    SetMpiLimitsForTesting(0, rooted_max);
    std::vector<float> shard = g;
    std::vector<float> block(static_cast<size_t>(counts[r]));
    g_comm->ReduceScatterSum(shard, counts, block);
    std::copy(block.begin(), block.end(), shard.begin() + OffsetOf(counts, r));
    g_comm->AllGatherInPlace(shard, counts);
    EXPECT_TRUE(shard == expected) << "rooted_reduce_max_ranks " << rooted_max;
  }
  SetMpiLimitsForTesting(0, -1);
}

TEST(MpiCommunicatorTest, BlockCollectivesRefuseCountsThatDoNotFit) {
  const int p = g_comm->size();
  std::vector<float> values(10), block(10);
  std::vector<int64_t> wrong_total(p, 1), too_few = {10};
  EXPECT_THROW(g_comm->ReduceScatterSum(values, wrong_total, block), std::invalid_argument);
  EXPECT_THROW(g_comm->AllGatherInPlace(values, too_few), std::invalid_argument);
}

TEST(LocalCommunicatorTest, CollectivesLeaveDataUnchanged) {
  LocalCommunicator local;
  std::vector<double> d = {1.5, -2};
  local.AllReduceSum(d);
  local.AllReduceMax(d);
  EXPECT_EQ(d, (std::vector<double>{1.5, -2}));
  std::vector<char> b = {'x'};
  local.Broadcast(b, 0);
  EXPECT_EQ(b, std::vector<char>{'x'});
  auto all = local.AllGather(b);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], b);
  EXPECT_EQ(local.rank(), 0);
  EXPECT_EQ(local.size(), 1);
  std::vector<float> values = {1, 2, 3}, block(3);
  const std::vector<int64_t> counts = {3};
  local.ReduceScatterSum(values, counts, block);
  EXPECT_EQ(block, values);
  local.AllGatherInPlace(values, counts);
  EXPECT_EQ(values, (std::vector<float>{1, 2, 3}));
}

}  // namespace
}  // namespace ntm

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  auto comm = ntm::CreateCommunicator(/*force_mpi=*/true);
  ntm::g_comm = comm.get();
  const int failed = RUN_ALL_TESTS();
  ntm::FinalizeCommunicator(comm);
  return failed;
}
