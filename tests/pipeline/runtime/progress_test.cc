#include "pipeline/runtime/progress.h"

#include <gtest/gtest.h>

namespace ntm {
namespace {

TEST(ProgressTest, StatusLineShowsCountsRateAndEta) {
  ProgressReporter p("scoring", 1000, "docs", false, 30);
  EXPECT_EQ(p.StatusLine(250, 10.0), "scoring 250/1000 (25.0%) 25 docs/s ETA 0:00:30");
}

TEST(ProgressTest, UnknownTotalShowsElapsed) {
  ProgressReporter p("reading", 0, "MB", false, 30);
  EXPECT_EQ(p.StatusLine(120, 60.0), "reading 120 MB, 2 MB/s, elapsed 0:01:00");
}

TEST(ProgressTest, EtaUnknownBeforeAnyProgress) {
  ProgressReporter p("training", 10, "steps", false, 30);
  EXPECT_EQ(p.StatusLine(0, 0.0), "training 0/10 (0.0%) 0 steps/s ETA ?");
}

TEST(ProgressTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(0), "0:00:00");
  EXPECT_EQ(FormatDuration(3725.4), "1:02:05");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(ProgressTest, FileModePrintsAtTheInterval) {
  ProgressReporter p("work", 100, "docs", true, 3600);
  p.set_terminal(false);
  testing::internal::CaptureStderr();
  for (int i = 1; i <= 100; ++i) p.Update(i);  // interval not reached: silent
  const std::string during = testing::internal::GetCapturedStderr();
  testing::internal::CaptureStderr();
  p.Finish();
  p.Finish();  // prints once
  const std::string after = testing::internal::GetCapturedStderr();
  EXPECT_EQ(during, "");
  EXPECT_NE(after.find("work 100/100 (100.0%)"), std::string::npos) << after;
  EXPECT_NE(after.find(" INFO  [0] "), std::string::npos) << after;
  EXPECT_EQ(after.find('\n'), after.size() - 1) << "exactly one line";
}

TEST(ProgressTest, DisabledReporterIsSilent) {
  ProgressReporter p("work", 10, "docs", false, 0.0);
  testing::internal::CaptureStderr();
  p.Update(5);
  p.Finish();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace ntm
