// Fault campaign: corrupted and mismatched inputs to every stage. Each case
// must be detected with exit 65 (66 for a missing input), one error line that
// names the file, and no output file left under a final name half-written.
//
// Corpora and models are built at test time from the bundled MedQuAD sample
// (tests/data/medquad-sample.jsonl.gz) with the tiny config of fault_util.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fault/fault_util.h"

namespace ntm::fault {
namespace {

class CorruptInputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const fs::path d = dir_->path();
    WriteSample(d / "in/a.jsonl", 400);
    // Another corpus: records 401..700 give another vocabulary.
    RunCommand("gzip -dc " + kSample + " | sed -n 401,700p > " + (d / "in/b.jsonl").string());
    setup_ok_ = true;
    for (const std::string c : {"a", "b"}) {
      const auto t = RunCommand(
          kNtm + " tokenize" + Tiny() + "--set tokenize.docs_per_shard=100 --input " +
          (d / ("in/" + c + ".jsonl")).string() + " --out " + (d / ("corpus-" + c)).string());
      const auto m =
          RunCommand(kNtm + " train" + Tiny() + "--corpus " + (d / ("corpus-" + c)).string() +
                     " --out " + (d / ("model-" + c)).string());
      setup_ok_ = setup_ok_ && t.exit_code == 0 && m.exit_code == 0;
      if (!setup_ok_) setup_log_ = t.output + m.output;
    }
    const auto s = RunCommand(kNtm + " score" + Tiny() + "--methods amortized --model " +
                              (d / "model-a").string() + " --corpus " + (d / "corpus-a").string() +
                              " --out " + (d / "scores-a").string());
    setup_ok_ = setup_ok_ && s.exit_code == 0;
    if (s.exit_code != 0) setup_log_ += s.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_ok_) << setup_log_; }

  static fs::path D() { return dir_->path(); }
  // A fresh copy of a folder made in setup, to corrupt.
  static fs::path CopyOf(const std::string& name, const std::string& copy) {
    fs::remove_all(D() / copy);
    fs::copy(D() / name, D() / copy, fs::copy_options::recursive);
    return D() / copy;
  }
  static void FlipByte(const fs::path& file, size_t at) {
    std::string b = ReadFile(file);
    b.at(at) = static_cast<char>(b[at] ^ 0x20);
    WriteFile(file, b);
  }
  static void Truncate(const fs::path& file) {
    const std::string b = ReadFile(file);
    WriteFile(file, b.substr(0, b.size() / 2));
  }
  static void SetVersion(const fs::path& file, uint8_t version) {
    std::string b = ReadFile(file);
    b.at(8) = static_cast<char>(version);  // first byte of the little-endian uint32 version
    WriteFile(file, b);
  }

  // Runs `command`, expects `code` and one error line naming `named`; checks
  // `out` (if any) holds no broken file; records a table row.
  static void Expect(const std::string& fault, const std::string& inputs,
                     const std::string& command, int code, const fs::path& named,
                     const fs::path& out = {}) {
    const CommandResult r = RunCommand(command);
    const std::string line = OneErrorLine(r);
    EXPECT_EQ(r.exit_code, code) << fault << "\n" << r.output;
    EXPECT_EQ(ErrorLines(r.output).size(), 1u) << fault << "\n" << r.output;
    const std::string name = named.filename().string();
    EXPECT_NE(line.find(name), std::string::npos)
        << fault << ": the error does not name " << name << "\n"
        << line;
    const FolderCheck check = out.empty() ? FolderCheck{} : CheckFolder(out);
    EXPECT_TRUE(check.ok()) << fault << ": " << check.Summary();
    const bool good = r.exit_code == code && line.find(name) != std::string::npos && check.ok();
    std::string message = line;
    const size_t at = message.find(D().string());
    if (at != std::string::npos) message.erase(at, D().string().size() + 1);
    Row(fault, inputs, std::string(good ? "detected: " : "NOT AS EXPECTED: ") + message,
        std::to_string(r.exit_code), out.empty() ? "n/a (no output)" : check.Summary());
  }

  static std::string Train(const fs::path& corpus, const fs::path& out,
                           const std::string& extra = "") {
    return kNtm + " train" + Tiny() + "--corpus " + corpus.string() + " --out " + out.string() +
           " " + extra;
  }
  static std::string Score(const fs::path& model, const fs::path& corpus, const fs::path& out) {
    return kNtm + " score" + Tiny() + "--methods amortized,refined --model " + model.string() +
           " --corpus " + corpus.string() + " --out " + out.string();
  }

  static TempDir* dir_;
  static bool setup_ok_;
  static std::string setup_log_;
};

