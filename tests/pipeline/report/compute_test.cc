// The report's figures computed from raw outputs (report/compute.h).
#include "pipeline/report/compute.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ntm {
namespace {

TEST(ReportComputeTest, HistogramHasRoundEdgesAndCountsEveryValue) {
  const HistogramBins bins = ComputeHistogram({0.1, 0.2, 0.7, 1.4, 2.9, NAN}, 6);
  ASSERT_GE(bins.edges.size(), 2u);
  EXPECT_EQ(bins.edges.size(), bins.counts.size() + 1);
  EXPECT_DOUBLE_EQ(bins.edges[0], 0.0);
  int64_t total = bins.above_last_edge;
  for (int64_t c : bins.counts) total += c;
  EXPECT_EQ(total, 5);
}
}  // namespace
}  // namespace ntm
