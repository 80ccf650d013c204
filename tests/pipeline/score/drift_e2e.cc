// Issue 25 end to end on real notes: the amortization gap grows from the
// notes the encoder trained on to held-out notes of the same corpus to notes
// of another corpus; the model carries its held-out gap (gap_reference.json);
// each `ntm score --incremental` night tests its new notes against it.
//
// The model trains on the even lines of the first 2000 MedQuAD answers
// (bundled sample); ten nights are cut from the odd lines (100 notes each,
// spread over the file, so each night is of the kind the model trained on,
// but unseen); the other corpus is 100 MTSamples notes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/util/run_command.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing_util::CommandResult;
using testing_util::Mpirun;
using testing_util::RunCommand;
using testing_util::TempDir;

const std::string kNtm = NTM_BINARY;
constexpr int kNights = 10;
constexpr int kNightNotes = 100;
const std::string kSmall =
    " --config /dev/null --set model.num_topics=8 --set model.hidden=32 --set train.epochs=40"
    " --set vocab.mode=words --set vocab.min_df=3 --set train.validation_fraction=0.2"
    " --set train.drift_reference_docs=150 --set score.lnvi_max_iter=100";

std::vector<std::string> Lines(const std::string& command) {
  std::istringstream in(RunCommand(command).output);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void Write(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& line : lines) out << line << '\n';
}

json ReadJson(const fs::path& path) { return json::parse(std::ifstream(path)); }

fs::path OnlyDatedFolder(const fs::path& root) {
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory() && e.path().filename().string()[0] != '.') folders.push_back(e.path());
  }
  EXPECT_EQ(folders.size(), 1u) << root;
  return folders.empty() ? root : folders[0];
}

class DriftE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const auto medquad = Lines("gzip -dc " + std::string(NTM_SOURCE_DIR) +
                               "/tests/data/medquad-sample.jsonl.gz | head -n 2000");
    ASSERT_EQ(medquad.size(), 2000u);
    std::vector<std::string> train, nights[kNights];
    for (size_t i = 0; i < medquad.size(); ++i) {
      (i % 2 == 0 ? train : nights[(i / 2) % kNights]).push_back(medquad[i]);
    }
    Write(dir_->path() / "train.jsonl", train);
    for (int n = 0; n < kNights; ++n) Write(Night(n), nights[n]);
    const auto other =
        Lines("head -n " + std::to_string(kNightNotes) + " /work/shared/data/mtsamples.jsonl");
    ASSERT_EQ(other.size(), static_cast<size_t>(kNightNotes));
    Write(dir_->path() / "other.jsonl", other);
    const auto tokenized = RunCommand(kNtm + " tokenize --input " + (*dir_ / "train.jsonl") +
                                      " --out " + (*dir_ / "corpus") + kSmall);
    ASSERT_EQ(tokenized.exit_code, 0) << tokenized.output;
    const auto trained = RunCommand(kNtm + " train --corpus " + (*dir_ / "corpus") + " --out " +
                                    (*dir_ / "model") + kSmall);
    ASSERT_EQ(trained.exit_code, 0) << trained.output;
  }
  static void TearDownTestSuite() { delete dir_; }

  static fs::path Night(int n) { return dir_->path() / ("night" + std::to_string(n) + ".jsonl"); }

  static CommandResult Nightly(const fs::path& input, const fs::path& root,
                               const std::string& extra = "", int ranks = 1) {
    return RunCommand(Mpirun(ranks) + kNtm + " score --incremental --model " + (*dir_ / "model") +
                      " --input " + input.string() + " --out " + root.string() +
                      " --methods amortized" + kSmall + extra);
  }

  static TempDir* dir_;
};

TempDir* DriftE2e::dir_ = nullptr;

