// The whole report of the full fixture: its three files, every section, privacy and
// permissions.
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

// One report of the full fixture, written once and shared by the tests below.
class ReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new Fixture;
    RunReportOn(fixture_->AllDirs(), fixture_->out);
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  void SetUp() override {
    html_ = ReadBytes(f_.out / "report.html");
    md_ = ReadBytes(f_.out / "report.md");
    report_ = json::parse(ReadBytes(f_.out / "report.json"));
  }
  inline static Fixture* fixture_ = nullptr;
  const Fixture& f_ = *fixture_;
  std::string html_, md_;
  json report_;
};

TEST_F(ReportTest, HtmlIsOneSelfContainedFile) {
  ASSERT_FALSE(html_.empty());
  EXPECT_EQ(html_.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html_.find("<style>"), std::string::npos);
  for (const char* forbidden :
       {"<script", "http://", "https://", "<link", "<img", "src=", "@import", "url("}) {
    EXPECT_EQ(html_.find(forbidden), std::string::npos) << forbidden;
  }
}

TEST_F(ReportTest, EveryChartSectionHasAnSvg) {
  for (const char* id : {"training", "throughput", "quality", "scaling"}) {
    EXPECT_NE(SectionHtml(html_, id).find("<svg"), std::string::npos) << id;
  }
  for (const char* id :
       {"corpus", "training", "throughput", "quality", "gap", "topics", "scaling", "environment"}) {
    EXPECT_FALSE(SectionHtml(html_, id).empty()) << id;
  }
}

TEST_F(ReportTest, ShowsThroughputSpeedupAndProjection) {
  const std::string speedup_p2 = FormatRatio(124000.0 / 620.0);
  const std::string speedup_p1 = FormatRatio(65000.0 / 330.0);
  EXPECT_EQ(speedup_p2, "200\xC3\x97");
  EXPECT_EQ(speedup_p1, "197\xC3\x97");
  const std::string classical_10m = FormatDurationOrDays(10e6 / 620.0);
  EXPECT_EQ(classical_10m, "4:28:49");
  const std::string throughput = SectionHtml(html_, "throughput");
  for (const std::string& figure :
       {std::string("124,000"), std::string("620"), speedup_p2, speedup_p1, classical_10m,
        FormatDurationOrDays(10e6 / 124000.0), std::string("62,000")}) {  // per rank on P=2
    EXPECT_NE(throughput.find(figure), std::string::npos) << figure;
    EXPECT_NE(md_.find(figure), std::string::npos) << figure;
  }
  EXPECT_NE(throughput.find("<td class=\"num\">124,000</td>"), std::string::npos);
  EXPECT_NE(throughput.find("(log scale)"), std::string::npos);
}

TEST_F(ReportTest, JsonHasTheFigures) {
  EXPECT_EQ(report_["corpora"][0]["documents"]["read"], 2500);
  EXPECT_EQ(report_["corpora"][0]["rejected"]["no_terms"], 16);
  ASSERT_EQ(report_["scores"].size(), 2u);
  const json& p2 = report_["scores"][1];
  EXPECT_EQ(p2["ranks"], 2);
  EXPECT_DOUBLE_EQ(p2["throughput"]["amortized"]["documents_per_second"].get<double>(), 124000);
  EXPECT_DOUBLE_EQ(p2["throughput"]["amortized"]["documents_per_second_per_rank"].get<double>(),
                   62000);
  EXPECT_DOUBLE_EQ(p2["speedup_amortized_over_classical"].get<double>(), 124000.0 / 620.0);
  EXPECT_DOUBLE_EQ(
      p2["throughput"]["classical"]["projected_seconds_for_10m_documents"].get<double>(),
      10e6 / 620.0);
  EXPECT_DOUBLE_EQ(p2["quality"]["amortized"]["completion_perplexity"].get<double>(), 1510.2);
  EXPECT_EQ(report_["training"][0]["epochs"].size(), 3u);
  EXPECT_EQ(report_["environment"].size(), 4u);
  EXPECT_EQ(report_["environment"][3]["git_commit"], "abc123f");
}

