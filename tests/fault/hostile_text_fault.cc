// Fault campaign: hostile text for `ntm tokenize`. Every case must finish
// without a crash (exit 0 when usable documents remain), count what it met in
// manifest.json, and keep memory bounded whatever the line length.
//
// In CTest: deeply nested JSON (100k '['), NUL bytes, overlong UTF-8 (C0 AF),
// lone surrogates (ED A0 80 and "\ud800"), right-to-left text, bidi controls
// and combining marks, 10 million empty lines, and a 256 MiB single line
// (a sparse file, so it costs no disk). With NTM_FAULT_SLOW=1
// (tests/fault/fault_table.sh) also 1 GiB single lines of real text (JSONL),
// of NUL bytes (JSONL, CSV field, .txt file), each under /usr/bin/time-like
// peak-RSS measurement.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/fault/fault_util.h"

extern char** environ;

namespace ntm::fault {
namespace {

// Exit code, peak resident set size and output of one process run directly
// (no shell, so the RSS is ntm's own).
struct Measured {
  int exit_code = -1;
  long max_rss_kb = 0;
  double seconds = 0;
  std::string output;
};

Measured RunMeasured(const std::vector<std::string>& args, const fs::path& log) {
  Measured m;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) return m;
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.max_rss_kb = ru.ru_maxrss;
  if (WIFEXITED(status)) m.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) m.exit_code = 128 + WTERMSIG(status);
  m.output = ReadFile(log);
  return m;
}

// The tokenize arguments for `inputs` into `out` (words mode, every term kept).
std::vector<std::string> TokenizeArgs(const std::vector<fs::path>& inputs, const fs::path& out) {
  std::vector<std::string> a = {kNtm, "tokenize", "--config", kConfig, "--out", out.string()};
  for (const char* s :
       {"vocab.mode=words", "vocab.min_df=1", "vocab.max_df=1.0", "log.level=warn"}) {
    a.push_back("--set");
    a.push_back(s);
  }
  a.push_back("--input");
  for (const auto& i : inputs) a.push_back(i.string());
  return a;
}

std::string ShellJoin(const std::vector<std::string>& args) {
  std::string s;
  for (size_t i = 1; i < args.size(); ++i) s += " '" + args[i] + "'";
  return kNtm + s;
}

// The manifest's counters as "read=.. written=.. invalid_json=.." for the table.
std::string Counted(const json& m) {
  std::string s = "read " + std::to_string(m["documents"]["read"].get<int64_t>()) + ", written " +
                  std::to_string(m["documents"]["written"].get<int64_t>());
  const json& c = m["counters"];
  for (const char* k : {"truncated", "invalid_utf8_replaced", "empty"}) {
    if (c[k].get<int64_t>() != 0)
      s += ", " + std::string(k) + " " + std::to_string(c[k].get<int64_t>());
  }
  for (const auto& [k, v] : c["malformed"].items()) {
    if (v.get<int64_t>() != 0) s += ", malformed." + k + " " + std::to_string(v.get<int64_t>());
  }
  for (const char* k : {"no_terms", "no_terms_in_vocabulary", "duplicate_id"}) {
    if (m["rejected"][k].get<int64_t>() != 0) {
      s += ", rejected." + std::string(k) + " " + std::to_string(m["rejected"][k].get<int64_t>());
    }
  }
  return s;
}

