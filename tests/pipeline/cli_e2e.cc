// The `ntm` binary as a user meets it: help, version, config errors, and a
// failing rank that must end the whole MPI job instead of hanging it.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/util/run_command.h"

namespace ntm {
namespace {

using testing_util::Mpirun;
using testing_util::RunCommand;
using testing_util::TempDir;

const std::string kNtm = NTM_BINARY;

int CountLines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

TEST(CliTest, HelpListsEveryStage) {
  auto r = RunCommand(kNtm + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* stage :
       {"tokenize", "train", "score", "report", "export-bow", "synth", "version"}) {
    EXPECT_NE(r.output.find(stage), std::string::npos) << stage;
    auto sub = RunCommand(kNtm + " " + stage + " --help");
    EXPECT_EQ(sub.exit_code, 0) << stage;
    EXPECT_NE(sub.output.find("Usage"), std::string::npos) << stage;
  }
}

TEST(CliTest, VersionNamesEveryLibrary) {
  auto r = RunCommand(kNtm + " version");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* lib :
       {"ntm 0.", "commit", "Open MPI", "Eigen", "ICU", "SentencePiece", "yaml-cpp"}) {
    EXPECT_NE(r.output.find(lib), std::string::npos) << lib << " in:\n" << r.output;
  }
}

TEST(CliTest, UsageErrorsExit64) {
  EXPECT_EQ(RunCommand(kNtm).exit_code, 64);
  EXPECT_EQ(RunCommand(kNtm + " frobnicate").exit_code, 64);
  EXPECT_EQ(RunCommand(kNtm + " train --corpus c").exit_code, 64);  // --out missing
  EXPECT_EQ(RunCommand(kNtm + " score --model m --out o").exit_code, 64);
  EXPECT_EQ(RunCommand(kNtm + " score --model m --corpus c --out o --methods fast").exit_code, 64);
}

TEST(CliTest, BrokenConfigGivesOneClearLineAndExit64) {
  TempDir dir;
  std::ofstream(dir / "bad.yaml") << "model:\n  num_topics: 20\ntrain:\n  lerning_rate: 0.01\n";
  auto r = RunCommand(kNtm + " train --config " + (dir / "bad.yaml") + " --corpus c --out " +
                      (dir / "model"));
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(CountLines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("bad.yaml:4: unknown key 'train.lerning_rate' (did you mean "
                          "'train.learning_rate'?)"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "model")) << "nothing written on a config error";
}

TEST(CliTest, MissingConfigFileExit66) {
  auto r = RunCommand(kNtm + " train --config /nonexistent/c.yaml --corpus c --out o");
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.output.find("/nonexistent/c.yaml"), std::string::npos);
}

TEST(CliTest, RunsUnderMpirunAndPrintsOnce) {
  auto r = RunCommand(Mpirun(2) + kNtm + " version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  size_t count = 0;
  for (size_t pos = 0; (pos = r.output.find("SentencePiece", pos)) != std::string::npos; ++pos) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << r.output;
}

// Rank 1 throws while ranks 0 and 2 wait in a barrier: MPI_Abort must end the
// job with the error's exit code within seconds.
TEST(CliTest, FailingRankEndsTheWholeJob) {
  auto r = RunCommand("NTM_FAIL_RANK=1 timeout 60 " + Mpirun(3) + kNtm + " version");
  EXPECT_EQ(r.exit_code, 74) << "the failing rank's IoError code\n" << r.output;
  EXPECT_NE(r.exit_code, 124) << "timed out: the other ranks hung\n" << r.output;
  EXPECT_LT(r.seconds, 30.0);
  EXPECT_NE(r.output.find("injected failure"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ntm
