// `ntm tokenize` end to end: the real binary under mpirun -np 1, 2 and 3 on a
// slice of MTSamples written into a temporary folder at test time (the text is
// never copied into the repository, and never printed: files are compared with
// EXPECT_TRUE(a == b), not EXPECT_EQ).
//
// What it pins down:
//  - the vocabulary and the documents (as `ntm export-bow` sees them) do not
//    depend on P; the same P twice gives byte-identical shards and manifest;
//  - `vocab.mode: words` works the same way;
//  - bad input is counted exactly (skip) or ends the run with exit 65 naming
//    the file and line (fail); a missing input exits 66 before creating
//    anything; planted note text never reaches an output file or a message;
//  - CSV (RFC 4180, quoted commas, quotes and line breaks), .gz, CRLF JSONL
//    and folders of .txt files are read;
//  - an existing corpus is never overwritten (73); outputs are not readable by others.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/util/run_command.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_util::CommandResult;
using testing_util::Mpirun;
using testing_util::ReadFile;
using testing_util::RunCommand;
using testing_util::TempDir;
using testing_util::WriteFile;

const std::string kNtm = NTM_BINARY;
const std::string kMtSamples = std::string(NTM_SHARED_DATA_DIR) + "/mtsamples.jsonl";
constexpr int kSliceDocs = 300;

// A marker planted in note text: it must never leave the input.
const std::string kMarker = "ZEBRA-QUOKKA-7731 synthetic marker";
const std::string kMarkerFolded = "zebra-quokka-7731 synthetic marker";

// The first `n` lines of MTSamples (each a JSON object with "id" and "text").
std::vector<std::string> MtSamplesLines(int n) {
  std::ifstream in(kMtSamples);
  std::vector<std::string> lines;
  for (std::string line; static_cast<int>(lines.size()) < n && std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// A small configuration that keeps every run to a few seconds. Pieces mode:
// most tests here pin down the SentencePiece path (words mode has its own).
std::string WriteSmallConfig(const TempDir& dir) {
  const std::string path = dir / "small.yaml";
  WriteFile(path,
            "tokenize:\n  docs_per_shard: 100\n"
            "vocab:\n  mode: pieces\n  piece_vocab_size: 1000\n  min_df: 2\n");
  return path;
}

// `[mpirun -np P] ntm tokenize ...`; P = 1 runs without mpirun.
CommandResult Tokenize(int ranks, const std::string& config, const std::string& inputs,
                       const std::string& out, const std::string& extra = "") {
  const std::string launcher = ranks == 1 ? "" : Mpirun(ranks);
  return RunCommand(launcher + kNtm + " tokenize --config " + config + " --input " + inputs +
                    " --out " + out + " " + extra);
}

// bow.mtx, doc_ids.txt and vocab.txt of a corpus, as `ntm export-bow` writes them.
std::map<std::string, std::string> ExportBow(const std::string& corpus, const std::string& out) {
  const auto r = RunCommand(kNtm + " export-bow --corpus " + corpus + " --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::map<std::string, std::string> files;
  for (const char* name : {"bow.mtx", "doc_ids.txt", "vocab.txt"}) {
    files[name] = ReadFile(fs::path(out) / name);
    EXPECT_FALSE(files[name].empty()) << out << "/" << name;
  }
  return files;
}

// Every regular file under `dir` (relative name -> bytes), except `skip`.
std::map<std::string, std::string> FolderContents(const fs::path& dir,
                                                  const std::set<std::string>& skip = {}) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().lexically_relative(dir).generic_string();
    if (!skip.contains(name)) files[name] = ReadFile(e.path());
  }
  return files;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

json Manifest(const fs::path& corpus) { return json::parse(ReadFile(corpus / "manifest.json")); }

// True if `needle` occurs in any file under `dir` (searched as bytes).
bool AnyFileContains(const fs::path& dir, const std::string& needle, std::string* where) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (ReadFile(e.path()).find(needle) != std::string::npos) {
      *where = e.path().string();
      return true;
    }
  }
  return false;
}