TempDir* CorruptInputs::dir_ = nullptr;
bool CorruptInputs::setup_ok_ = false;
std::string CorruptInputs::setup_log_;

TEST_F(CorruptInputs, TokenizeRejectsDamagedGzipAndMissingInput) {
  const fs::path flipped = D() / "in/flipped.jsonl.gz", cut = D() / "in/truncated.jsonl.gz";
  fs::copy_file(kSample, flipped, fs::copy_options::overwrite_existing);
  FlipByte(flipped, fs::file_size(flipped) / 2);
  fs::copy_file(kSample, cut, fs::copy_options::overwrite_existing);
  Truncate(cut);
  Expect("tokenize: flipped byte in a .gz input", "medquad-sample.jsonl.gz, byte size/2 xor 0x20",
         kNtm + " tokenize" + Tiny() + "--input " + flipped.string() + " --out " +
             (D() / "t1").string(),
         65, flipped, D() / "t1");
  Expect(
      "tokenize: truncated .gz input", "first half of medquad-sample.jsonl.gz",
      kNtm + " tokenize" + Tiny() + "--input " + cut.string() + " --out " + (D() / "t2").string(),
      65, cut, D() / "t2");
  for (int ranks : {2}) {
    Expect("tokenize: flipped byte in a .gz input, 2 ranks", "as above, mpirun -np 2",
           Mpirun(ranks) + kNtm + " tokenize" + Tiny() + "--input " + flipped.string() + " --out " +
               (D() / "t3").string(),
           65, flipped, D() / "t3");
  }
  Expect("tokenize: missing input", "--input in/absent.jsonl",
         kNtm + " tokenize" + Tiny() + "--input " + (D() / "in/absent.jsonl").string() + " --out " +
             (D() / "t4").string(),
         66, D() / "in/absent.jsonl", D() / "t4");
}

TEST_F(CorruptInputs, TrainRejectsDamagedShardsAndVocabulary) {
  {
    const fs::path c = CopyOf("corpus-a", "c-flip");
    FlipByte(c / "shard-00001.bow", 300);
    Expect("train: flipped byte in a shard", "shard-00001.bow byte 300 (terms section)",
           Train(c, D() / "m-flip"), 65, c / "shard-00001.bow", D() / "m-flip");
    Expect("train: flipped byte in a shard, 2 ranks", "as above, mpirun -np 2",
           Mpirun(2) + Train(c, D() / "m-flip2"), 65, c / "shard-00001.bow", D() / "m-flip2");
  }
  {
    const fs::path c = CopyOf("corpus-a", "c-cut");
    Truncate(c / "shard-00002.bow");
    Expect("train: truncated shard", "shard-00002.bow cut to half", Train(c, D() / "m-cut"), 65,
           c / "shard-00002.bow", D() / "m-cut");
  }
  {
    const fs::path c = CopyOf("corpus-a", "c-version");
    SetVersion(c / "shard-00000.bow", 2);
    Expect("train: shard of another format version", "shard-00000.bow version 1 -> 2",
           Train(c, D() / "m-version"), 65, c / "shard-00000.bow", D() / "m-version");
  }
  {
    const fs::path c = CopyOf("corpus-a", "c-vocab");
    FlipByte(c / "vocab.tsv", ReadFile(c / "vocab.tsv").size() / 2);
    Expect("train: flipped byte in vocab.tsv", "vocab.tsv byte size/2 xor 0x20",
           Train(c, D() / "m-vocab"), 65, c / "vocab.tsv", D() / "m-vocab");
  }
  {
    const fs::path c = CopyOf("corpus-a", "c-mixed");
    fs::copy_file(D() / "corpus-b/shard-00000.bow", c / "shard-00001.bow",
                  fs::copy_options::overwrite_existing);
    Expect("train: a shard from another corpus", "corpus A with shard-00001.bow of corpus B",
           Train(c, D() / "m-mixed"), 65, c / "shard-00001.bow", D() / "m-mixed");
  }
  Expect("train: missing corpus folder", "--corpus absent", Train(D() / "absent", D() / "m-absent"),
         66, D() / "absent", D() / "m-absent");
}

