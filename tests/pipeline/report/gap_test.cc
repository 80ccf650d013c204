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

// The curve and frontier as `ntm score` writes them (refine_steps 20).
json ScoreStageCurve() {
  json curve = json::array();
  const std::vector<double> share = {0.21, 0.40, 0.55, 0.70, 0.83}, cost = {40, 60, 110, 160, 210};
  const std::vector<int> steps = {1, 2, 5, 10, 20};
  for (size_t i = 0; i < steps.size(); ++i) {
    curve.push_back({{"steps", steps[i]},
                     {"closed_share", share[i]},
                     {"seconds_per_document", cost[i] * 1e-6},
                     {"mean_steps_taken", std::min(steps[i], 7)},
                     {"mean_elbo", -950.1 + share[i] * 3.2},
                     {"completion_perplexity", 1510.2 - 10 * share[i]}});
  }
  json last = curve.back();
  last["steps"] = "final";
  curve.push_back(last);
  return curve;
}

json ScoreStageFrontier() {
  json frontier;
  const std::vector<std::pair<std::string, double>> costs = {
      {"amortized", 8e-6}, {"refined", 210e-6}, {"classical", 3e-3}, {"ln-vi", 40e-3}};
  for (const auto& [method, cost] : costs) {
    frontier[method] = {{"seconds_per_document", cost},
                        {"completion_perplexity", method == "classical" ? 1490.0 : 1505.0},
                        {"mean_elbo", method == "ln-vi" ? -946.9 : -950.1}};
  }
  return frontier;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The chart in `html` whose aria-label starts with `title`, "" if none.
std::string ChartSvg(const std::string& html, const std::string& title) {
  const size_t label = html.find("aria-label=\"" + title);
  if (label == std::string::npos) return "";
  const size_t start = html.rfind("<svg", label);
  return html.substr(start, html.find("</svg>", label) - start);
}

TEST(ReportGapTest, ShowsTheRefinementCurveAndDrawsTheFrontier) {
  Fixture f;
  json quality = QualityJson();
  quality["gap"] = ScoreStageGap();
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.tmp / "report-without-curve");
  const json without = json::parse(ReadBytes(f.tmp / "report-without-curve" / "report.json"));
  quality["refinement_curve"] = ScoreStageCurve();
  quality["frontier"] = ScoreStageFrontier();
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.out);
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  EXPECT_EQ(report["notes"], without["notes"]);  // the curve adds no note
  const json& scores = report["scores"][0];
  ASSERT_EQ(scores["refinement_curve"].size(), 6u);
  EXPECT_EQ(scores["refinement_curve"][0]["steps"], 1);
  EXPECT_EQ(scores["refinement_curve"][5]["steps"], "final");
  EXPECT_NEAR(scores["refinement_curve"][2]["closed_share"].get<double>(), 0.55, 1e-12);
  EXPECT_EQ(scores["frontier"].size(), 4u);
  EXPECT_NEAR(scores["frontier"]["ln-vi"]["seconds_per_document"].get<double>(), 40e-3, 1e-15);

  const std::string html = SectionHtml(ReadBytes(f.out / "report.html"), "gap");
  const std::string perplexity = ChartSvg(html, "Cost per document against completion perplexity");
  const std::string elbo = ChartSvg(html, "Cost per document against mean ELBO");
  ASSERT_FALSE(perplexity.empty());
  ASSERT_FALSE(elbo.empty());
  // amortized, refined after 1, 2, 5, 10, 20 steps and as configured, classical, ln-vi.
  for (const std::string& svg : {perplexity, elbo}) {
    EXPECT_EQ(Count(svg, "<circle"), 9u);
    for (const char* label : {">amortized<", ">refined 1<", ">refined 5<", ">refined 20<",
                              ">refined final<", ">classical<", ">ln-vi<"}) {
      EXPECT_EQ(Count(svg, label), 1u) << label;
    }
  }
  const std::string md = ReadBytes(f.out / "report.md");
  EXPECT_NE(md.find("| 5 | 55.0% | 110 | 5.00 |"), std::string::npos);
  EXPECT_NE(md.find("| final | 83.0% | 210 | 7.00 |"), std::string::npos);
  EXPECT_NE(md.find("Cost per document against completion perplexity"), std::string::npos);
  EXPECT_NE(md.find("| ln-vi | 40,000 |"), std::string::npos);
}

// A quality.json from before the curve: the report reads it and leaves the chart out.
TEST(ReportGapTest, QualityJsonWithoutTheCurveOmitsTheFrontier) {
  Fixture f;
  json quality = QualityJson();
  quality["gap"] = ScoreStageGap();
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.out);
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  EXPECT_TRUE(report["scores"][0]["refinement_curve"].empty());
  EXPECT_TRUE(report["scores"][0]["frontier"].empty());
  const std::string html = ReadBytes(f.out / "report.html");
  EXPECT_EQ(html.find("Cost per document against"), std::string::npos);
  EXPECT_EQ(ReadBytes(f.out / "report.md").find("Refinement curve"), std::string::npos);
}

TEST(ReportGapTest, CurvePointWithoutAStepCountIsAnInputError) {
  Fixture f;
  json quality = QualityJson();
  quality["refinement_curve"] = ScoreStageCurve();
  quality["refinement_curve"][1]["steps"] = "two";
  WriteJson(f.p2 / "quality.json", quality);
  EXPECT_THROW(RunReportOn({f.p2.string()}, f.out), InputError);
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