// One slice tokenized at P = 1, 2, 3 (and P = 2 again), shared by the tests
// below: tokenizing is the slow part.
class TokenizeE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    config_ = WriteSmallConfig(*dir_);
    input_ = *dir_ / "in/notes.jsonl";
    WriteFile(input_, JoinLines(MtSamplesLines(kSliceDocs)));
    for (const auto& [name, ranks] :
         std::vector<std::pair<std::string, int>>{{"p1", 1}, {"p2", 2}, {"p3", 3}, {"p2b", 2}}) {
      results_[name] = Tokenize(ranks, config_, input_, *dir_ / name);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Corpus(const std::string& name) { return *dir_ / name; }

  static TempDir* dir_;
  static std::string config_, input_;
  static std::map<std::string, CommandResult> results_;
};

TempDir* TokenizeE2e::dir_ = nullptr;
std::string TokenizeE2e::config_, TokenizeE2e::input_;
std::map<std::string, CommandResult> TokenizeE2e::results_;

TEST_F(TokenizeE2e, EveryRankCountWritesTheSameVocabularyAndDocuments) {
  for (const auto& [name, r] : results_) ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.output;
  const std::string vocab = ReadFile(Corpus("p1") + "/vocab.tsv");
  const std::string piece_model = ReadFile(Corpus("p1") + "/tokenizer.model");
  ASSERT_GT(Lines(vocab).size(), 100u) << "a real vocabulary";
  ASSERT_FALSE(piece_model.empty());
  EXPECT_TRUE(vocab.starts_with("id\tpiece\tdf\tcf\tword\n")) << "no readable words";
  const auto reference = ExportBow(Corpus("p1"), *dir_ / "bow-p1");
  EXPECT_EQ(Lines(reference.at("doc_ids.txt")).size(), static_cast<size_t>(kSliceDocs));
  for (const std::string p : {"p2", "p3"}) {
    EXPECT_TRUE(ReadFile(Corpus(p) + "/vocab.tsv") == vocab) << p << ": vocab.tsv differs";
    EXPECT_TRUE(ReadFile(Corpus(p) + "/tokenizer.model") == piece_model)
        << p << ": tokenizer.model differs";
    const auto bow = ExportBow(Corpus(p), *dir_ / ("bow-" + p));
    for (const auto& [file, bytes] : reference) {
      EXPECT_TRUE(bow.at(file) == bytes) << p << ": exported " << file << " differs from P=1";
    }
    // Same counts in the manifest; only the shard layout may differ.
    const json a = Manifest(Corpus("p1")), b = Manifest(Corpus(p));
    for (const char* key : {"documents", "tokens", "vocab_size", "vocab_checksum", "rejected",
                            "changed", "counters", "vocabulary_pruning"}) {
      EXPECT_EQ(a.at(key), b.at(key)) << p << ": manifest " << key;
    }
    // Tokenizer counters too, except those of the per-rank piece cache.
    for (const auto& [key, value] : a.at("tokenizer").items()) {
      if (key.starts_with("cache.")) continue;
      EXPECT_EQ(value, b.at("tokenizer").at(key)) << p << ": manifest tokenizer." << key;
    }
  }
  // The ids are the input ids, in input order.
  std::vector<std::string> ids;
  for (const auto& line : MtSamplesLines(kSliceDocs)) ids.push_back(json::parse(line).at("id"));
  EXPECT_TRUE(Lines(reference.at("doc_ids.txt")) == ids) << "doc_ids.txt is not the input order";
}