TEST_F(CorruptInputs, TrainResumeRejectsDamagedCheckpoint) {
  struct Case {
    const char* name;
    const char* inputs;
    void (*damage)(const fs::path&);
  };
  const Case cases[] = {
      {"train --resume: flipped byte in model.bin", "model.bin byte size/2 xor 0x20",
       [](const fs::path& f) { FlipByte(f, fs::file_size(f) / 2); }},
      {"train --resume: truncated model.bin", "model.bin cut to half",
       [](const fs::path& f) { Truncate(f); }},
      {"train --resume: model.bin of another format version", "model.bin version 1 -> 2",
       [](const fs::path& f) { SetVersion(f, 2); }},
  };
  int i = 0;
  for (const Case& c : cases) {
    const fs::path m = CopyOf("model-a", "resume-" + std::to_string(i++));
    c.damage(m / "model.bin");
    const std::string before = ReadFile(m / "model.bin");
    Expect(c.name, c.inputs, Train(D() / "corpus-a", m, "--resume --set train.epochs=3"), 65,
           m / "model.bin");
    EXPECT_TRUE(ReadFile(m / "model.bin") == before) << c.name << ": the damaged file was replaced";
  }
  const fs::path m = CopyOf("model-a", "resume-other");
  Expect("train --resume: checkpoint against another corpus", "model A resumed on corpus B",
         Train(D() / "corpus-b", m, "--resume --set train.epochs=3"), 65, m / "model.bin");
}

TEST_F(CorruptInputs, ScoreRejectsDamagedModelAndMismatchedCorpus) {
  struct Case {
    const char* name;
    const char* inputs;
    void (*damage)(const fs::path&);
  };
  const Case cases[] = {
      {"score: flipped byte in model.bin", "model.bin byte size/2 xor 0x20",
       [](const fs::path& f) { FlipByte(f, fs::file_size(f) / 2); }},
      {"score: truncated model.bin", "model.bin cut to half",
       [](const fs::path& f) { Truncate(f); }},
      {"score: model.bin of another format version", "model.bin version 1 -> 2",
       [](const fs::path& f) { SetVersion(f, 2); }},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string tag = "score-model-" + std::to_string(i++);
    const fs::path m = CopyOf("model-a", tag);
    c.damage(m / "model.bin");
    Expect(c.name, c.inputs, Score(m, D() / "corpus-a", D() / (tag + "-out")), 65, m / "model.bin",
           D() / (tag + "-out"));
  }
  Expect("score: shards from one corpus, model from another", "model A, corpus B",
         Score(D() / "model-a", D() / "corpus-b", D() / "score-ab"), 65, D() / "corpus-b/vocab.tsv",
         D() / "score-ab");
  {
    const fs::path c = CopyOf("corpus-a", "score-c-flip");
    FlipByte(c / "shard-00003.bow", 200);
    Expect("score: flipped byte in a shard", "shard-00003.bow byte 200",
           Score(D() / "model-a", c, D() / "score-flip-out"), 65, c / "shard-00003.bow",
           D() / "score-flip-out");
  }
  Expect("score: missing model folder", "--model absent",
         Score(D() / "absent-model", D() / "corpus-a", D() / "score-absent"), 66,
         D() / "absent-model", D() / "score-absent");
}

