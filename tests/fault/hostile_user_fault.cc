// Fault campaign: what a new or careless user does (issue 15, "hostile-user
// findings"). Special files as outputs, two models' scores in one folder,
// shards the manifest does not list, a resume with another model shape,
// configs that are folders, empty or repeat a key, a resumed training log,
// and the messages of the common mistakes. Each case fails on the code
// before the fix; all run on small slices of the bundled MedQuAD sample.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <set>
#include <string>
#include <vector>

#include "tests/fault/fault_util.h"

namespace ntm::fault {
namespace {

class HostileUser : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    WriteSample(D() / "in/a.jsonl", 300);
    setup_ok_ =
        Ok(Tokenize(D() / "in/a.jsonl", D() / "corpus-a", "")) &&
        Ok(kNtm + " train" + Tiny() + "--corpus " + P("corpus-a") + " --out " + P("model-a")) &&
        Ok(kNtm + " train" + Tiny() + "--set train.seed=2 --corpus " + P("corpus-a") + " --out " +
           P("model-a2"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_ok_) << setup_log_; }

  static fs::path D() { return dir_->path(); }
  static std::string P(const std::string& name) { return (D() / name).string(); }
  static bool Ok(const std::string& command) {
    const CommandResult r = RunCommand(command);
    if (r.exit_code != 0) setup_log_ += command + "\n" + r.output;
    return r.exit_code == 0;
  }
  static std::string Tokenize(const fs::path& input, const fs::path& out,
                              const std::string& extra) {
    return kNtm + " tokenize" + Tiny() + "--set tokenize.docs_per_shard=100 " + extra +
           " --input " + input.string() + " --out " + out.string();
  }
  static std::string Score(const std::string& model, const fs::path& out,
                           const std::string& methods) {
    return kNtm + " score" + Tiny() + "--methods " + methods + " --model " + P(model) +
           " --corpus " + P("corpus-a") + " --out " + out.string();
  }
  static fs::path CopyOf(const std::string& name, const std::string& copy) {
    fs::remove_all(D() / copy);
    fs::copy(D() / name, D() / copy, fs::copy_options::recursive);
    return D() / copy;
  }

  // Runs `command` under a timeout, expects `code` and one error line holding
  // every one of `named`; records a table row.
  static CommandResult Expect(const std::string& fault, const std::string& reproduce,
                              const std::string& command, int code,
                              const std::vector<std::string>& named) {
    const CommandResult r = RunCommand("timeout 120 " + command);
    const std::string line = OneErrorLine(r);
    EXPECT_EQ(r.exit_code, code) << fault << "\n" << r.output;
    bool names_all = true;
    for (const auto& part : named) {
      const bool found = line.find(part) != std::string::npos;
      EXPECT_TRUE(found) << fault << ": the error does not say '" << part << "'\n" << r.output;
      names_all = names_all && found;
    }
    std::string message = line;
    for (size_t at; (at = message.find(D().string() + "/")) != std::string::npos;) {
      message.erase(at, D().string().size() + 1);
    }
    const bool good = r.exit_code == code && names_all;
    Row(fault, reproduce, std::string(good ? "detected: " : "NOT AS EXPECTED: ") + message,
        std::to_string(r.exit_code), "n/a");
    return r;
  }