TEST_F(DriftE2e, ModelCarriesTheSortedHeldOutGapOfASeededSample) {
  const json ref = ReadJson(dir_->path() / "model" / "gap_reference.json");
  const auto gaps = ref.at("gaps").get<std::vector<double>>();
  const int64_t held_out = ref.at("sample").at("held_out_documents");
  EXPECT_GT(held_out, 150);  // a fifth of 1000
  EXPECT_EQ(gaps.size(), 150u);
  EXPECT_EQ(ref.at("sample").at("documents"), 150);
  EXPECT_TRUE(std::is_sorted(gaps.begin(), gaps.end()));
  EXPECT_GE(gaps.front(), -1e-9) << "ln-vi never does worse than the encoder";
  EXPECT_GT(gaps.back(), 0);
  EXPECT_EQ(ref.at("inference").at("lnvi_max_iter"), 100);

  // Two ranks draw the same sample of held-out notes (the model itself
  // differs in float summation order, so the gaps may differ in the last bits).
  const auto two = RunCommand(Mpirun(2) + kNtm + " train --corpus " + (*dir_ / "corpus") +
                              " --out " + (*dir_ / "model-p2") + kSmall);
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const json ref2 = ReadJson(dir_->path() / "model-p2" / "gap_reference.json");
  EXPECT_EQ(ref2.at("sample"), ref.at("sample"));
  EXPECT_EQ(ref2.at("inference"), ref.at("inference"));
}

// The ordering of the seed's argument, on real notes (claims).
TEST_F(DriftE2e, GapGrowsFromTrainingToHeldOutToAnotherCorpus) {
  const fs::path same = dir_->path() / "scores-training-corpus",
                 other = dir_->path() / "scores-other";
  const auto scored =
      RunCommand(kNtm + " score --model " + (*dir_ / "model") + " --corpus " + (*dir_ / "corpus") +
                 " --out " + same.string() + " --methods amortized,ln-vi" + kSmall);
  ASSERT_EQ(scored.exit_code, 0) << scored.output;
  const auto scored_other = RunCommand(kNtm + " score --model " + (*dir_ / "model") + " --input " +
                                       (*dir_ / "other.jsonl") + " --out " + other.string() +
                                       " --methods amortized,ln-vi" + kSmall);
  ASSERT_EQ(scored_other.exit_code, 0) << scored_other.output;
  const json split = ReadJson(same / "quality.json").at("gap_by_split");
  const double training = split.at("training").at("mean_nats");
  const double held_out = split.at("held_out").at("mean_nats");
  const json other_gap = ReadJson(other / "quality.json").at("gap");
  EXPECT_FALSE(ReadJson(other / "quality.json").contains("gap_by_split"))
      << "another corpus has no training notes";
  const double another = other_gap.at("mean_nats");
  std::printf("mean gap (nats/note): training %.3f (n=%d), held-out %.3f (n=%d), MTSamples %.3f\n",
              training, split.at("training").at("documents").get<int>(), held_out,
              split.at("held_out").at("documents").get<int>(), another);
  EXPECT_LT(training, held_out);
  EXPECT_LT(held_out, another);
  EXPECT_EQ(split.at("training").at("documents").get<int>() +
                split.at("held_out").at("documents").get<int>(),
            ReadJson(same / "quality.json").at("documents").get<int>());
  EXPECT_TRUE(split.at("held_out").contains("quantiles"));
}

// Ten nights of unseen notes of the training kind: no false alarm (at level
// 0.01 the nominal rate is 0.1 alarms in ten nights).
TEST_F(DriftE2e, TenNightsOfTheTrainingKindRaiseNoAlarm) {
  TempDir work;
  int alarms = 0;
  for (int n = 0; n < kNights; ++n) {
    const fs::path root = work.path() / ("night" + std::to_string(n));
    const auto r = Nightly(Night(n), root);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json drift = ReadJson(OnlyDatedFolder(root) / "summary.json").at("drift");
    ASSERT_TRUE(drift.at("computed").get<bool>()) << drift.dump();
    EXPECT_EQ(drift.at("night_n"), kNightNotes);
    EXPECT_EQ(drift.at("reference_n"), 150);
    std::printf("night %d: KS %.4f p %.4f\n", n, drift.at("statistic").get<double>(),
                drift.at("p_value").get<double>());
    alarms += drift.at("drift").get<bool>();
    EXPECT_EQ(r.output.find("warn"), std::string::npos) << r.output;
  }
  EXPECT_LE(alarms, 0.01 * kNights);
}

