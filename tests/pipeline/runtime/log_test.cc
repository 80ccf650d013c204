#include "pipeline/runtime/log.h"

#include <gtest/gtest.h>

#include <regex>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

TEST(LogTest, LineCarriesTimeLevelAndRank) {
  InitLogging(0, LogLevel::kInfo);
  testing::internal::CaptureStderr();
  NTM_LOG(kInfo) << "read " << 42 << " documents";
  const std::string line = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(
      line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  \[0\] read 42 documents\n)")))
      << line;
}

TEST(LogTest, OtherRanksPrintOnlyWarningsAndErrors) {
  InitLogging(2, LogLevel::kDebug);
  testing::internal::CaptureStderr();
  NTM_LOG(kInfo) << "progress";
  NTM_LOG(kWarn) << "slow shard";
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("progress"), std::string::npos);
  EXPECT_NE(out.find("WARN  [2] slow shard"), std::string::npos) << out;
  InitLogging(0, LogLevel::kInfo);
}

TEST(LogTest, ThresholdFilters) {
  InitLogging(0, LogLevel::kWarn);
  testing::internal::CaptureStderr();
  NTM_LOG(kInfo) << "hidden";
  NTM_LOG(kError) << "shown";
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find("ERROR [0] shown"), std::string::npos);
  InitLogging(0, LogLevel::kInfo);
}

TEST(LogTest, ParseLogLevel) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_THROW(ParseLogLevel("verbose"), ConfigError);
}

}  // namespace
}  // namespace ntm
