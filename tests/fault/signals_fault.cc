// Fault campaign: signals. Under `mpirun -np 2`:
//  - SIGKILL to one rank during tokenize, train and score: the job must end
//    within seconds (asserted < 60 s: no hang in a collective), leave no broken
//    file under a final name, and a rerun (train: --resume) must complete with
//    the same outputs as an uninterrupted run;
//  - SIGTERM to every rank during training (what scancel does): exit 75 with a
//    checkpoint, and --resume ends bit-identical to an uninterrupted run
//    (model.bin and topics.npy);
//  - SIGTERM during tokenize and score: the job ends promptly and leaves no
//    broken file (the exit code is recorded in the table).
// Inputs: the bundled MedQuAD sample (2,500 records) with the tiny config.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/fault_util.h"

namespace ntm::fault {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Byte-identical files (by name) of two folders; returns the names that differ.
std::vector<std::string> Differing(const fs::path& a, const fs::path& b,
                                   const std::vector<std::string>& names) {
  std::vector<std::string> diff;
  for (const std::string& n : names) {
    if (!fs::exists(a / n) || !fs::exists(b / n) || ReadFile(a / n) != ReadFile(b / n)) {
      diff.push_back(n);
    }
  }
  return diff;
}

// Output files of a folder under final names (shards and the like), sorted.
std::vector<std::string> FinalNames(const fs::path& dir,
                                    const std::vector<std::string>& skip = {}) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (!e.is_regular_file() || IsTemporaryName(n)) continue;
    if (std::find(skip.begin(), skip.end(), n) != skip.end()) continue;
    names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

class Signals : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    // The reference corpus, model and scores of uninterrupted 2-rank runs.
    const auto t = RunCommand(Mpirun(2) + Tokenize(D() / "ref-corpus"));
    const auto m = RunCommand(Mpirun(2) + Train(D() / "ref-corpus", D() / "ref-model"));
    // Scoring is fast: score raw input (tokenized with the bundle) of 10 copies
    // of the sample (25,000 records, ids made unique) with strict tolerances,
    // ~10 s on 2 cores, so that a signal lands mid-stage.
    RunCommand("for i in 0 1 2 3 4 5 6 7 8 9; do gzip -dc " + kSample +
               " | sed 's/\"id\": \"/\"id\": \"r'$i'-/'; done > " + (D() / "big.jsonl").string());
    const auto s = RunCommand(Mpirun(2) + Score(D() / "ref-model", D() / "ref-scores"));
    // The same 25,000 records tokenized uninterrupted: the reference of the
    // tokenize-interruption tests.
    const auto b = RunCommand(Mpirun(2) + Tokenize(D() / "ref-big-corpus", D() / "big.jsonl"));
    setup_ok_ = t.exit_code == 0 && m.exit_code == 0 && s.exit_code == 0 && b.exit_code == 0;
    setup_log_ = t.output + m.output + s.output + b.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_ok_) << setup_log_; }

  static fs::path D() { return dir_->path(); }
  // Pieces mode, as the default config.
  static std::string Tokenize(const fs::path& out, const fs::path& input = kSample) {
    return kNtm + " tokenize" + Tiny() +
           "--set vocab.mode=pieces --set vocab.piece_vocab_size=2000 --set vocab.sample_docs=2500 "
           "--input " +
           input.string() + " --out " + out.string();
  }
  // 200 epochs of 13 batches (~4 s on 2 idle cores), a checkpoint every 20 steps.
  static std::string Train(const fs::path& corpus, const fs::path& out,
                           const std::string& extra = "") {
    return kNtm + " train" + Tiny() +
           "--set train.epochs=200 --set train.checkpoint_every_steps=20 --set "
           "train.log_every_steps=20 "
           "--corpus " +
           corpus.string() + " --out " + out.string() + " " + extra;
  }
  static std::string Score(const fs::path& model, const fs::path& out) {
    return kNtm + " score" + Tiny() +
           "--set score.mc_samples=20 --set score.refine_steps=20 --set "
           "score.classical_max_iter=500 --set score.classical_tol=1e-7 --set score.lnvi_tol=1e-12 "
           "--methods amortized,refined,classical,ln-vi --model " +
           model.string() + " --input " + (D() / "big.jsonl").string() + " --out " + out.string();
  }

  // Starts `command` (2 ranks writing to `out`), waits until `started()`,
  // sends `signal` to rank `which` (-1: every rank) and waits for the job.
  struct Interrupted {
    CommandResult result;
    double seconds_to_end = -1;  // from the signal to the end of mpirun
    bool signalled = false;      // false: the job ended before the signal
    bool ranks_gone = false;
  };
  template <typename Started>
  static Interrupted RunAndSignal(const std::string& command, const fs::path& out, Started started,
                                  int signal, int which) {
    Interrupted r;
    Background job("timeout 300 " + Mpirun(2) + command);
    std::vector<pid_t> ranks;
    const bool ready = WaitFor(
        [&] {
          ranks = RankPids(out.string());
          return ranks.size() == 2 && started();
        },
        job);
    if (ready && !job.done()) {
      const auto at = Clock::now();
      for (size_t i = 0; i < ranks.size(); ++i) {
        if (which < 0 || static_cast<size_t>(which) == i) ::kill(ranks[i], signal);
      }
      r.signalled = true;
      r.result = job.Wait();
      r.seconds_to_end = SecondsSince(at);
    } else {
      r.result = job.Wait();
    }
    r.ranks_gone = AllGone(ranks);
    return r;
  }

  static TempDir* dir_;
  static bool setup_ok_;
  static std::string setup_log_;
};