TEST_F(ReportTest, ComputesL1AndPrevalenceFromThetaWhenQualityJsonLacksThem) {
  const json& p1 = report_["scores"][0];
  EXPECT_EQ(p1["quality"]["amortized"]["mean_l1_source"], "theta-amortized.npy");
  EXPECT_NEAR(p1["quality"]["amortized"]["mean_l1_to_classical"].get<double>(),
              MeanL1(Theta(0.05f), Theta(0.0f)), 1e-6);
  EXPECT_NEAR(p1["quality"]["refined"]["mean_l1_to_classical"].get<double>(),
              MeanL1(Theta(0.02f), Theta(0.0f)), 1e-6);
  EXPECT_NEAR(p1["quality"]["amortized"]["mean_elbo"].get<double>(), -925.0, 1e-9);
  EXPECT_EQ(p1["topics"]["prevalence_source"], "mean of theta-amortized.npy");
  EXPECT_EQ(p1["topics"]["topics"][0]["top_terms"][0], "heart");  // from topics.npy + vocab.tsv
  // quality.json's figure wins where it has one.
  EXPECT_DOUBLE_EQ(
      report_["scores"][1]["quality"]["amortized"]["mean_l1_to_classical"].get<double>(), 0.31);
}

TEST_F(ReportTest, ScalingAcrossRankCounts) {
  const json& scaling = report_["scaling"];
  ASSERT_FALSE(scaling.empty());
  const json& row = scaling[1];  // amortized on 2 ranks
  EXPECT_EQ(row["method"], "amortized");
  EXPECT_EQ(row["ranks"], 2);
  EXPECT_DOUBLE_EQ(row["speedup"].get<double>(), 124000.0 / 65000.0);
  EXPECT_DOUBLE_EQ(row["efficiency"].get<double>(), 124000.0 / 65000.0 / 2);
  const std::string section = SectionHtml(html_, "scaling");
  EXPECT_NE(section.find(FormatRatio(124000.0 / 65000.0)), std::string::npos);
  EXPECT_NE(section.find(FormatPercent(124000.0 / 65000.0 / 2)), std::string::npos);
}

TEST_F(ReportTest, MarkdownHasTheTables) {
  EXPECT_NE(md_.find("## 1. Corpus"), std::string::npos);
  EXPECT_NE(md_.find("| Figure | Value |"), std::string::npos);
  EXPECT_NE(md_.find("| Documents read | 2,500 |"), std::string::npos);
  EXPECT_NE(md_.find("| ---: |"), std::string::npos);
  EXPECT_NE(md_.find("## 7. Scaling across runs"), std::string::npos);
  EXPECT_NE(md_.find("x&lt;y"), std::string::npos);  // a piece with markup is escaped
}

TEST_F(ReportTest, TopicsShowDecodedWords) {
  const std::string topics = SectionHtml(html_, "topics");
  EXPECT_NE(topics.find("heart, blood"), std::string::npos);
  EXPECT_EQ(topics.find("\xE2\x96\x81"), std::string::npos);  // no word markers
  EXPECT_NE(topics.find("0.120"), std::string::npos);         // NPMI
}

TEST_F(ReportTest, SectionsSayHowToReadTheirFigures) {
  const std::vector<std::pair<std::string, std::string>> explanations = {
      {"throughput", "10,000,000 divided by the all-rank rate"},
      {"quality", "half of the tokens of held-out"},
      {"gap", "ELBO(ln-vi) \xE2\x88\x92 ELBO(amortized)"},
      {"topics", "a word ending"}};
  for (const auto& [id, phrase] : explanations) {
    EXPECT_NE(SectionHtml(html_, id).find(phrase), std::string::npos) << id;
    EXPECT_NE(md_.find(phrase), std::string::npos) << id;
  }
}

TEST_F(ReportTest, MissingLnViGivesAHelpfulNote) {
  const std::string gap = SectionHtml(html_, "gap");
  EXPECT_NE(gap.find("class=\"note\""), std::string::npos);
  EXPECT_NE(gap.find("ln-vi"), std::string::npos);
  EXPECT_NE(gap.find("--methods"), std::string::npos);
  bool noted = false;
  for (const auto& note : report_["notes"]) noted |= note["section"] == "gap";
  EXPECT_TRUE(noted);
}

TEST_F(ReportTest, NoDocumentTextOrIdsInAnyReportFile) {
  for (const char* name : {"report.html", "report.md", "report.json", "run.json"}) {
    const std::string text = ReadBytes(f_.out / name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(text.find("Quixote"), std::string::npos) << name;
    EXPECT_EQ(text.find("Zelda"), std::string::npos) << name;
    EXPECT_EQ(text.find(kSecretId), std::string::npos) << name;
  }
}

TEST_F(ReportTest, FilesAreOwnerAndGroupOnly) {
  for (const char* name : {"report.html", "report.md", "report.json"}) {
    struct stat st {};
    ASSERT_EQ(::stat((f_.out / name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << name;
  }
}

}  // namespace
}  // namespace ntm
