#include "pipeline/io/gap_reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <vector>

#include "libvi/base/errors.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::TempDir;

// Tabulated Kolmogorov tail values (the 5 %, 1 % and 0.1 % points, and λ = 0.5).
TEST(GapReferenceTest, KolmogorovTailMatchesTheTable) {
  EXPECT_NEAR(KolmogorovTail(1.3581), 0.05, 2e-4);
  EXPECT_NEAR(KolmogorovTail(1.6276), 0.01, 1e-4);
  EXPECT_NEAR(KolmogorovTail(1.9495), 0.001, 1e-5);
  EXPECT_NEAR(KolmogorovTail(0.5), 0.9639, 1e-4);
  EXPECT_DOUBLE_EQ(KolmogorovTail(0), 1.0);
  // Both series agree where they meet.
  EXPECT_NEAR(KolmogorovTail(1.1799), KolmogorovTail(1.1801), 1e-3);
  EXPECT_NEAR(KolmogorovCritical(0.01), 1.6276, 1e-3);
}

TEST(GapReferenceTest, KsStatisticOfSmallSamplesByHand) {
  const std::vector<double> a = {1, 2, 3, 4}, b = {3, 4, 5, 6};
  const KsTest t = TwoSampleKs(a, b);
  EXPECT_DOUBLE_EQ(t.statistic, 0.5);  // at x = 2: F_a = 1/2, F_b = 0
  EXPECT_DOUBLE_EQ(t.effective_n, 2.0);
  EXPECT_NEAR(t.p_value, KolmogorovTail(std::sqrt(2.0) * 0.5), 1e-15);
  // Ties step both CDFs together: at 0, 2/3 against 1/3; at 1 both reach 1.
  EXPECT_NEAR(TwoSampleKs(std::vector<double>{0, 0, 1}, std::vector<double>{0, 1, 1}).statistic,
              1.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(TwoSampleKs(a, a).statistic, 0.0);
  EXPECT_DOUBLE_EQ(TwoSampleKs(a, a).p_value, 1.0);
  EXPECT_DOUBLE_EQ(TwoSampleKs(std::vector<double>{1, 2}, std::vector<double>{5, 6}).statistic,
                   1.0);
}

// Under the null (both samples from one distribution) the test rejects at
// about its level; a shift of half a standard deviation is found.
TEST(GapReferenceTest, FalseAlarmsStayNearTheLevelAndAShiftIsFound) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> gap(1.0, 1.0);
  auto sample = [&](int n, double scale) {
    std::vector<double> v(n);
    for (double& x : v) x = scale * gap(rng);
    std::sort(v.begin(), v.end());
    return v;
  };
  int alarms = 0;
  constexpr int kTrials = 2000;
  for (int i = 0; i < kTrials; ++i)
    alarms += TwoSampleKs(sample(300, 1), sample(200, 1)).p_value < 0.05;
  EXPECT_LE(alarms, kTrials * 0.05 * 1.2);  // asymptotic p-values are slightly conservative
  EXPECT_GE(alarms, kTrials * 0.05 * 0.4);
  EXPECT_LT(TwoSampleKs(sample(300, 1), sample(200, 1.65)).p_value, 0.01);
}

TEST(GapReferenceTest, SampleIsTheSmallestOrdersAndAllWhenFewer) {
  LocalCommunicator comm;
  std::vector<uint64_t> keys;
  for (uint64_t k = 0; k < 100; ++k) keys.push_back(k * 7919);
  int64_t total = 0;
  EXPECT_EQ(SelectSample(comm, keys, 500, 3, &total), std::vector<uint8_t>(100, 1));
  EXPECT_EQ(total, 100);
  const std::vector<uint8_t> chosen = SelectSample(comm, keys, 10, 3, &total);
  uint64_t largest_chosen = 0, smallest_other = UINT64_MAX;
  int count = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t order = SampleOrder(keys[i], 3);
    if (chosen[i]) {
      ++count;
      largest_chosen = std::max(largest_chosen, order);
    } else {
      smallest_other = std::min(smallest_other, order);
    }
  }
  EXPECT_EQ(count, 10);
  EXPECT_LT(largest_chosen, smallest_other);
  EXPECT_NE(SelectSample(comm, keys, 10, 4, &total), chosen) << "another seed, another sample";
}

TEST(GapReferenceTest, DistributionFigures) {
  const nlohmann::json j = GapDistributionJson({4, 0.05, 3, 1, 2, 600});
  EXPECT_EQ(j["documents"], 6);
  EXPECT_DOUBLE_EQ(j["mean_nats"].get<double>(), 610.05 / 6);
  EXPECT_DOUBLE_EQ(j["median_nats"].get<double>(), 3);  // sorted: .05 1 2 3 4 600, index 3
  EXPECT_DOUBLE_EQ(j["quantiles"]["p10"].get<double>(), 1);
  EXPECT_DOUBLE_EQ(j["max_nats"].get<double>(), 600);
  const auto counts = j["histogram"]["counts"].get<std::vector<int64_t>>();
  EXPECT_EQ(counts.front(), 1);  // [0, 0.1)
  EXPECT_EQ(counts[12], 1);      // [500, 1000)
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), int64_t{0}), 6);
}

TEST(GapReferenceTest, FileRoundTripsAndAMissingFieldIsNamed) {
  TempDir dir;
  GapReference r;
  r.model_checksum = "0123456789abcdef";
  r.corpus_manifest = "fedcba9876543210";
  r.validation_fraction = 0.05;
  r.split_seed = 3;
  r.requested = 500;
  r.held_out_documents = 3;
  r.sample_seed = 3;
  r.gaps = {0.1, 0.30000000000000004, 7.25};
  const auto path = dir.path() / "gap_reference.json";
  std::ofstream(path) << GapReferenceJson(r);
  const GapReference back = ReadGapReference(path);
  EXPECT_EQ(back.gaps, r.gaps);
  EXPECT_EQ(back.model_checksum, r.model_checksum);
  EXPECT_EQ(back.held_out_documents, 3);
  nlohmann::json j = nlohmann::json::parse(GapReferenceJson(r));
  j.erase("inference");
  std::ofstream(path) << j.dump();
  try {
    ReadGapReference(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'inference'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gap_reference.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ntm
