// The amortization-gap section: computed from per-document ELBOs or read from
// quality.json.
#include <gtest/gtest.h>

#include "tests/pipeline/report/report_fixture.h"

namespace ntm {
namespace {

using namespace report_test;  // NOLINT: the fixture's helpers
namespace fs = std::filesystem;
using nlohmann::json;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

TEST(ReportGapTest, ComputesTheGapFromPerDocumentElbos) {
  Fixture f;
  const std::vector<double> lnvi = {-890, -945, -990, -796, -695, -1190};  // gaps 10 5 10 4 5 10
  WriteNpyVector(f.p2 / "elbo-ln-vi.npy", lnvi);
  json timings = json::parse(ReadBytes(f.p2 / "timings.json"));  // ln-vi ran in this run too
  timings["methods"]["ln-vi"] = timings["methods"]["refined"];
  WriteBytes(f.p2 / "timings.json", timings.dump());
  WriteBytes(f.p2 / "config.yaml", "score:\n  refine_steps: 5\n");
  RunReportOn({f.p2.string()}, f.out);
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  const json& gap = report["scores"][0]["gap"];
  EXPECT_EQ(gap["source"], "elbo-ln-vi.npy - elbo-amortized.npy");
  EXPECT_NEAR(gap["mean_nats"].get<double>(), 44.0 / 6, 1e-9);
  EXPECT_NEAR(gap["median_nats"].get<double>(), 7.5, 1e-9);
  int64_t binned = 0;
  for (const auto& c : gap["histogram"]["counts"]) binned += c.get<int64_t>();
  EXPECT_EQ(binned + gap["above_last_edge"].get<int64_t>(), 6);
  EXPECT_NEAR(gap["closed_share_by_steps"]["5"].get<double>(), 12.0 / 44.0, 1e-9);
  const std::string html = ReadBytes(f.out / "report.html");
  const std::string section = SectionHtml(html, "gap");
  size_t svgs = 0;
  for (size_t at = section.find("<svg"); at != std::string::npos;
       at = section.find("<svg", at + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 2u);  // histogram and closed share
  EXPECT_NE(section.find(FormatPercent(12.0 / 44.0)), std::string::npos);
}

// The gap as `ntm score` writes it: fixed bins of unequal width, the last one open.
json ScoreStageGap() {
  return {{"documents", 2480},
          {"mean_nats", 3.2},
          {"median_nats", 2.1},
          {"min_nats", -0.01},
          {"mean_per_token", 0.02},
          {"histogram",
           {{"edges", {0, 0.1, 0.2, 0.5, 1, 2, 5, 10}},
            {"counts", {3, 7, 20, 400, 900, 800, 300, 50}},
            {"last_bin_open", true}}},
          {"closed_share_by_steps", {{"1", 0.21}, {"5", 0.55}, {"20", 0.83}}}};
}

TEST(ReportGapTest, ReadsTheGapFromQualityJson) {
  Fixture f;
  json quality = QualityJson();
  quality["gap"] = ScoreStageGap();
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.out);
  const std::string gap = SectionHtml(ReadBytes(f.out / "report.html"), "gap");
  EXPECT_NE(gap.find("<svg"), std::string::npos);
  EXPECT_NE(gap.find("83.0%"), std::string::npos);
  EXPECT_NE(gap.find("3.200"), std::string::npos);
  EXPECT_NE(gap.find("bins of unequal width"), std::string::npos);
  const std::string md = ReadBytes(f.out / "report.md");
  EXPECT_NE(md.find("| 20 | 83.0% |"), std::string::npos);
  EXPECT_NE(md.find("| 0.5 to 1.0 | 400 |"), std::string::npos);
  EXPECT_NE(md.find("| \xE2\x89\xA5 10 | 50 |"), std::string::npos);  // the open last bin
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  EXPECT_TRUE(report["scores"][0]["gap"]["histogram"]["last_bin_open"].get<bool>());
}

TEST(ReportGapTest, HistogramWithTheWrongNumberOfEdgesIsAnInputError) {
  Fixture f;
  json quality = QualityJson();
  quality["gap"] = ScoreStageGap();
  quality["gap"]["histogram"]["last_bin_open"] = false;
  WriteJson(f.p2 / "quality.json", quality);
  EXPECT_THROW(RunReportOn({f.p2.string()}, f.out), InputError);
}

}  // namespace
}  // namespace ntm