class HostileText : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteSample(dir_.path() / "base.jsonl", 20);
    base_ = ReadFile(dir_.path() / "base.jsonl");
  }
  fs::path P(const std::string& name) const { return dir_.path() / name; }

  // Tokenizes `inputs` with 1 rank (peak RSS measured) and with 2 ranks, expects
  // `code` from both and, on success, identical manifests' counters; returns the
  // 1-rank manifest (null on failure) and records a row.
  json Tokenize(const std::string& fault, const std::string& inputs_text,
                const std::vector<fs::path>& inputs, int code = 0, long max_rss_kb = 512 * 1024) {
    const fs::path out1 = P("out-" + std::to_string(++runs_) + "-p1");
    const fs::path out2 = P("out-" + std::to_string(runs_) + "-p2");
    const Measured one = RunMeasured(TokenizeArgs(inputs, out1), P("log-" + std::to_string(runs_)));
    const CommandResult two = RunCommand(Mpirun(2) + ShellJoin(TokenizeArgs(inputs, out2)));
    EXPECT_EQ(one.exit_code, code) << fault << "\n" << one.output;
    EXPECT_EQ(two.exit_code, code) << fault << " (2 ranks)\n" << two.output;
    EXPECT_LT(one.max_rss_kb, max_rss_kb) << fault << ": peak RSS";
    const FolderCheck check1 = CheckFolder(out1), check2 = CheckFolder(out2);
    EXPECT_TRUE(check1.ok()) << check1.Summary();
    EXPECT_TRUE(check2.ok()) << check2.Summary();
    json manifest;
    std::string counted;
    if (one.exit_code == 0 && fs::exists(out1 / "manifest.json")) {
      manifest = json::parse(ReadFile(out1 / "manifest.json"));
      counted = Counted(manifest);
      if (two.exit_code == 0) {
        const json m2 = json::parse(ReadFile(out2 / "manifest.json"));
        EXPECT_EQ(m2["counters"], manifest["counters"]) << fault << ": 2 ranks count differently";
        EXPECT_EQ(m2["documents"], manifest["documents"]) << fault;
        if (m2["counters"] != manifest["counters"]) counted += " (2 ranks count differently!)";
      }
    } else {
      counted = ErrorLines(one.output).empty() ? "no error line" : ErrorLines(one.output)[0];
    }
    Row(fault, inputs_text,
        (one.exit_code == code && two.exit_code == code ? "no crash; " : "UNEXPECTED; ") + counted +
            "; peak RSS " + std::to_string(one.max_rss_kb / 1024) + " MiB, " +
            std::to_string(one.seconds).substr(0, 4) + " s (1 rank)",
        std::to_string(one.exit_code) + " (np 2: " + std::to_string(two.exit_code) + ")",
        check1.ok() && check2.ok() ? "intact" : check1.Summary() + " / " + check2.Summary());
    return manifest;
  }

  TempDir dir_;
  std::string base_;  // 20 MedQuAD records
  int runs_ = 0;
};

int64_t Malformed(const json& m, const char* reason) { return m["counters"]["malformed"][reason]; }

TEST_F(HostileText, DeeplyNestedJson) {
  const std::string open(100000, '['), close(100000, ']');
  WriteFile(P("nested.jsonl"),
            base_ + open + "\n" + open + close + "\n" +
                "{\"id\":\"deep-field\",\"text\":\"cardiac arrest\",\"x\":" + open + close + "}\n" +
                "{\"id\":\"deep-text\",\"text\":" + open + close + "}\n");
  const json m = Tokenize("deeply nested JSON",
                          "20 records + 100k '[' unclosed, 100k '[' ']' closed, "
                          "an object with a 100k-deep field, text = 100k-deep array",
                          {P("nested.jsonl")});
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(Malformed(m, "invalid_json"), 1);
  EXPECT_EQ(Malformed(m, "not_an_object"), 1);
  EXPECT_EQ(Malformed(m, "non_string_text"), 1);
  EXPECT_EQ(m["documents"]["read"], 21);  // the base records and deep-field
}

TEST_F(HostileText, NulBytesInEveryFormat) {
  using namespace std::string_literals;  // "..."s keeps embedded NULs
  WriteFile(P("nul.jsonl"), base_ + "{\"id\":\"raw\",\"text\":\"heart\0lung\"}\n"s +
                                "{\"id\":\"escaped\",\"text\":\"heart\\u0000lung \\u0000\"}\n" +
                                "\0\0\0\n"s);
  WriteFile(P("nul.csv"), "id,text\nc1,\"heart\0lung\"\nc2,blood\0pressure\n\0,x\n"s);
  WriteFile(P("nul/a.txt"), "heart\0lung\0\0 blood pressure\n"s);
  const json m = Tokenize("NUL bytes",
                          "JSONL raw NUL in a string, \\u0000 escapes, a line of NULs; "
                          "CSV NUL in quoted/unquoted fields and as an id; .txt with NULs",
                          {P("nul.jsonl"), P("nul.csv"), P("nul")});
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(Malformed(m, "invalid_json"), 2);  // the raw NUL in a string, the line of NULs
  EXPECT_EQ(m["documents"]["read"], 20 + 1 + 2 + 1 + 1);
}