TEST_F(TokenizeE2e, SameRankCountTwiceIsByteIdentical) {
  ASSERT_EQ(results_["p2"].exit_code, 0);
  ASSERT_EQ(results_["p2b"].exit_code, 0);
  // run.json records times and hosts; everything else must match byte for byte.
  const auto a = FolderContents(Corpus("p2"), {"run.json"});
  const auto b = FolderContents(Corpus("p2b"), {"run.json"});
  std::set<std::string> names_a, names_b;
  for (const auto& [n, _] : a) names_a.insert(n);
  for (const auto& [n, _] : b) names_b.insert(n);
  EXPECT_EQ(names_a, names_b);
  int shards = 0;
  for (const auto& [name, bytes] : a) {
    shards += name.starts_with("shard-");
    EXPECT_TRUE(b.contains(name) && b.at(name) == bytes) << name << " differs between two runs";
  }
  EXPECT_GE(shards, 3) << "300 documents at 100 per shard";
  EXPECT_TRUE(a.contains("manifest.json"));
  // The manifest's shard list matches the files and their document counts.
  const json m = Manifest(Corpus("p2"));
  int64_t docs = 0;
  for (const auto& s : m.at("shards")) {
    EXPECT_TRUE(a.contains(s.at("file").get<std::string>())) << s.at("file");
    docs += s.at("documents").get<int64_t>();
  }
  EXPECT_EQ(docs, kSliceDocs);
  EXPECT_EQ(m.at("shards").size(), static_cast<size_t>(shards));
  // No spill or temporary files are left behind.
  for (const auto& [name, _] : a) {
    EXPECT_FALSE(name.find(".tmp") != std::string::npos || name.starts_with(".")) << name;
  }
  // Tokenizing into an existing corpus is refused (73) and changes nothing.
  const auto again = Tokenize(2, config_, input_, Corpus("p2"));
  EXPECT_EQ(again.exit_code, 73) << again.output;
  EXPECT_NE(again.output.find("manifest.json"), std::string::npos) << again.output;
  EXPECT_TRUE(FolderContents(Corpus("p2"), {"run.json"}) == a) << "an existing corpus changed";
}

// README: "Output files are created readable by owner and group only."
TEST_F(TokenizeE2e, OutputFilesAreNotReadableByOthers) {
  const std::string out = *dir_ / "modes";
  const auto r = RunCommand("umask 022 && " + Mpirun(2) + kNtm + " tokenize --config " + config_ +
                            " --input " + input_ + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto bow =
      RunCommand("umask 022 && " + kNtm + " export-bow --corpus " + out + " --out " + out + "-bow");
  ASSERT_EQ(bow.exit_code, 0) << bow.output;
  for (const std::string& folder : {out, out + "-bow"}) {
    EXPECT_EQ(fs::status(folder).permissions() & fs::perms::others_all, fs::perms::none) << folder;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      EXPECT_EQ(e.status().permissions() & fs::perms::others_all, fs::perms::none)
          << e.path() << " is accessible to others";
    }
  }
}

TEST_F(TokenizeE2e, WordsModeIsIndependentOfRankCount) {
  const std::string words = " --set vocab.mode=words";
  const auto r1 = Tokenize(1, config_, input_, *dir_ / "w1", words);
  const auto r3 = Tokenize(3, config_, input_, *dir_ / "w3", words);
  ASSERT_EQ(r1.exit_code, 0) << r1.output;
  ASSERT_EQ(r3.exit_code, 0) << r3.output;
  // SentencePiece is trained for the words outside the vocabulary (vocab.oov
  // pieces), the same at any P, and maps them the same at any P (the shards below).
  EXPECT_TRUE(ReadFile(*dir_ / "w3/tokenizer.model") == ReadFile(*dir_ / "w1/tokenizer.model"));
  EXPECT_GT(Manifest(*dir_ / "w3").at("term_tokens").at("mapped_through_pieces"), 0);
  const std::string vocab = ReadFile(*dir_ / "w1/vocab.tsv");
  EXPECT_TRUE(ReadFile(*dir_ / "w3/vocab.tsv") == vocab) << "words vocabulary differs at P=3";
  EXPECT_FALSE(vocab == ReadFile(Corpus("p1") + "/vocab.tsv")) << "words mode made pieces";
  // Words, not SentencePiece pieces: no U+2581 word-boundary marks.
  EXPECT_EQ(vocab.find("\xE2\x96\x81"), std::string::npos);
  EXPECT_TRUE(vocab.starts_with("id\tpiece\tdf\tcf\n")) << "words need no readable form";
  EXPECT_EQ(Manifest(*dir_ / "w1").at("vocab_mode"), "words");
  const auto a = ExportBow(*dir_ / "w1", *dir_ / "bow-w1");
  const auto b = ExportBow(*dir_ / "w3", *dir_ / "bow-w3");
  for (const auto& [file, bytes] : a) EXPECT_TRUE(b.at(file) == bytes) << file;
  EXPECT_EQ(Lines(a.at("doc_ids.txt")).size(), static_cast<size_t>(kSliceDocs));
}

