// Nightly incremental scoring end to end (`ntm score --incremental`): only new
// or changed documents are scored, into a dated folder; re-running scores
// nothing; a concurrent run exits 75; what a killed run leaves never counts
// as scored and the next run completes the work.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/util/run_command.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using testing_util::Mpirun;
using testing_util::RunCommand;
using testing_util::TempDir;

const std::string kNtm = NTM_BINARY;

// MedQuAD answers (CC BY 4.0, bundled) as raw notes: lines [first, first + n).
std::string SampleLines(int first, int n) {
  const auto r = RunCommand("gzip -dc " + std::string(NTM_SOURCE_DIR) +
                            "/tests/data/medquad-sample.jsonl.gz | sed -n '" +
                            std::to_string(first + 1) + "," + std::to_string(first + n) + "p'");
  return r.output;
}

void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::vector<fs::path> DatedFolders(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int LineCount(const fs::path& path) {
  std::ifstream in(path);
  return static_cast<int>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

class NightlyE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    Write(*dir_ / "train.jsonl", SampleLines(0, 400));
    const std::string small =
        " --set model.num_topics=8 --set model.hidden=32 --set train.epochs=2"
        " --set vocab.mode=words --set vocab.min_df=2 --config /dev/null";
    ASSERT_EQ(RunCommand(kNtm + " tokenize --input " + (*dir_ / "train.jsonl") + " --out " +
                         (*dir_ / "corpus") + small)
                  .exit_code,
              0);
    ASSERT_EQ(RunCommand(kNtm + " train --corpus " + (*dir_ / "corpus") + " --out " +
                         (*dir_ / "model") + small)
                  .exit_code,
              0);
  }
  static void TearDownTestSuite() { delete dir_; }

  testing_util::CommandResult Nightly(const std::string& input, const fs::path& root,
                                      const std::string& prefix = "") {
    return RunCommand(prefix + kNtm + " score --incremental --model " + (*dir_ / "model") +
                      " --input " + input + " --out " + root.string() + " --methods amortized");
  }

  static TempDir* dir_;
};

TempDir* NightlyE2e::dir_ = nullptr;

TEST_F(NightlyE2e, ScoresOnlyNewOrChangedDocumentsAndNothingTwice) {
  TempDir work;
  const fs::path root = work.path() / "scores";
  Write(work / "night1.jsonl", SampleLines(400, 60));
  auto first = Nightly(work / "night1.jsonl", root);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(DatedFolders(root).size(), 1u);
  const fs::path night1 = DatedFolders(root)[0];
  EXPECT_EQ(LineCount(night1 / "doc_ids.txt"), 60);
  EXPECT_EQ(LineCount(night1 / "scored.tsv"), 60);
  const auto summary = nlohmann::json::parse(std::ifstream(night1 / "summary.json"));
  EXPECT_EQ(summary["new_documents"], 60);
  // The new notes' word tokens by fate (issue 13): they add up, some are in the vocabulary.
  const auto& terms = summary.at("term_tokens");
  EXPECT_GT(terms.at("in_vocabulary"), 0);
  EXPECT_EQ(terms.at("total"), terms.at("in_vocabulary").get<int64_t>() +
                                   terms.at("mapped_through_pieces").get<int64_t>() +
                                   terms.at("dropped").get<int64_t>());

  // Same night again: nothing new, no new folder, nothing duplicated.
  auto again = Nightly(work / "night1.jsonl", root);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing new"), std::string::npos) << again.output;
  EXPECT_EQ(DatedFolders(root).size(), 1u);

  // Next night: the old 60, 20 new ones and one old id whose text changed.
  std::string night2 = SampleLines(400, 60) + SampleLines(460, 20);
  const std::string changed = SampleLines(400, 1);
  auto edited = nlohmann::json::parse(changed);
  edited["text"] = edited["text"].get<std::string>() + " Follow-up visit scheduled.";
  night2 += edited.dump() + "\n";
  Write(work / "night2.jsonl", night2);
  auto run2 = RunCommand(Mpirun(2) + kNtm + " score --incremental --model " + (*dir_ / "model") +
                         " --input " + (work / "night2.jsonl") + " --out " + root.string() +
                         " --methods amortized");
  ASSERT_EQ(run2.exit_code, 0) << run2.output;
  const auto folders = DatedFolders(root);
  ASSERT_EQ(folders.size(), 2u);
  EXPECT_EQ(LineCount(folders[1] / "doc_ids.txt"), 21) << "20 new + 1 changed";
}

TEST_F(NightlyE2e, ConcurrentRunFindsTheLockAndExits75) {
  TempDir work;
  const fs::path root = work.path() / "scores";
  fs::create_directories(root);
  Write(work / "night.jsonl", SampleLines(400, 10));
  // flock(1) holds the same lock a running ntm would, for a few seconds; its
  // output goes elsewhere so the pipe closes when ntm exits.
  const std::string hold =
      "flock " + (root / ".lock").string() + " sleep 4 >/dev/null 2>&1 & sleep 0.5; ";
  auto r = RunCommand("(" + hold + kNtm + " score --incremental --model " + (*dir_ / "model") +
                      " --input " + (work / "night.jsonl") + " --out " + root.string() +
                      " --methods amortized)");
  EXPECT_EQ(r.exit_code, 75) << r.output;
  EXPECT_NE(r.output.find("another run holds the lock"), std::string::npos) << r.output;
  EXPECT_TRUE(DatedFolders(root).empty());
}

TEST_F(NightlyE2e, KilledRunLeavesNothingScoredAndTheNextRunCompletes) {
  TempDir work;
  const fs::path root = work.path() / "scores";
  // 600 notes scored with ln-vi take long enough (~0.5 s even on an idle
  // machine) for the kill to land while the run is writing.
  Write(work / "night.jsonl", SampleLines(400, 600));
  // Stop the run with SIGKILL as soon as its incoming folder appears.
  auto killed = RunCommand("(" + kNtm + " score --incremental --model " + (*dir_ / "model") +
                           " --input " + (work / "night.jsonl") + " --out " + root.string() +
                           " --methods amortized,ln-vi & pid=$!; for i in $(seq 1 3000); do "
                           "ls -d " +
                           root.string() +
                           "/.incoming-* >/dev/null 2>&1 && break; sleep 0.01; done; "
                           "kill -9 $pid; wait $pid)");
  EXPECT_NE(killed.exit_code, 0) << "the run finished before it could be killed";
  EXPECT_TRUE(DatedFolders(root).empty()) << "a killed run must not count as scored";

  auto next = Nightly(work / "night.jsonl", root);
  ASSERT_EQ(next.exit_code, 0) << next.output;
  const auto folders = DatedFolders(root);
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(LineCount(folders[0] / "doc_ids.txt"), 600);
  for (const auto& e : fs::directory_iterator(root)) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".incoming-")) << e.path();
  }
}

}  // namespace
}  // namespace ntm