TempDir* Signals::dir_ = nullptr;
bool Signals::setup_ok_ = false;
std::string Signals::setup_log_;

// "Mid-tokenize": both ranks are in the tokenizing pass (their spill files
// exist), whatever the speed of the machine.
auto BothRanksSpilling(const fs::path& out) {
  return [out] {
    return fs::exists(out / ".spill-rank0.tmp") && fs::exists(out / ".spill-rank1.tmp");
  };
}

// "Started": the stage has been running for `seconds` with both ranks up.
auto After(double seconds) {
  auto first = std::make_shared<Clock::time_point>();
  auto seen = std::make_shared<bool>(false);
  return [=] {
    if (!*seen) {
      *seen = true;
      *first = Clock::now();
    }
    return SecondsSince(*first) >= seconds;
  };
}

TEST_F(Signals, SigkillOneRankDuringTokenizeEndsJobAndRerunMatches) {
  const fs::path out = D() / "tok-killed";
  const Interrupted r =
      RunAndSignal(Tokenize(out, D() / "big.jsonl"), out, BothRanksSpilling(out), SIGKILL, 1);
  ASSERT_TRUE(r.signalled) << "tokenize ended before the signal\n" << r.result.output;
  EXPECT_NE(r.result.exit_code, 0);
  EXPECT_LT(r.seconds_to_end, 60.0) << "the job hung after a rank died";
  EXPECT_TRUE(r.ranks_gone);
  const FolderCheck after_kill = CheckFolder(out);
  EXPECT_TRUE(after_kill.ok()) << after_kill.Summary();
  const bool no_manifest = !fs::exists(out / "manifest.json");
  EXPECT_TRUE(no_manifest) << "a killed tokenize must not look complete";
  // Rerun into the same folder, as a user would.
  const CommandResult rerun = RunCommand(Mpirun(2) + Tokenize(out, D() / "big.jsonl"));
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  const auto names = FinalNames(D() / "ref-big-corpus", {"run.json"});
  const auto diff = Differing(out, D() / "ref-big-corpus", names);
  EXPECT_TRUE(diff.empty()) << "rerun differs from an uninterrupted run: " << Join(diff);
  const auto extra = FinalNames(out, {"run.json"});
  const FolderCheck after_rerun = CheckFolder(out);
  EXPECT_EQ(extra, names) << "files of the killed run left beside the rerun's";
  Row("SIGKILL to rank 1 of 2 during tokenize",
      "10 copies of the MedQuAD sample (25,000 records), pieces mode, kill in the tokenizing pass",
      "job ended " + std::to_string(static_cast<int>(r.seconds_to_end * 10) / 10.0).substr(0, 4) +
          " s after the kill; rerun into the same folder: exit " + std::to_string(rerun.exit_code) +
          (diff.empty() && extra == names ? ", outputs identical to an uninterrupted run"
                                          : ", outputs differ: " + Join(diff)) +
          "; " + std::to_string(after_rerun.temporary.size()) +
          " temporary file(s) remain after the rerun",
      std::to_string(r.result.exit_code) + " (rerun " + std::to_string(rerun.exit_code) + ")",
      "after the kill: " + after_kill.Summary() +
          (no_manifest ? ", no manifest.json" : ", manifest.json present"));
}

