// Malformed, missing and partial inputs: InputErrors naming the file, or a
// report of what there is.
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

TEST(ReportErrorTest, MalformedTimingsJsonIsAnInputErrorNamingTheFile) {
  Fixture f;
  WriteBytes(f.p1 / "timings.json", "{\"methods\": {\"amortized\": ");
  try {
    RunReportOn(f.AllDirs(), f.out);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("scores-p1/timings.json"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitDataErr);
  }
  EXPECT_FALSE(fs::exists(f.out / "report.html"));
}

TEST(ReportErrorTest, WrongFieldTypeNamesTheFileAndField) {
  Fixture f;
  WriteJson(f.p2 / "timings.json",
            {{"methods",
              {{"amortized",
                {{"documents", "many"}, {"wall_seconds", 1}, {"documents_per_second", 1}}}}}});
  EXPECT_THROW(
      {
        try {
          RunReportOn({f.p2.string()}, f.out);
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("timings.json: \"documents\""), std::string::npos);
          throw;
        }
      },
      InputError);
}

TEST(ReportErrorTest, MalformedNpyAndTrainLogAreInputErrors) {
  Fixture f;
  WriteBytes(f.p1 / "theta-refined.npy", "garbage");
  EXPECT_THROW(RunReportOn({f.p1.string()}, f.out), InputError);
  WriteBytes(f.model / "train_log.jsonl", "{\"type\": \"step\", \"step\": 1}\n{oops\n");
  try {
    RunReportOn({f.model.string()}, f.out);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train_log.jsonl: line 2"), std::string::npos) << e.what();
  }
}

TEST(ReportErrorTest, MissingAndUnrecognisedFolders) {
  TempDir tmp;
  EXPECT_THROW(RunReportOn({(tmp / "absent").string()}, tmp / "out"), MissingInputError);
  fs::create_directories(tmp / "empty");
  EXPECT_THROW(RunReportOn({(tmp / "empty").string()}, tmp / "out"), InputError);
}

// A vocabulary with readable words (as `ntm tokenize` writes in pieces mode):
// topics are listed by word, each word once, and quality.json's top_words win

TEST(ReportErrorTest, OnlyAScoresFolderStillGivesAReport) {
  Fixture f;
  RunReportOn({f.p2.string()}, f.out);
  const std::string html = ReadBytes(f.out / "report.html");
  EXPECT_NE(SectionHtml(html, "corpus").find("No corpus folder"), std::string::npos);
  EXPECT_NE(SectionHtml(html, "training").find("No model folder"), std::string::npos);
  EXPECT_NE(SectionHtml(html, "scaling").find("different numbers of ranks"), std::string::npos);
}

}  // namespace
}  // namespace ntm
