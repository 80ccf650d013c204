// The MPI communicator under a real `mpirun -np 2` and `-np 3`: every
// collective is checked against values each rank can compute on its own.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

#include "pipeline/mpi_communicator.h"

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
