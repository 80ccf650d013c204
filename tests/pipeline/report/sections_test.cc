// The topics, environment and training sections on variations of the fixture.
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

TEST(ReportTopicsTest, ReadableWordsAreShownOnceEach) {
  Fixture f;
  VocabFile vocab = ReadVocabFile(f.model / "vocab.tsv");
  vocab.words.clear();
  for (const auto& piece : vocab.pieces) vocab.words.push_back(DecodePiece(piece));
  vocab.words[3] = "heart";  // "▁lung" stands for "heart" too: shown once
  vocab.words[9] = "-ing";
  WriteVocabFile(f.model / "vocab.tsv", vocab);
  RunReportOn({f.model.string(), f.p1.string()}, f.out);
  const json report = json::parse(ReadBytes(f.out / "report.json"));
  const json& terms = report["scores"][0]["topics"]["topics"][1]["top_terms"];  // lung leads
  ASSERT_GE(terms.size(), 2u);
  EXPECT_EQ(terms[0], "heart");
  EXPECT_EQ(std::count(terms.begin(), terms.end(), "heart"), 1);
  EXPECT_EQ(terms.size(), 10u);  // filled from the next terms

  json quality = QualityJson();
  quality["topics"]["top_words"] =
      json::array({json::array({"diagnosis", "-ly"}), json::array({"lung", "breath"}),
                   json::array({"renal", "kidney"})});
  WriteJson(f.p2 / "quality.json", quality);
  RunReportOn({f.p2.string()}, f.tmp / "report2");
  const std::string md = ReadBytes(f.tmp / "report2" / "report.md");
  EXPECT_NE(md.find("diagnosis, -ly"), std::string::npos);
}

// The library table: one column for folders built with the same libraries.
TEST(ReportEnvironmentTest, FoldersWithTheSameLibrariesShareAColumn) {
  Fixture f;
  RunReportOn(f.AllDirs(), f.out);
  std::string environment = SectionHtml(ReadBytes(f.out / "report.html"), "environment");
  EXPECT_NE(environment.find("<th>all folders</th>"), std::string::npos);
  EXPECT_EQ(environment.find("<th>scores-p1, "), std::string::npos);

  json run = json::parse(ReadBytes(f.p2 / "run.json"));
  run["libraries"]["eigen"] = "3.4.1";
  WriteJson(f.p2 / "run.json", run);
  RunReportOn(f.AllDirs(), f.tmp / "report2");
  environment = SectionHtml(ReadBytes(f.tmp / "report2" / "report.html"), "environment");
  EXPECT_EQ(environment.find("<th>all folders</th>"), std::string::npos);
  EXPECT_NE(environment.find("<th>corpus, model, scores-p1</th>"), std::string::npos);
  EXPECT_NE(environment.find("<th>scores-p2</th>"), std::string::npos);
  EXPECT_NE(environment.find("3.4.1"), std::string::npos);
}

// Two models (e.g. two configs): validation curves on one chart, figures in one
// table with a column per model (not repeated per model below it).
TEST(ReportTrainingTest, TwoModelsAreComparedSideBySide) {
  Fixture f;
  const fs::path other = f.tmp / "model-lr01";
  fs::copy(f.model, other, fs::copy_options::recursive);
  RunReportOn({f.model.string(), other.string()}, f.out);
  const std::string training = SectionHtml(ReadBytes(f.out / "report.html"), "training");
  EXPECT_NE(training.find("Validation ELBO per token by training step, all models"),
            std::string::npos);
  EXPECT_NE(training.find("<th class=\"num\">model</th><th class=\"num\">model-lr01</th>"),
            std::string::npos);
  size_t count = 0;
  for (size_t at = training.find("Best validation ELBO per token"); at != std::string::npos;
       at = training.find("Best validation ELBO per token", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u);
  EXPECT_NE(training.find("ELBO per token by training step (model-lr01)"), std::string::npos);
}

}  // namespace
}  // namespace ntm