TEST_F(TokenizeE2e, MissingInputExits66AndCreatesNothing) {
  for (int ranks : {1, 2}) {
    const std::string out = *dir_ / ("missing-" + std::to_string(ranks));
    const auto r = Tokenize(ranks, config_, *dir_ / "in/no-such-file.jsonl", out);
    EXPECT_EQ(r.exit_code, 66) << r.output;
    EXPECT_NE(r.output.find("no-such-file.jsonl"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out)) << "an output folder was created for a missing input";
  }
  // One missing input among good ones is just as fatal.
  const std::string out = *dir_ / "missing-mixed";
  const auto r = Tokenize(1, config_, input_ + " " + (*dir_ / "in/gone.jsonl"), out);
  EXPECT_EQ(r.exit_code, 66) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// A slice with bad records planted among real notes, and the exact counts the
// manifest must show for it.
struct PlantedInput {
  std::string text;
  int malformed_line = 0;  // 1-based line of the malformed JSON record
  std::string duplicate_id;
};

PlantedInput PlantBadRecords(const std::vector<std::string>& real) {
  PlantedInput p;
  std::vector<std::string> lines;
  auto text_of = [&](size_t i) { return json::parse(real[i]).at("text").get<std::string>(); };
  for (size_t i = 0; i < real.size(); ++i) {
    lines.push_back(real[i]);
    if (i == 10) {  // one invalid UTF-8 byte (0xFF) inside an otherwise good note
      json doc = {{"id", "planted-utf8"}, {"text", text_of(3)}};
      const std::string line = doc.dump();
      const std::string key = "\"text\":\"";
      const size_t at = line.find(key) + key.size();
      lines.push_back(line.substr(0, at) + '\xFF' + line.substr(at));
    }
    if (i == 20) lines.push_back(json{{"id", "planted-empty"}, {"text", ""}}.dump());
    if (i == 30) lines.push_back(json{{"id", "planted-blank"}, {"text", "  \n\t \r\n "}}.dump());
    if (i == 40) {  // truncated JSON holding the marker
      lines.push_back("{\"id\": \"planted-broken\", \"text\": \"" + kMarker + " and more");
      p.malformed_line = static_cast<int>(lines.size());
    }
    if (i == 50) {  // a repeated id (of the first record) carrying the marker
      p.duplicate_id = json::parse(real[0]).at("id");
      lines.push_back(json{{"id", p.duplicate_id}, {"text", kMarker + ". " + text_of(5)}}.dump());
    }
    if (i == 60) {  // a kept note carrying the marker
      lines.push_back(json{{"id", "planted-marker"}, {"text", text_of(7) + "\n" + kMarker}}.dump());
    }
  }
  p.text = JoinLines(lines);
  return p;
}

TEST_F(TokenizeE2e, BadRecordsAreCountedExactlyOnEveryRankCount) {
  const auto real = MtSamplesLines(80);
  const PlantedInput planted = PlantBadRecords(real);
  const std::string input = *dir_ / "in/planted.jsonl";
  WriteFile(input, planted.text);
  json first_counts;
  for (int ranks : {1, 3}) {
    const std::string out = *dir_ / ("planted-" + std::to_string(ranks));
    const auto r = Tokenize(ranks, config_, input, out);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json m = Manifest(out);
    // 80 real notes + 3 planted documents that parse: utf8, duplicate, marker.
    EXPECT_EQ(m.at("documents").at("read"), 80 + 3) << ranks;
    EXPECT_EQ(m.at("rejected").at("malformed"), 1) << ranks;
    EXPECT_EQ(m.at("rejected").at("empty"), 2) << ranks;
    EXPECT_EQ(m.at("rejected").at("duplicate_id"), 1) << ranks;
    EXPECT_EQ(m.at("rejected").at("no_terms"), 0) << ranks;
    EXPECT_EQ(m.at("rejected").at("no_terms_in_vocabulary"), 0) << ranks;
    EXPECT_EQ(m.at("changed").at("invalid_utf8_replaced"), 1) << ranks;
    EXPECT_EQ(m.at("changed").at("truncated"), 0) << ranks;
    EXPECT_EQ(m.at("documents").at("written"), 80 + 3 - 1) << ranks;
    EXPECT_EQ(m.at("counters").at("malformed").at("invalid_json"), 1) << ranks;
    ASSERT_EQ(m.at("inputs").size(), 1u);
    EXPECT_EQ(m.at("inputs")[0].at("counters").at("empty"), 2) << ranks;
    if (first_counts.is_null()) {
      first_counts = m.at("counters");
    } else {
      EXPECT_EQ(m.at("counters"), first_counts) << "counters depend on P";
    }
    // The duplicate keeps the first occurrence: its id appears once.
    const auto bow = ExportBow(out, *dir_ / ("bow-planted-" + std::to_string(ranks)));
    const auto ids = Lines(bow.at("doc_ids.txt"));
    EXPECT_EQ(std::count(ids.begin(), ids.end(), planted.duplicate_id), 1);
    EXPECT_EQ(ids.front(), planted.duplicate_id);
    for (const char* id : {"planted-utf8", "planted-marker"}) {
      EXPECT_EQ(std::count(ids.begin(), ids.end(), id), 1) << id;
    }
    for (const char* id : {"planted-empty", "planted-blank", "planted-broken"}) {
      EXPECT_EQ(std::count(ids.begin(), ids.end(), id), 0) << id;
    }
    // The planted text is in no output file and in no message.
    std::string where;
    for (const std::string& needle : {kMarker, kMarkerFolded, std::string("ZEBRA-QUOKKA")}) {
      EXPECT_FALSE(AnyFileContains(out, needle, &where)) << "note text leaked into " << where;
      EXPECT_FALSE(
          AnyFileContains(*dir_ / ("bow-planted-" + std::to_string(ranks)), needle, &where))
          << "note text leaked into " << where;
      EXPECT_EQ(r.output.find(needle), std::string::npos) << "note text leaked into the log";
    }
  }
}

TEST_F(TokenizeE2e, MalformedRecordWithOnErrorFailExits65NamingFileAndLine) {
  const auto real = MtSamplesLines(80);
  const PlantedInput planted = PlantBadRecords(real);
  const std::string input = *dir_ / "in/planted-fail.jsonl";
  WriteFile(input, planted.text);
  const auto r = Tokenize(1, config_, input, *dir_ / "fail-1",
                          "--set tokenize.on_error=fail --set log.level=error");
  EXPECT_EQ(r.exit_code, 65) << r.output;
  const std::string where = input + ":" + std::to_string(planted.malformed_line) + ":";
  EXPECT_NE(r.output.find(where), std::string::npos) << "expected " << where << " in\n" << r.output;
  EXPECT_NE(r.output.find("invalid_json"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line:\n" << r.output;
  EXPECT_EQ(r.output.find("ZEBRA"), std::string::npos) << "note text in the error message";
  // Under mpirun the failing rank ends the job with the same code. A rank
  // reading a byte range does not know line numbers: it names the record's
  // byte offset instead, which must be exact.
  size_t offset = 0;
  for (int line = 1; line < planted.malformed_line; ++line) {
    offset = planted.text.find('\n', offset) + 1;
  }
  for (int ranks : {2, 3}) {
    const auto r2 = Tokenize(ranks, config_, input, *dir_ / ("fail-" + std::to_string(ranks)),
                             "--set tokenize.on_error=fail");
    EXPECT_EQ(r2.exit_code, 65) << r2.output;
    const bool names_line = r2.output.find(where) != std::string::npos;
    const bool names_offset = r2.output.find(input + " (byte offset " + std::to_string(offset) +
                                             ")") != std::string::npos;
    EXPECT_TRUE(names_line || names_offset)
        << "expected " << where << " or byte " << offset << " in\n"
        << r2.output;
    EXPECT_EQ(r2.output.find("ZEBRA"), std::string::npos) << "note text in the error message";
  }
  // Whatever a failed run left behind holds no note text either.
  std::string leaked;
  for (const char* out : {"fail-1", "fail-2", "fail-3"}) {
    if (!fs::exists(*dir_ / out)) continue;
    EXPECT_FALSE(AnyFileContains(*dir_ / out, "ZEBRA", &leaked)) << "note text in " << leaked;
    EXPECT_FALSE(AnyFileContains(*dir_ / out, "zebra-quokka", &leaked))
        << "note text in " << leaked;
  }
}

TEST_F(TokenizeE2e, DuplicateIdWithPolicyFailExits65NamingTheId) {
  const auto real = MtSamplesLines(60);
  std::vector<std::string> lines = real;
  const std::string id = json::parse(real[4]).at("id");
  json dup = json::parse(real[9]);
  dup["id"] = id;
  dup["text"] = kMarker + " " + dup["text"].get<std::string>();
  lines.push_back(dup.dump());
  const std::string input = *dir_ / "in/dup.jsonl";
  WriteFile(input, JoinLines(lines));
  for (int ranks : {1, 2}) {
    const std::string out = *dir_ / ("dup-" + std::to_string(ranks));
    const auto r = Tokenize(ranks, config_, input, out, "--set tokenize.duplicate_ids=fail");
    EXPECT_EQ(r.exit_code, 65) << r.output;
    EXPECT_NE(r.output.find("duplicate document id '" + id + "'"), std::string::npos)
        << ranks << " rank(s):\n"
        << r.output;
    EXPECT_EQ(r.output.find("ZEBRA"), std::string::npos) << "note text in the error message";
    EXPECT_FALSE(fs::exists(fs::path(out) / "manifest.json"));
  }
  // duplicate_ids: all keeps both.
  const std::string out = *dir_ / "dup-all";
  const auto r = Tokenize(1, config_, input, out, "--set tokenize.duplicate_ids=all");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json m = Manifest(out);
  EXPECT_EQ(m.at("documents").at("written"), 61);
  EXPECT_EQ(m.at("changed").at("duplicate_id_kept"), 1);
  EXPECT_EQ(m.at("rejected").at("duplicate_id"), 0);
}

// RFC 4180 quoting of an arbitrary field.
std::string CsvQuote(const std::string& field) {
  std::string q = "\"";
  for (char c : field) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

TEST_F(TokenizeE2e, CsvGzipAndTxtFolderInputs) {
  // The same 120 notes as JSONL, CSV, JSONL.gz and a folder of .txt files.
  const auto real = MtSamplesLines(120);
  const std::string jsonl = *dir_ / "in/fmt/notes.jsonl";
  WriteFile(jsonl, JoinLines(real));
  std::string csv = "id,text,specialty\r\n";
  int texts_with_line_breaks = 0;
  for (size_t i = 0; i < real.size(); ++i) {
    const json doc = json::parse(real[i]);
    const std::string text = doc.at("text");
    texts_with_line_breaks += text.find('\n') != std::string::npos;
    // A third column with a quoted comma, quotes and a line break.
    csv += CsvQuote(doc.at("id")) + "," + CsvQuote(text) + "," +
           CsvQuote("Surgery, \"general\"\nline " + std::to_string(i)) + "\r\n";
  }
  ASSERT_GT(texts_with_line_breaks, 10) << "the CSV must exercise quoted line breaks";
  const std::string csv_path = *dir_ / "in/fmt/notes.csv";
  WriteFile(csv_path, csv);
  ASSERT_EQ(RunCommand("gzip -c " + jsonl + " > " + jsonl + ".gz").exit_code, 0);
  // CRLF line ends and no line break after the last record.
  std::string crlf;
  for (const auto& line : real) crlf += line + "\r\n";
  crlf.resize(crlf.size() - 2);
  const std::string crlf_path = *dir_ / "in/fmt/crlf.jsonl";
  WriteFile(crlf_path, crlf);
  const std::string txt_dir = *dir_ / "in/fmt/txt";
  std::set<std::string> txt_ids;
  for (size_t i = 0; i < 40; ++i) {
    const json doc = json::parse(real[i]);
    // Nested folders; one file compressed.
    const std::string name = (i % 2 ? "a/" : "b/") + doc.at("id").get<std::string>() + ".txt";
    WriteFile(fs::path(txt_dir) / name, doc.at("text").get<std::string>());
    txt_ids.insert(name);
  }
  const std::string gz_name = *txt_ids.begin();
  ASSERT_EQ(RunCommand("gzip " + (fs::path(txt_dir) / gz_name).string()).exit_code, 0);

  const auto rj = Tokenize(1, config_, jsonl, *dir_ / "fmt-jsonl");
  ASSERT_EQ(rj.exit_code, 0) << rj.output;
  const auto reference = ExportBow(*dir_ / "fmt-jsonl", *dir_ / "bow-fmt-jsonl");
  const std::string vocab = ReadFile(*dir_ / "fmt-jsonl/vocab.tsv");
  // CSV at P = 1 and 3 (byte ranges cut inside quoted line breaks), .gz at
  // P = 2, CRLF JSONL at P = 3: the same corpus as the JSONL.
  for (const auto& [name, input, ranks] :
       std::vector<std::tuple<std::string, std::string, int>>{{"fmt-csv1", csv_path, 1},
                                                              {"fmt-csv3", csv_path, 3},
                                                              {"fmt-gz2", jsonl + ".gz", 2},
                                                              {"fmt-crlf3", crlf_path, 3}}) {
    const auto r = Tokenize(ranks, config_, input, *dir_ / name);
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.output;
    const json m = Manifest(*dir_ / name);
    EXPECT_EQ(m.at("documents").at("read"), 120) << name;
    EXPECT_EQ(m.at("rejected").at("malformed"), 0) << name;
    EXPECT_TRUE(ReadFile(fs::path(*dir_ / name) / "vocab.tsv") == vocab)
        << name << ": vocab.tsv differs";
    const auto bow = ExportBow(*dir_ / name, *dir_ / ("bow-" + name));
    for (const auto& [file, bytes] : reference) {
      EXPECT_TRUE(bow.at(file) == bytes) << name << ": " << file << " differs from the JSONL";
    }
  }
  // A folder of .txt (and .txt.gz) files: one document per file, id = relative path.
  for (int ranks : {1, 2}) {
    const std::string out = *dir_ / ("fmt-txt" + std::to_string(ranks));
    const auto r = Tokenize(ranks, config_, txt_dir, out);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json m = Manifest(out);
    EXPECT_EQ(m.at("documents").at("read"), 40);
    EXPECT_EQ(m.at("documents").at("written"), 40);
    const auto ids = Lines(ExportBow(out, out + "-bow").at("doc_ids.txt"));
    std::set<std::string> expected = txt_ids;
    expected.erase(gz_name);
    expected.insert(gz_name + ".gz");
    const std::set<std::string> got(ids.begin(), ids.end());
    EXPECT_EQ(got, expected) << ranks;
    EXPECT_EQ(ids.size(), expected.size()) << ranks;
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << "files in relative-path order";
  }
}

}  // namespace
}  // namespace ntm