TEST_F(Signals, SigkillOneRankDuringTrainEndsJobAndResumeIsBitIdentical) {
  const fs::path out = D() / "train-killed";
  const Interrupted r = RunAndSignal(
      Train(D() / "ref-corpus", out), out, [&] { return fs::exists(out / "model.bin"); }, SIGKILL,
      1);
  ASSERT_TRUE(r.signalled) << "train ended before the signal\n" << r.result.output;
  EXPECT_NE(r.result.exit_code, 0);
  EXPECT_LT(r.seconds_to_end, 60.0) << "the job hung after a rank died";
  EXPECT_TRUE(r.ranks_gone);
  const FolderCheck after_kill = CheckFolder(out);
  EXPECT_TRUE(after_kill.ok()) << after_kill.Summary();
  const CommandResult resumed = RunCommand(Mpirun(2) + Train(D() / "ref-corpus", out, "--resume"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto diff = Differing(out, D() / "ref-model", {"model.bin", "topics.npy"});
  EXPECT_TRUE(diff.empty()) << "resumed model differs from the uninterrupted run: " << Join(diff);
  Row("SIGKILL to rank 1 of 2 during train",
      "MedQuAD corpus, 200 epochs, checkpoint every 20 steps; kill after the first checkpoint",
      "job ended " + std::to_string(r.seconds_to_end).substr(0, 4) +
          " s after the kill; --resume: exit " + std::to_string(resumed.exit_code) +
          (diff.empty() ? ", model.bin and topics.npy bit-identical to an uninterrupted run"
                        : ", differs: " + Join(diff)),
      std::to_string(r.result.exit_code) + " (resume " + std::to_string(resumed.exit_code) + ")",
      after_kill.Summary());
}

TEST_F(Signals, SigkillOneRankDuringScoreEndsJobAndRerunMatches) {
  const fs::path out = D() / "score-killed";
  const Interrupted r = RunAndSignal(Score(D() / "ref-model", out), out, After(1.0), SIGKILL, 1);
  ASSERT_TRUE(r.signalled) << "score ended before the signal\n" << r.result.output;
  EXPECT_NE(r.result.exit_code, 0);
  EXPECT_LT(r.seconds_to_end, 60.0) << "the job hung after a rank died";
  EXPECT_TRUE(r.ranks_gone);
  const FolderCheck after_kill = CheckFolder(out);
  EXPECT_TRUE(after_kill.ok()) << after_kill.Summary();
  const CommandResult rerun = RunCommand(Mpirun(2) + Score(D() / "ref-model", out));
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  const std::vector<std::string> compared = {
      "doc_ids.txt",       "scores.csv",          "quality.json",    "theta-amortized.npy",
      "theta-refined.npy", "theta-classical.npy", "theta-ln-vi.npy", "elbo-amortized.npy",
      "elbo-refined.npy",  "elbo-classical.npy",  "elbo-ln-vi.npy"};
  const auto diff = Differing(out, D() / "ref-scores", compared);
  EXPECT_TRUE(diff.empty()) << "rerun differs from an uninterrupted run: " << Join(diff);
  // Temporary files of the killed ranks are not an error (nothing reads them),
  // but they take space; recorded, not asserted.
  const FolderCheck after_rerun = CheckFolder(out);
  Row("SIGKILL to rank 1 of 2 during score",
      "25,000 raw records (10 x the MedQuAD sample), MedQuAD model, 4 methods, kill 1 s after "
      "start",
      "job ended " + std::to_string(r.seconds_to_end).substr(0, 4) +
          " s after the kill; rerun into the same folder: exit " + std::to_string(rerun.exit_code) +
          (diff.empty() ? ", theta/elbo/scores identical to an uninterrupted run"
                        : ", differs: " + Join(diff)) +
          "; " + std::to_string(after_rerun.temporary.size()) +
          " temporary file(s) of the killed run remain after the rerun",
      std::to_string(r.result.exit_code) + " (rerun " + std::to_string(rerun.exit_code) + ")",
      "after the kill: " + after_kill.Summary());
}

TEST_F(Signals, SigtermDuringTrainExits75AndResumeIsBitIdentical) {
  const fs::path out = D() / "train-term";
  const Interrupted r = RunAndSignal(
      Train(D() / "ref-corpus", out), out, [&] { return fs::exists(out / "model.bin"); }, SIGTERM,
      -1);
  ASSERT_TRUE(r.signalled) << "train ended before the signal\n" << r.result.output;
  EXPECT_EQ(r.result.exit_code, 75) << r.result.output;
  EXPECT_EQ(ErrorLines(r.result.output).size(), 1u) << r.result.output;
  EXPECT_LT(r.seconds_to_end, 60.0);
  const FolderCheck after = CheckFolder(out);
  EXPECT_TRUE(after.ok()) << after.Summary();
  EXPECT_FALSE(fs::exists(out / "topics.npy")) << "final outputs of an unfinished run";
  const CommandResult resumed = RunCommand(Mpirun(2) + Train(D() / "ref-corpus", out, "--resume"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto diff = Differing(out, D() / "ref-model", {"model.bin", "topics.npy"});
  EXPECT_TRUE(diff.empty()) << "resumed model differs from the uninterrupted run: " << Join(diff);
  Row("SIGTERM to both ranks during train", "as above; SIGTERM after the first checkpoint",
      "exit " + std::to_string(r.result.exit_code) + " after " +
          std::to_string(r.seconds_to_end).substr(0, 4) + " s (" +
          OneErrorLine(r.result).substr(0, 60) + "); --resume: exit " +
          std::to_string(resumed.exit_code) +
          (diff.empty() ? ", model.bin and topics.npy bit-identical" : ", differs: " + Join(diff)),
      std::to_string(r.result.exit_code), after.Summary());
}

TEST_F(Signals, SigtermDuringTokenizeAndScoreEndsPromptlyWithoutBrokenFiles) {
  {
    const fs::path out = D() / "tok-term";
    const Interrupted r =
        RunAndSignal(Tokenize(out, D() / "big.jsonl"), out, BothRanksSpilling(out), SIGTERM, -1);
    ASSERT_TRUE(r.signalled) << r.result.output;
    EXPECT_NE(r.result.exit_code, 0);
    EXPECT_LT(r.seconds_to_end, 60.0);
    EXPECT_TRUE(r.ranks_gone);
    const FolderCheck after = CheckFolder(out);
    EXPECT_TRUE(after.ok()) << after.Summary();
    Row("SIGTERM to both ranks during tokenize",
        "25,000 records, pieces mode, in the tokenizing pass",
        "ended after " + std::to_string(r.seconds_to_end).substr(0, 4) + " s; " +
            OneErrorLine(r.result).substr(0, 70),
        std::to_string(r.result.exit_code), after.Summary());
  }
  {
    const fs::path out = D() / "score-term";
    const Interrupted r = RunAndSignal(Score(D() / "ref-model", out), out, After(1.0), SIGTERM, -1);
    ASSERT_TRUE(r.signalled) << r.result.output;
    EXPECT_NE(r.result.exit_code, 0);
    EXPECT_LT(r.seconds_to_end, 60.0);
    EXPECT_TRUE(r.ranks_gone);
    const FolderCheck after = CheckFolder(out);
    EXPECT_TRUE(after.ok()) << after.Summary();
    Row("SIGTERM to both ranks during score", "25,000 raw records, 4 methods, 1 s after start",
        "ended after " + std::to_string(r.seconds_to_end).substr(0, 4) + " s; " +
            OneErrorLine(r.result).substr(0, 70),
        std::to_string(r.result.exit_code), after.Summary());
  }
}

}  // namespace
}  // namespace ntm::fault