  static TempDir* dir_;
  static bool setup_ok_;
  static std::string setup_log_;
};

TempDir* HostileUser::dir_ = nullptr;
bool HostileUser::setup_ok_ = false;
std::string HostileUser::setup_log_;

bool IsCharDevice(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

// --- High 1: never replace a special file, write through a symbolic link ---

TEST_F(HostileUser, SynthRefusesDeviceFifoAndFolderAndWritesThroughLinks) {
  const fs::path dev = D() / "dev";
  fs::create_directories(dev);
  const std::string synth = kNtm + " synth --docs 5 --topics 5 --seed 1 --out ";
  if (::mknod((dev / "mynull").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    Expect("synth --out a character device", "mknod mynull c 1 3; ntm synth --out mynull ...",
           synth + (dev / "mynull").string(), 73, {"mynull", "character device"});
    EXPECT_TRUE(IsCharDevice(dev / "mynull")) << "the device was replaced";
    EXPECT_EQ(Names(dev), std::vector<std::string>{"mynull"}) << "a temporary beside the device";
  }
  ASSERT_EQ(::mkfifo((dev / "fifo").c_str(), 0600), 0);
  Expect("synth --out a FIFO", "mkfifo fifo; ntm synth --out fifo ...",
         synth + (dev / "fifo").string(), 73, {"fifo", "FIFO"});
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(dev / "fifo")));
  fs::create_directories(D() / "a-folder");
  Expect("synth --out a folder", "ntm synth --out existing-folder ...", synth + P("a-folder"), 73,
         {"a-folder", "folder"});
  fs::create_symlink("real.jsonl", D() / "link.jsonl");
  const CommandResult r = RunCommand(synth + P("link.jsonl"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(D() / "link.jsonl")) << "the link was replaced";
  const std::string written = ReadFile(D() / "real.jsonl");
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 5);
}

TEST_F(HostileUser, EveryStageRefusesASpecialFileUnderAnOutputName) {
  // A FIFO under each stage's output name: replacing it is wrong, opening it hangs.
  const auto with_fifo = [](const std::string& folder, const std::string& name) {
    const fs::path dir = D() / folder;
    fs::create_directories(dir);
    EXPECT_EQ(::mkfifo((dir / name).c_str(), 0600), 0);
    return dir;
  };
  const fs::path s = with_fifo("fifo-score", "theta-amortized.npy");
  Expect("score: a FIFO as theta-amortized.npy", "mkfifo S/theta-amortized.npy; ntm score --out S",
         Score("model-a", s, "amortized"), 73, {"theta-amortized.npy", "FIFO"});
  const fs::path t = with_fifo("fifo-train", "train_log.jsonl");
  Expect("train: a FIFO as train_log.jsonl", "mkfifo M/train_log.jsonl; ntm train --out M",
         kNtm + " train" + Tiny() + "--corpus " + P("corpus-a") + " --out " + t.string(), 73,
         {"train_log.jsonl", "FIFO"});
  const fs::path e = with_fifo("fifo-export", "bow.mtx");
  Expect("export-bow: a FIFO as bow.mtx", "mkfifo E/bow.mtx; ntm export-bow --out E",
         kNtm + " export-bow --corpus " + P("corpus-a") + " --out " + e.string(), 73,
         {"bow.mtx", "FIFO"});
  const fs::path c = with_fifo("fifo-corpus", "vocab.tsv");
  Expect("tokenize: a FIFO as vocab.tsv", "mkfifo C/vocab.tsv; ntm tokenize --out C",
         Tokenize(D() / "in/a.jsonl", c, ""), 73, {"vocab.tsv", "FIFO"});
  fs::create_directories(D() / "dir-report/report.html");
  Expect("report: a folder as report.html", "mkdir R/report.html; ntm report --out R ...",
         kNtm + " report --out " + P("dir-report") + " " + P("model-a"), 73,
         {"report.html", "folder"});
  for (const auto& [dir, name] : {std::pair{s, "theta-amortized.npy"},
                                  {t, "train_log.jsonl"},
                                  {e, "bow.mtx"},
                                  {c, "vocab.tsv"}}) {
    EXPECT_TRUE(fs::is_fifo(fs::symlink_status(dir / name))) << dir / name;
  }
}

// --- High 2: a scores folder holds one run ---

TEST_F(HostileUser, ScoresFolderOfAnotherModelIsRefusedAndReportRefusesMixedFolders) {
  const fs::path s = D() / "scores-one";
  ASSERT_EQ(RunCommand(Score("model-a", s, "amortized,refined")).exit_code, 0);
  Expect("score: --out holds another model's scores",
         "ntm score --model A --out S; ntm score --model B --out S --methods amortized",
         Score("model-a2", s, "amortized"), 73, {"scores-one", "another model"});
  EXPECT_TRUE(fs::exists(s / "theta-refined.npy")) << "the refused run changed the folder";
  // The same model again with fewer methods replaces the folder whole.
  const CommandResult again = RunCommand(Score("model-a", s, "amortized"));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_FALSE(fs::exists(s / "theta-refined.npy"));
  EXPECT_EQ(RunCommand(kNtm + " report --out " + P("report-one") + " " + s.string()).exit_code, 0);
  // A folder mixed by hand (or by an older ntm): the report refuses it.
  fs::copy_file(D() / "scores-one/theta-amortized.npy", s / "theta-classical.npy");
  Expect("report: a scores folder mixing two runs",
         "theta-classical.npy of another run beside timings.json listing amortized only",
         kNtm + " report --out " + P("report-mixed") + " " + s.string(), 65,
         {"theta-classical.npy", "mixes two score runs"});
}

// --- Medium 3: the manifest decides which shards a corpus has ---

TEST_F(HostileUser, ManifestDecidesWhichShardsACorpusHas) {
  const auto train = [](const fs::path& corpus) {
    return kNtm + " train" + Tiny() + "--corpus " + corpus.string() + " --out " +
           (corpus.string() + "-model");
  };
  fs::path c = CopyOf("corpus-a", "c-missing");
  fs::remove(c / "shard-00001.bow");
  Expect("train: a shard listed in manifest.json deleted", "rm corpus/shard-00001.bow", train(c),
         65, {"shard-00001.bow", "missing"});
  c = CopyOf("corpus-a", "c-extra");
  fs::copy_file(c / "shard-00001.bow", c / "shard-00007.bow");
  Expect("train: a shard copied in", "cp shard-00001.bow shard-00007.bow", train(c), 65,
         {"shard-00007.bow", "not listed"});
  Expect("score: a shard copied in", "as above, ntm score",
         kNtm + " score" + Tiny() + "--methods amortized --model " + P("model-a") + " --corpus " +
             c.string() + " --out " + P("s-extra"),
         65, {"shard-00007.bow"});
  Expect("export-bow: a shard copied in", "as above, ntm export-bow",
         kNtm + " export-bow --corpus " + c.string() + " --out " + P("e-extra"), 65,
         {"shard-00007.bow"});
  c = CopyOf("corpus-a", "c-swapped");
  fs::copy_file(D() / "corpus-a/shard-00000.bow", c / "shard-00001.bow",
                fs::copy_options::overwrite_existing);
  Expect("train: a shard replaced by another of the corpus", "cp shard-00000.bow shard-00001.bow",
         train(c), 65, {"shard-00001.bow"});
  c = CopyOf("corpus-a", "c-manifest");
  const std::string manifest = ReadFile(c / "manifest.json");
  WriteFile(c / "manifest.json", manifest.substr(0, manifest.size() / 2));
  Expect("train: truncated manifest.json", "manifest.json cut to half", train(c), 65,
         {"manifest.json"});
  // A rerun of tokenize into a folder a failed run left (no manifest.json)
  // with another docs_per_shard: the old shards go, none is left over.
  c = CopyOf("corpus-a", "c-rerun");
  fs::remove(c / "manifest.json");
  fs::copy_file(c / "shard-00002.bow", c / "shard-00009.bow");
  const CommandResult r =
      RunCommand(Tokenize(D() / "in/a.jsonl", c, "--set tokenize.docs_per_shard=250"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(c / "shard-00009.bow"));
  EXPECT_FALSE(fs::exists(c / "shard-00002.bow"));
  EXPECT_EQ(RunCommand(train(c)).exit_code, 0);
}

// --- Medium 4: --resume refuses a changed model ---

TEST_F(HostileUser, ResumeRefusesAChangedModelShapeAndHonoursTheSchedule) {
  const fs::path m = CopyOf("model-a", "m-shape");
  const std::string resume = kNtm + " train" + Tiny() + "--corpus " + P("corpus-a") + " --out " +
                             m.string() + " --resume ";
  Expect("train --resume with another model shape",
         "--resume --set model.num_topics=7 --set model.hidden=9 on a K=5, H=20 checkpoint",
         resume + "--set model.num_topics=7 --set model.hidden=9", 64,
         {"model.num_topics (checkpoint 5, config 7)", "model.hidden (checkpoint 20, config 9)"});
  Expect("train --resume with another model shape, 2 ranks", "as above, mpirun -np 2",
         Mpirun(2) + resume + "--set model.num_topics=7", 64,
         {"model.num_topics (checkpoint 5, config 7)"});
  const CommandResult r = RunCommand(resume + "--set train.epochs=3");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// --- Medium 5: strict configs ---

TEST_F(HostileUser, ConfigThatIsAFolderEmptyOrRepeatsAKeyIsAnError) {
  const std::string train = kNtm + " train --corpus " + P("corpus-a") + " --out " + P("m-cfg");
  fs::create_directories(D() / "cfg-folder");
  Expect("--config a folder", "ntm train --config some-folder/ ...",
         train + " --config " + P("cfg-folder"), 64, {"cfg-folder", "folder"});
  WriteFile(D() / "empty.yaml", "# nothing here\n");
  Expect("--config an empty file", "ntm train --config empty.yaml ...",
         train + " --config " + P("empty.yaml"), 64, {"empty.yaml:1", "empty"});
  WriteFile(D() / "dup.yaml", "train:\n  epochs: 2\n  batch_size: 50\n  epochs: 3\n");
  Expect("--config with a key twice", "train: epochs: 2 ... epochs: 3",
         train + " --config " + P("dup.yaml"), 64,
         {"dup.yaml:4", "duplicate key 'train.epochs'", "line 2"});
  EXPECT_FALSE(fs::exists(D() / "m-cfg"));
}

// --- Medium 6: train_log.jsonl holds each step once ---

TEST_F(HostileUser, TrainLogIsCutToTheCheckpointOnResumeAndFreshOtherwise) {
  const fs::path m = CopyOf("model-a", "m-log");
  // What a run killed after its checkpoint leaves: lines past the checkpoint.
  std::string log = ReadFile(m / "train_log.jsonl");
  const size_t lines_before = std::count(log.begin(), log.end(), '\n');
  int64_t last_step = 0;
  for (size_t at = 0, end; at < log.size(); at = end + 1) {
    end = log.find('\n', at);
    last_step =
        std::max(last_step, json::parse(log.substr(at, end - at)).value("step", int64_t{0}));
  }
  for (int64_t step = last_step + 1; step <= last_step + 2; ++step) {
    log += "{\"type\":\"step\",\"step\":" + std::to_string(step) + ",\"killed_run\":1}\n";
  }
  log += "{\"type\":\"validation\",\"step\":999999,\"killed_run\":1}\n{\"ty";
  WriteFile(m / "train_log.jsonl", log);
  const std::string train = kNtm + " train" + Tiny() + "--corpus " + P("corpus-a") + " --out ";
  const CommandResult resumed = RunCommand(train + m.string() +
                                           " --resume --set train.epochs=3 "
                                           "--set train.log_every_steps=1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const std::string after = ReadFile(m / "train_log.jsonl");
  EXPECT_EQ(after.find("killed_run"), std::string::npos) << "lines past the checkpoint kept";
  EXPECT_EQ(IncompleteReason(m / "train_log.jsonl"), "");
  std::set<int64_t> steps;
  size_t lines = 0;
  for (size_t at = 0, end; at < after.size(); at = end + 1, ++lines) {
    end = after.find('\n', at);
    const json line = json::parse(after.substr(at, end - at));
    if (line["type"] == "step") {
      EXPECT_TRUE(steps.insert(line["step"].get<int64_t>()).second) << "step twice: " << line;
    }
  }
  EXPECT_GT(lines, lines_before);
  // A fresh run into a folder a failed run left (a log, no model.bin).
  const fs::path f = D() / "m-fresh";
  fs::create_directories(f);
  WriteFile(f / "train_log.jsonl", "{\"type\":\"step\",\"step\":999999}\n");
  ASSERT_EQ(RunCommand(train + f.string()).exit_code, 0);
  EXPECT_EQ(ReadFile(f / "train_log.jsonl").find("999999"), std::string::npos);
  Row("train_log.jsonl across --resume and a fresh run",
      "lines past the checkpoint; a failed run's log",
      "each step once; the fresh run's log starts fresh", "0", "intact");
}

// --- Messages ---

TEST_F(HostileUser, EmptyVocabularyNamesTheInputsAndWhatWasSkipped) {
  const fs::path out = D() / "c-field";
  Expect("tokenize: a mistyped tokenize.text_field", "--set tokenize.text_field=body",
         Tokenize(D() / "in/a.jsonl", out, "--set tokenize.text_field=body"), 65,
         {"in/a.jsonl", "300 missing_text", "text_field"});
  EXPECT_FALSE(fs::exists(out)) << "an early failure left an empty output folder";
}

TEST_F(HostileUser, DuplicateIdNamesBothRecordsOnceUnderTwoRanks) {
  std::string text = ReadFile(D() / "in/a.jsonl");
  const std::string first_line = text.substr(0, text.find('\n') + 1);
  text += first_line;  // the first record again at the end: in rank 1's byte range
  WriteFile(D() / "in/dup.jsonl", text);
  const CommandResult r = Expect("tokenize: a duplicate id under duplicate_ids: fail, 2 ranks",
                                 "the first record repeated at the end, mpirun -np 2",
                                 Mpirun(2) + Tokenize(D() / "in/dup.jsonl", D() / "c-dup",
                                                      "--set tokenize.duplicate_ids=fail"),
                                 65, {"duplicate document id '", "first at ", "dup.jsonl:1 ("});
  EXPECT_EQ(r.output.find("an id"), std::string::npos) << r.output;
}

TEST_F(HostileUser, MissingInputUnderTwoRanksIsOneLine) {
  const CommandResult r =
      Expect("tokenize: a missing input, 2 ranks", "mpirun -np 2 ntm tokenize --input absent.jsonl",
             Mpirun(2) + Tokenize(D() / "in/absent.jsonl", D() / "c-absent", ""), 66,
             {"absent.jsonl", "No such file"});
  EXPECT_EQ(r.output.find("ORTE_ERROR_LOG"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("MPI_ABORT"), std::string::npos) << r.output;
}

TEST_F(HostileUser, ValueAndCountMessagesReadWell) {
  const CommandResult inf = Expect("--set model.alpha=.inf", "ntm train --set model.alpha=.inf",
                                   kNtm + " train" + Tiny() + "--set model.alpha=.inf --corpus " +
                                       P("corpus-a") + " --out " + P("m-inf"),
                                   64, {"model.alpha", "'.inf' (not finite)"});
  EXPECT_EQ(inf.output.find("finite number a number"), std::string::npos);
  // A command-line error: CLI11's own message, not an "ntm synth: error:" line.
  const CommandResult zero =
      RunCommand(kNtm + " synth --docs 0 --topics 5 --seed 1 --out " + P("zero.jsonl"));
  EXPECT_EQ(zero.exit_code, 64) << zero.output;
  EXPECT_NE(zero.output.find("at least 1"), std::string::npos) << zero.output;
  EXPECT_LT(zero.output.size(), 400u) << zero.output;
  Row("synth --docs 0", "ntm synth --docs 0 --topics 5 --seed 1 --out f.jsonl",
      zero.output.substr(0, zero.output.find('\n')), std::to_string(zero.exit_code), "n/a");
}

TEST_F(HostileUser, WriteAndReadFailuresNameTheRealErrno) {
  Expect("tokenize under ulimit -f 16", "ulimit -f 16; ntm tokenize ...",
         "sh -c 'ulimit -f 16; " + Tokenize(D() / "in/a.jsonl", D() / "c-ulimit", "") + "'", 74,
         {"File too large"});
  // Root reads any file: the unreadable one is read as user nobody.
  if (::geteuid() != 0 || !fs::exists("/usr/bin/setpriv")) return;
  const fs::path shared = fs::temp_directory_path() / ("ntm-txt-" + std::to_string(::getpid()));
  fs::create_directories(shared / "txt");
  WriteFile(shared / "txt/a.txt", "chest pain and shortness of breath\n");
  WriteFile(shared / "txt/b.txt", "chest pain again\n");
  fs::permissions(shared, fs::perms::all);
  fs::permissions(shared / "txt", fs::perms::all);
  fs::permissions(shared / "txt/a.txt", fs::perms::owner_read | fs::perms::others_read);
  fs::permissions(shared / "txt/b.txt", fs::perms::none);
  Expect("tokenize: an unreadable .txt in a folder", "chmod 000 folder/b.txt (as a user)",
         "setpriv --reuid=65534 --regid=65534 --clear-groups " +
             Tokenize(shared / "txt", shared / "corpus", ""),
         66, {"b.txt", "Permission denied"});
  fs::remove_all(shared);
}

TEST_F(HostileUser, GzipWithTrailingGarbageIsAnError) {
  RunCommand("gzip -c " + P("in/a.jsonl") + " > " + P("in/trailing.jsonl.gz"));
  RunCommand("cat " + P("in/trailing.jsonl.gz") + " " + P("in/trailing.jsonl.gz") + " > " +
             P("in/two.jsonl.gz"));
  RunCommand("printf 'GARBAGE' >> " + P("in/trailing.jsonl.gz"));
  Expect("tokenize: a .gz with trailing garbage", "printf GARBAGE >> notes.jsonl.gz",
         Tokenize(D() / "in/trailing.jsonl.gz", D() / "c-trailing", ""), 65,
         {"trailing.jsonl.gz", "after the end of the gzip stream"});
  EXPECT_FALSE(fs::exists(D() / "c-trailing")) << "an early failure left an empty output folder";
  // Two members one after the other are one valid input.
  const CommandResult two = RunCommand(
      Tokenize(D() / "in/two.jsonl.gz", D() / "c-two", "--set tokenize.duplicate_ids=all"));
  EXPECT_EQ(two.exit_code, 0) << two.output;
}

TEST_F(HostileUser, SigtermToScoreExits75WithAMessage) {
  const fs::path out = D() / "s-term";
  const std::string command =
      kNtm + " score" + Tiny() +
      "--set score.lnvi_max_iter=500 --set score.lnvi_tol=1e-15 --methods amortized,ln-vi "
      "--model " +
      P("model-a") + " --corpus " + P("corpus-a") + " --out " + out.string();
  Background job("timeout 120 " + command);
  std::vector<pid_t> pids;
  const bool ready = WaitFor(
      [&] {
        pids = RankPids(out.string());
        return pids.size() == 1 && fs::exists(out / "theta-ln-vi.npy.partial");
      },
      job);
  ASSERT_TRUE(ready && !job.done()) << "score ended before the signal";
  ::kill(pids[0], SIGTERM);
  const CommandResult r = job.Wait();
  EXPECT_EQ(r.exit_code, 75) << r.output;
  EXPECT_NE(OneErrorLine(r).find("stopped by a signal"), std::string::npos) << r.output;
  EXPECT_TRUE(CheckFolder(out).ok()) << CheckFolder(out).Summary();
  EXPECT_FALSE(fs::exists(out / "theta-ln-vi.npy"));
  Row("SIGTERM to ntm score", "kill -TERM while ln-vi runs", OneErrorLine(r),
      std::to_string(r.exit_code), CheckFolder(out).Summary());
}

TEST_F(HostileUser, SavedConfigPutsEachCommentBesideItsKey) {
  const std::string yaml = ReadFile(D() / "model-a/config.yaml");
  const size_t at = yaml.find("\n  epochs:");
  ASSERT_NE(at, std::string::npos) << yaml;
  const std::string line = yaml.substr(at + 1, yaml.find('\n', at + 1) - at - 1);
  EXPECT_NE(line.find("# cap on passes over the training documents"), std::string::npos) << line;
  EXPECT_EQ(RunCommand(kNtm + " train --config " + P("model-a/config.yaml") + " --corpus " +
                       P("corpus-a") + " --out " + P("m-saved") + " --set train.epochs=1")
                .exit_code,
            0)
      << "the saved config does not load again";
}

}  // namespace
}  // namespace ntm::fault