TEST_F(HostileText, OverlongUtf8AndLoneSurrogates) {
  const std::string bad = "heart \xC0\xAF lung \xED\xA0\x80 blood";  // 2 + 3 ill-formed bytes
  WriteFile(P("utf8.jsonl"), base_ + "{\"id\":\"raw\",\"text\":\"" + bad + "\"}\n" +
                                 "{\"id\":\"escaped\",\"text\":\"heart \\ud800 lung\"}\n" +
                                 "{\"id\":\"id-\xC0\xAF\",\"text\":\"heart lung\"}\n");
  WriteFile(P("utf8.csv"), "id,text\nc1," + bad + "\n");
  WriteFile(P("utf8/a.txt"), bad + "\n");
  const json m = Tokenize("overlong UTF-8 and lone surrogates",
                          "C0 AF and ED A0 80 raw in JSONL, CSV and .txt text and in a JSONL id; "
                          "\"\\ud800\" escape",
                          {P("utf8.jsonl"), P("utf8.csv"), P("utf8")});
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(Malformed(m, "invalid_json"), 1);  // the unpaired \ud800 escape
  EXPECT_GE(m["counters"]["invalid_utf8_replaced"].get<int64_t>(), 3 * 5);
  EXPECT_EQ(m["counters"]["invalid_utf8_replaced"], m["changed"]["invalid_utf8_replaced"]);
  // Every output piece is valid UTF-8 (vocab.tsv holds no replaced bytes).
  for (const auto& dir : fs::directory_iterator(dir_.path())) {
    if (dir.path().filename().string().ends_with("-p1") && fs::exists(dir.path() / "vocab.tsv")) {
      const std::string vocab = ReadFile(dir.path() / "vocab.tsv");
      EXPECT_EQ(vocab.find("\xC0\xAF"), std::string::npos);
      EXPECT_EQ(vocab.find("\xED\xA0\x80"), std::string::npos);
    }
  }
}

TEST_F(HostileText, RightToLeftBidiControlsAndCombiningMarks) {
  WriteFile(P("rtl.jsonl"),
            base_ +
                "{\"id\":\"hebrew-arabic\",\"text\":\"\u05dc\u05d1 \u05e8\u05d9\u05d0\u05d5\u05ea "
                "\u0642\u0644\u0628 \u0631\u0626\u0629 heart\"}\n"
                "{\"id\":\"bidi\",\"text\":\"\u202e\u202d\u2066\u2069\u200f\u200e heart \u202e "
                "lung\u202c\"}\n"
                "{\"id\":\"combining\",\"text\":\"e\u0301\u0301\u0301\u0301 cafe\u0301 "
                "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359 \u0e01\u0e34\u0e4a "
                "\u0915\u094d\u200d\u0937\"}\n"
                "{\"id\":\"only-marks\",\"text\":\"\u0301\u0301\u0301 \u200f\u200f\"}\n"
                "{\"id\":\"\u202eevil-id\",\"text\":\"heart\"}\n");
  const json m = Tokenize("right-to-left text, bidi controls, combining marks",
                          "Hebrew/Arabic words, U+202E/2066/200F controls (also in an id), stacked "
                          "combining marks, Thai and Devanagari clusters, a text of marks only",
                          {P("rtl.jsonl")});
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["documents"]["read"], 25);
}

TEST_F(HostileText, TenMillionEmptyLines) {
  {
    std::ofstream out(P("empty.jsonl"), std::ios::binary);
    out << base_;
    const std::string block(1 << 20, '\n');
    for (int i = 0; i < 10000000 / (1 << 20); ++i) out << block;
    out << std::string(10000000 % (1 << 20), '\n');
    out << "{\"id\":\"after\",\"text\":\"blood pressure\"}\n";
  }
  const json m = Tokenize("10 million empty lines", "20 records, 10,000,000 '\\n', 1 record",
                          {P("empty.jsonl")});
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["documents"]["read"], 21);
  EXPECT_EQ(m["counters"]["bytes_read"], static_cast<int64_t>(fs::file_size(P("empty.jsonl"))));
  // A file of nothing but empty lines: no documents, a clear error.
  {
    std::ofstream out(P("only-empty.jsonl"), std::ios::binary);
    const std::string block(1 << 20, '\n');
    for (int i = 0; i < 10; ++i) out << block;
  }
  const json none = Tokenize("only empty lines", "10,485,760 '\\n' and nothing else",
                             {P("only-empty.jsonl")}, 65);
  EXPECT_TRUE(none.is_null());
}