TEST_F(CorruptInputs, ExportBowAndReportRejectDamagedInputs) {
  const fs::path c = CopyOf("corpus-a", "export-flip");
  FlipByte(c / "shard-00000.bow", 400);
  Expect("export-bow: flipped byte in a shard", "shard-00000.bow byte 400",
         kNtm + " export-bow --corpus " + c.string() + " --out " + (D() / "export-out").string(),
         65, c / "shard-00000.bow", D() / "export-out");
  const fs::path s = CopyOf("scores-a", "report-cut");
  Truncate(s / "quality.json");
  Expect("report: truncated quality.json", "scores/quality.json cut to half",
         kNtm + " report --out " + (D() / "report-out").string() + " " + s.string(), 65,
         s / "quality.json", D() / "report-out");
  const fs::path m = CopyOf("corpus-a", "report-manifest");
  Truncate(m / "manifest.json");
  Expect("report: truncated manifest.json", "corpus/manifest.json cut to half",
         kNtm + " report --out " + (D() / "report-manifest-out").string() + " " + m.string(), 65,
         m / "manifest.json", D() / "report-manifest-out");
  const fs::path t = CopyOf("model-a", "report-npy");
  Truncate(t / "topics.npy");
  Expect("report: truncated topics.npy", "model/topics.npy cut to half",
         kNtm + " report --out " + (D() / "report-npy-out").string() + " " + t.string(), 65,
         t / "topics.npy", D() / "report-npy-out");
}

// Fixed bug (fault campaign): `ntm score` did not compare model.bin's metadata
// (vocab_checksum, vocab_size) with the bundle's vocab.tsv (now
// CheckModelMatchesVocabulary in pipeline/io/model_file.cc). A bundle whose
// model.bin was trained on another corpus therefore
//  - scores silently with the wrong vocabulary when both have the same V
//    (exit 0, meaningless theta), and
//  - when the model's V is smaller, fails with "document 0 (key ...) has a term
//    id outside the vocabulary [0, V)", which names no file.
// Expected: exit 65, "<model>/model.bin: trained on a different vocabulary than
// <model>/vocab.tsv".
TEST_F(CorruptInputs, ScoreRejectsModelBinOfAnotherVocabularyInTheBundle) {
  {
    const fs::path m = CopyOf("model-a", "score-swapped");
    fs::copy_file(D() / "model-b/model.bin", m / "model.bin", fs::copy_options::overwrite_existing);
    Expect("score: model.bin of corpus B (same V) in corpus A's bundle",
           "model-a/ with model-b/model.bin, corpus A",
           Score(m, D() / "corpus-a", D() / "swap-out"), 65, m / "model.bin", D() / "swap-out");
  }
  {
    // A model with a smaller vocabulary: records 701-730 give V < 1500.
    RunCommand("gzip -dc " + kSample + " | sed -n 701,730p > " + (D() / "in/c.jsonl").string());
    RunCommand(kNtm + " tokenize" + Tiny() + "--input " + (D() / "in/c.jsonl").string() +
               " --out " + (D() / "corpus-c").string());
    RunCommand(kNtm + " train" + Tiny() + "--corpus " + (D() / "corpus-c").string() + " --out " +
               (D() / "model-c").string());
    const fs::path m = CopyOf("model-a", "score-swapped-small");
    fs::copy_file(D() / "model-c/model.bin", m / "model.bin", fs::copy_options::overwrite_existing);
    Expect("score: model.bin with a smaller vocabulary in corpus A's bundle",
           "model-a/ with model.bin of a 30-record corpus, corpus A",
           Score(m, D() / "corpus-a", D() / "swap-small-out"), 65, m / "model.bin",
           D() / "swap-small-out");
  }
}

// Fixed bug 6b (docs/reliability.md): report's JSON reader
// (pipeline/report/json_read.cc ParseJson) caught only json::parse_error; a
// value out of double range made it exit 70 ("internal error:
// [json.exception.out_of_range.406] ...") instead of 65 naming the file.
TEST_F(CorruptInputs, ReportRejectsNumberOutOfRangeNamingTheFile) {
  const fs::path s = CopyOf("scores-a", "report-1e999");
  std::string q = ReadFile(s / "quality.json");
  const size_t colon = q.find("\"num_topics\": ");
  ASSERT_NE(colon, std::string::npos) << q.substr(0, 200);
  const size_t value = colon + std::string("\"num_topics\": ").size();
  q.replace(value, q.find_first_of(",\n}", value) - value, "1e999");
  WriteFile(s / "quality.json", q);
  Expect("report: a number out of double range in quality.json",
         "scores/quality.json with num_topics: 1e999",
         kNtm + " report --out " + (D() / "report-1e999-out").string() + " " + s.string(), 65,
         s / "quality.json", D() / "report-1e999-out");
}

}  // namespace
}  // namespace ntm::fault