TEST_F(DriftE2e, NightOfAnotherCorpusDriftsAndExitsOnlyWhenAsked) {
  TempDir work;
  const auto plain = Nightly(dir_->path() / "other.jsonl", work.path() / "a");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  const json drift = ReadJson(OnlyDatedFolder(work.path() / "a") / "summary.json").at("drift");
  EXPECT_TRUE(drift.at("drift").get<bool>()) << drift.dump();
  EXPECT_LT(drift.at("p_value").get<double>(), drift.at("level").get<double>());
  EXPECT_GT(drift.at("statistic").get<double>(), drift.at("critical_statistic").get<double>());
  EXPECT_EQ(drift.at("level"), 0.01);
  // One warning line, without note text.
  EXPECT_NE(plain.output.find("score: drift:"), std::string::npos) << plain.output;
  EXPECT_EQ(plain.output.find("Sample Doctor"), std::string::npos) << "note text in the log";

  const auto asked =
      Nightly(dir_->path() / "other.jsonl", work.path() / "b", " --set score.drift_exit=true");
  EXPECT_EQ(asked.exit_code, 79) << asked.output;
  EXPECT_TRUE(fs::exists(OnlyDatedFolder(work.path() / "b") / "summary.json"))
      << "a drifting night still completes its outputs";
  // A night of the training kind exits 0 even with the key.
  const auto quiet = Nightly(Night(0), work.path() / "c", " --set score.drift_exit=true");
  EXPECT_EQ(quiet.exit_code, 0) << quiet.output;
}

TEST_F(DriftE2e, StatisticIsTheSameAtOneAndTwoRanks) {
  TempDir work;
  for (const fs::path& input : {Night(3), dir_->path() / "other.jsonl"}) {
    const fs::path one = work.path() / (input.stem().string() + "-p1");
    const fs::path two = work.path() / (input.stem().string() + "-p2");
    ASSERT_EQ(Nightly(input, one).exit_code, 0);
    const auto r = Nightly(input, two, "", 2);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(ReadJson(OnlyDatedFolder(one) / "summary.json").at("drift").dump(),
              ReadJson(OnlyDatedFolder(two) / "summary.json").at("drift").dump());
  }
}

TEST_F(DriftE2e, ANightWithFewerNotesThanTheSampleUsesThemAllAndSaysSo) {
  TempDir work;
  const auto all = Nightly(Night(1), work.path() / "all");  // 100 notes, sample of 500
  ASSERT_EQ(all.exit_code, 0) << all.output;
  const json drift = ReadJson(OnlyDatedFolder(work.path() / "all") / "summary.json").at("drift");
  EXPECT_EQ(drift.at("sample_requested"), 500);
  EXPECT_EQ(drift.at("night_n"), kNightNotes);
  EXPECT_EQ(drift.at("all_new_documents"), true);
  EXPECT_NE(all.output.find("all 100 new notes"), std::string::npos) << all.output;
  // A smaller sample takes a seeded part of the night.
  const auto part = Nightly(Night(1), work.path() / "part", " --set score.drift_sample_docs=40");
  ASSERT_EQ(part.exit_code, 0) << part.output;
  const json d40 = ReadJson(OnlyDatedFolder(work.path() / "part") / "summary.json").at("drift");
  EXPECT_EQ(d40.at("night_n"), 40);
  EXPECT_EQ(d40.at("new_documents"), kNightNotes);
  EXPECT_EQ(d40.at("all_new_documents"), false);
}

}  // namespace
}  // namespace ntm