// Fixed bug 6 (docs/reliability.md): a number outside double range
// anywhere in a JSONL line ("1e999", e.g. in a field ntm ignores) makes the
// reader throw nlohmann's out_of_range, which is not caught as a malformed
// record: the whole tokenize exits 70 ("internal error: [json.exception.
// out_of_range.406] number overflow parsing '1e999'") even with on_error: skip.
// Expected: exit 0, the record counted as malformed.invalid_json.
TEST_F(HostileText, NumberOutOfRangeInAnyFieldIsCountedNotFatal) {
  WriteFile(P("number.jsonl"), base_ + "{\"id\":\"n1\",\"text\":\"heart lung\",\"score\":1e999}\n" +
                                   "{\"id\":\"n2\",\"text\":\"blood\",\"x\":-1e400}\n");
  const json m = Tokenize("number out of double range in a JSONL field",
                          "20 records + {\"score\": 1e999} and {\"x\": -1e400} in ignored fields",
                          {P("number.jsonl")});
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(Malformed(m, "invalid_json"), 2);
  EXPECT_EQ(m["documents"]["read"], 20);
}

// A sparse file: `prefix`, `hole` zero bytes (no disk blocks), `suffix`.
void WriteSparse(const fs::path& path, const std::string& prefix, int64_t hole,
                 const std::string& suffix) {
  std::ofstream out(path, std::ios::binary);
  out << prefix;
  out.seekp(hole, std::ios::cur);
  out << suffix;
}

TEST_F(HostileText, LongSingleLineKeepsMemoryBounded) {
  constexpr int64_t kLine = int64_t{256} << 20;
  WriteSparse(P("long.jsonl"), base_ + "{\"id\":\"long\",\"text\":\"", kLine,
              "\"}\n{\"id\":\"after\",\"text\":\"blood pressure\"}\n");
  const json m = Tokenize("256 MiB single line (NUL bytes, sparse file)",
                          "20 records, one 256 MiB JSONL line, 1 record; max_line_bytes 64 MiB",
                          {P("long.jsonl")}, 0, 400 * 1024);
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(Malformed(m, "line_too_long"), 1);
  EXPECT_EQ(m["documents"]["read"], 21);
}

TEST_F(HostileText, OneGibLinesInEveryFormatSlow) {
  if (!SlowCasesEnabled())
    GTEST_SKIP() << "slow (~1 min): set NTM_FAULT_SLOW=1 (fault_table.sh does)";
  constexpr int64_t kGiB = int64_t{1} << 30;
  {
    std::ofstream out(P("text.jsonl"), std::ios::binary);
    out << base_ << "{\"id\":\"big\",\"text\":\"";
    std::string chunk;
    while (chunk.size() < (1 << 20)) chunk += "heart lung blood ";
    for (int64_t n = 0; n < kGiB; n += static_cast<int64_t>(chunk.size())) out << chunk;
    out << "\"}\n{\"id\":\"after\",\"text\":\"blood pressure\"}\n";
  }
  json m =
      Tokenize("1 GiB single line of text (JSONL)", "20 records, one 1 GiB line of words, 1 record",
               {P("text.jsonl")}, 0, 400 * 1024);
  if (!m.is_null()) {
    EXPECT_EQ(Malformed(m, "line_too_long"), 1);
  }
  fs::remove(P("text.jsonl"));
  WriteSparse(P("nul.jsonl"), base_ + "{\"id\":\"big\",\"text\":\"", kGiB, "\"}\n");
  m = Tokenize("1 GiB single line of NUL bytes (JSONL)", "20 records, one 1 GiB line (sparse)",
               {P("nul.jsonl")}, 0, 400 * 1024);
  if (!m.is_null()) {
    EXPECT_EQ(Malformed(m, "line_too_long"), 1);
  }
  WriteSparse(P("big.csv"), "id,text\n1,heart lung\n2,\"", kGiB, "\"\n3,blood pressure\n");
  m = Tokenize("1 GiB quoted CSV field", "3 records, the second one 1 GiB (sparse)", {P("big.csv")},
               0, 400 * 1024);
  if (!m.is_null()) {
    EXPECT_EQ(Malformed(m, "line_too_long"), 1);
  }
  fs::create_directories(P("txt"));
  WriteSparse(P("txt/big.txt"), "heart ", kGiB, " lung\n");
  WriteFile(P("txt/small.txt"), "blood pressure heart lung\n");
  m = Tokenize("1 GiB .txt document", "a folder: one 1 GiB file (sparse), one small file",
               {P("txt")}, 0, 400 * 1024);
  if (!m.is_null()) {
    EXPECT_EQ(m["counters"]["truncated"], 1);
  }
}

}  // namespace
}  // namespace ntm::fault
