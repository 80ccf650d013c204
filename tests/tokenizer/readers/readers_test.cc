// Readers: JSONL, CSV, folders of .txt, gzip of each; malformed records under
// both policies (messages carry file:line and reason, never text); limits.
#include "tokenizer/readers/readers.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tests/tokenizer/test_util.h"

namespace ntm {
namespace {

using testing::ReadAll;
using testing::ScratchDir;
using testing::WriteFile;
using testing::WriteGzip;

// A marker placed in malformed records: it must never show up in a message.
constexpr const char* kSecret = "SECRET-NOTE-TEXT";

std::vector<RawDocument> ReadPath(const std::string& path, const ReaderOptions& options = {},
                                  ReaderStats* stats = nullptr) {
  return ReadAll(ExpandInputs({path}, options.format), options, stats);
}

// The message of the InputError thrown while reading `path` with on_error=fail.
std::string FailMessage(const std::string& path, ReaderOptions options = {}) {
  options.on_error = OnError::kFail;
  try {
    ReadPath(path, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JsonlReaderTest, ReadsStringAndIntegerIds) {
  ScratchDir dir;
  const std::string path = dir / "notes.jsonl";
  WriteFile(path,
            "{\"id\": \"a1\", \"text\": \"first note\"}\n"
            "\n"
            "{\"id\": 42, \"text\": \"second\", \"label\": [1, 2]}\r\n"
            "{\"text\": \"third\", \"id\": 18446744073709551615}");  // no final newline
  ReaderStats stats;
  const auto docs = ReadPath(path, {}, &stats);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].id, "a1");
  EXPECT_EQ(docs[0].text, "first note");
  EXPECT_EQ(docs[0].line, 1);
  EXPECT_EQ(docs[0].offset, 0);
  EXPECT_EQ(docs[0].file, path);
  EXPECT_EQ(docs[1].id, "42");
  EXPECT_EQ(docs[1].line, 3);
  EXPECT_EQ(docs[2].id, "18446744073709551615");
  EXPECT_EQ(docs[2].line, 4);
  EXPECT_EQ(stats.total.records, 3);
  EXPECT_EQ(stats.total.bytes_read, static_cast<int64_t>(testing::ReadFile(path).size()));
  EXPECT_EQ(stats.total.malformed_total(), 0);
}

TEST(JsonlReaderTest, ConfigurableFieldNames) {
  ScratchDir dir;
  WriteFile(dir / "n.jsonl", "{\"note_id\": \"x\", \"body\": \"hello\"}\n");
  ReaderOptions options;
  options.id_field = "note_id";
  options.text_field = "body";
  const auto docs = ReadPath(dir / "n.jsonl", options);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].id, "x");
  EXPECT_EQ(docs[0].text, "hello");
  options.id_field = "";  // no id field: "<file name>@<byte offset>"
  EXPECT_EQ(ReadPath(dir / "n.jsonl", options).at(0).id, "n.jsonl@0");
}

std::string MalformedJsonl() {
  const std::string s = kSecret;
  return "{\"id\": \"ok1\", \"text\": \"fine\"}\n"  // 1
         "{\"id\": \"bad\", \"text\": \"" +
         s +
         "\n"  // 2 invalid JSON
         "[\"" +
         s +
         "\"]\n"  // 3 not an object
         "{\"text\": \"" +
         s +
         "\"}\n"  // 4 missing id
         "{\"id\": 1.5, \"text\": \"" +
         s +
         "\"}\n"                                          // 5 bad id
         "{\"id\": \"t\"}\n"                              // 6 missing text
         "{\"id\": \"n\", \"text\": 7}\n"                 // 7 non-string text
         "{\"id\": \"e\", \"text\": \"  \\n \"}\n"        // 8 blank text
         "{\"id\": \"ok2\", \"text\": \"also fine\"}\n";  // 9
}

TEST(JsonlReaderTest, MalformedLinesAreCountedBySkip) {
  ScratchDir dir;
  WriteFile(dir / "m.jsonl", MalformedJsonl());
  ReaderStats stats;
  std::vector<RejectedRecord> rejects;
  ReaderOptions options;
  options.on_reject = [&rejects](const RejectedRecord& r) { rejects.push_back(r); };
  const auto docs = ReadPath(dir / "m.jsonl", options, &stats);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].id, "ok2");
  EXPECT_EQ(docs[1].line, 9);
  const auto& m = stats.total.malformed;
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kInvalidJson)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kNotAnObject)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kMissingId)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kBadId)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kMissingText)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kNonStringText)], 1);
  EXPECT_EQ(stats.total.empty_skipped, 1);
  ASSERT_EQ(rejects.size(), 6u);
  EXPECT_EQ(rejects[0].line, 2);
  EXPECT_EQ(rejects[0].reason, MalformedReason::kInvalidJson);
}

TEST(JsonlReaderTest, FailPolicyNamesFileLineAndReasonButNoText) {
  ScratchDir dir;
  const std::string path = dir / "m.jsonl";
  WriteFile(path, MalformedJsonl());
  const std::string message = FailMessage(path);
  EXPECT_NE(message.find(path + ":2"), std::string::npos) << message;
  EXPECT_NE(message.find("invalid_json"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos);
  // Each kind of problem, alone in a file, fails with its reason and no text.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[\"" + std::string(kSecret) + "\"]", "not_an_object"},
      {"{\"text\": \"" + std::string(kSecret) + "\"}", "missing_id"},
      {"{\"id\": \"" + std::string(kSecret) + "\"}", "missing_text"},
      {"{\"id\": \"a\", \"text\": {\"x\": \"" + std::string(kSecret) + "\"}}", "non_string_text"}};
  for (const auto& [line, reason] : cases) {
    WriteFile(path, "{\"id\": \"a\", \"text\": \"b\"}\n" + line + "\n");
    const std::string m = FailMessage(path);
    EXPECT_NE(m.find(path + ":2"), std::string::npos) << reason;
    EXPECT_NE(m.find(reason), std::string::npos) << reason;
    EXPECT_EQ(m.find(kSecret), std::string::npos) << reason;
  }
}

TEST(JsonlReaderTest, InvalidUtf8IsRepairedAndCounted) {
  ScratchDir dir;
  WriteFile(dir / "u.jsonl", "{\"id\": \"u\", \"text\": \"caf\xC3 ok \xFF\"}\n");
  ReaderStats stats;
  const auto docs = ReadPath(dir / "u.jsonl", {}, &stats);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text, "caf\xEF\xBF\xBD ok \xEF\xBF\xBD");
  EXPECT_EQ(stats.total.invalid_utf8_replaced, 2);
  EXPECT_EQ(stats.per_source.at(0).invalid_utf8_replaced, 2);
}

TEST(JsonlReaderTest, OversizeLineIsSkippedWithoutBuffering) {
  ScratchDir dir;
  const std::string big = "{\"id\": \"big\", \"text\": \"" + std::string(100000, 'a') + "\"}\n";
  WriteFile(dir / "l.jsonl", "{\"id\": \"1\", \"text\": \"one\"}\n" + big +
                                 "{\"id\": \"3\", \"text\": \"three\"}\n");
  ReaderOptions options;
  options.max_line_bytes = 1000;
  ReaderStats stats;
  const auto docs = ReadPath(dir / "l.jsonl", options, &stats);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].id, "3");
  EXPECT_EQ(docs[1].line, 3);
  EXPECT_EQ(stats.total.malformed[static_cast<int>(MalformedReason::kLineTooLong)], 1);
  const std::string message = FailMessage(dir / "l.jsonl", options);
  EXPECT_NE(message.find(":2"), std::string::npos) << message;
  EXPECT_NE(message.find("line_too_long"), std::string::npos) << message;
}

TEST(JsonlReaderTest, LongDocumentIsTruncatedAtACodePoint) {
  ScratchDir dir;
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "\xE2\x82\xAC";  // euro sign, 3 bytes
  WriteFile(dir / "t.jsonl", "{\"id\": \"t\", \"text\": \"" + text + "\"}\n");
  ReaderOptions options;
  options.max_doc_bytes = 1000;
  ReaderStats stats;
  const auto docs = ReadPath(dir / "t.jsonl", options, &stats);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text.size(), 999u);  // 333 whole euro signs
  EXPECT_EQ(stats.total.truncated, 1);
  EXPECT_EQ(stats.total.invalid_utf8_replaced, 0);
}

// The JSONL cases below pin down what the JSON parser decides, field by field.

// Reads `jsonl` (one record per line) and returns its documents; `stats` gets
// the counters.
std::vector<RawDocument> ReadJsonl(const std::string& jsonl, ReaderStats& stats,
                                   const ReaderOptions& options = {}) {
  ScratchDir dir;
  WriteFile(dir / "r.jsonl", jsonl);
  return ReadPath(dir / "r.jsonl", options, &stats);
}

int64_t Malformed(const ReaderStats& stats, MalformedReason reason) {
  return stats.total.malformed[static_cast<int>(reason)];
}

TEST(JsonlReaderTest, AMalformedValueInAnyFieldMakesTheLineInvalid) {
  ReaderStats stats;
  const auto docs = ReadJsonl(
      "{\"id\": \"a\", \"text\": \"x\", \"n\": 1e999}\n"               // number overflow
      "{\"id\": \"b\", \"text\": \"x\", \"n\": 01}\n"                  // leading zero
      "{\"id\": \"c\", \"text\": \"x\", \"s\": \"\\ud800\"}\n"         // lone surrogate
      "{\"id\": \"d\", \"text\": \"x\", \"s\": \"\\ud800\\u0041\"}\n"  // high surrogate, no low one
      "{\"id\": \"e\", \"text\": \"x\", \"s\": \"tab\there\"}\n"  // unescaped control character
      "{\"id\": \"f\", \"text\": \"x\", \"l\": [1, 2,]}\n"        // trailing comma
      "{\"id\": \"g\", \"text\": \"x\", \"b\": tru}\n"            // bad literal
      "{\"id\": \"h\", \"text\": \"b\"} x\n"                      // trailing garbage
      "{\"id\": \"i\", \"text\": \"b\"}{\"id\": \"j\", \"text\": \"c\"}\n"  // two objects
      "{\"id\": \"ok\", \"text\": \"fine\", \"f\": 1e-999, \"z\": -0.0}  \n",
      stats);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].id, "ok");
  EXPECT_EQ(docs[0].line, 10);
  EXPECT_EQ(Malformed(stats, MalformedReason::kInvalidJson), 9);
  EXPECT_EQ(stats.total.malformed_total(), 9);
}

TEST(JsonlReaderTest, IntegerIdsAreWrittenInDecimalAndOtherNumbersAreBadIds) {
  ReaderStats stats;
  const auto docs = ReadJsonl(
      "{\"id\": -7, \"text\": \"x\"}\n"
      "{\"id\": -0, \"text\": \"x\"}\n"
      "{\"id\": -9223372036854775808, \"text\": \"x\"}\n"
      "{\"id\": 9223372036854775808, \"text\": \"x\"}\n"
      "{\"id\": 18446744073709551615, \"text\": \"x\"}\n"
      "{\"id\": 1.5, \"text\": \"x\"}\n"
      "{\"id\": 1e2, \"text\": \"x\"}\n"
      "{\"id\": 2.0, \"text\": \"x\"}\n"
      "{\"id\": 18446744073709551616, \"text\": \"x\"}\n"  // beyond 64 bits: a double
      "{\"id\": -9223372036854775809, \"text\": \"x\"}\n"  // likewise
      "{\"id\": \"big\", \"text\": \"x\", \"n\": 123456789012345678901234567890}\n"
      "{\"id\": true, \"text\": \"x\"}\n"
      "{\"id\": [1], \"text\": \"x\"}\n",
      stats);
  std::vector<std::string> ids;
  for (const auto& doc : docs) ids.push_back(doc.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"-7", "0", "-9223372036854775808", "9223372036854775808",
                                           "18446744073709551615", "big"}));
  EXPECT_EQ(Malformed(stats, MalformedReason::kBadId), 7);
  EXPECT_EQ(stats.total.malformed_total(), 7);
}

TEST(JsonlReaderTest, TextMustBeAString) {
  ReaderStats stats;
  const auto docs = ReadJsonl("{\"id\": \"a\", \"text\": {\"nested\": \"" + std::string(kSecret) +
                                  "\"}}\n"
                                  "{\"id\": \"b\", \"text\": [\"x\"]}\n"
                                  "{\"id\": \"c\", \"text\": false}\n"
                                  "{\"id\": \"d\", \"text\": null}\n"
                                  "{\"id\": null, \"text\": \"x\"}\n"
                                  "{\"id\": \"e\", \"text\": \"ok\"}\n",
                              stats);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].id, "e");
  EXPECT_EQ(Malformed(stats, MalformedReason::kNonStringText), 3);
  EXPECT_EQ(Malformed(stats, MalformedReason::kMissingText), 1);
  EXPECT_EQ(Malformed(stats, MalformedReason::kMissingId), 1);
}

TEST(JsonlReaderTest, EscapesAreDecoded) {
  ReaderStats stats;
  const auto docs = ReadJsonl(
      "{\"id\": \"caf\\u00e9\", \"text\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" a\\\\b \\/ "
      "\\u0041\\t.\"}\n"
      "{\"\\u0069d\": \"k\", \"te\\u0078t\": \"escaped keys\"}\n",
      stats);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].id, "caf\xC3\xA9");
  EXPECT_EQ(docs[0].text, "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" a\\b / A\t.");
  EXPECT_EQ(docs[1].id, "k");
  EXPECT_EQ(docs[1].text, "escaped keys");
  EXPECT_EQ(stats.total.malformed_total(), 0);
}

// Of duplicate keys the last one wins (as in nlohmann::json, the reader's
// first parser), also when it makes the record malformed.
TEST(JsonlReaderTest, DuplicateKeysLastOneWins) {
  ReaderStats stats;
  const auto docs = ReadJsonl(
      "{\"id\": \"first\", \"text\": \"one\", \"id\": \"second\", \"text\": \"two\"}\n"
      "{\"id\": \"a\", \"text\": 5, \"text\": \"fixed\"}\n"
      "{\"id\": \"b\", \"text\": \"x\", \"text\": 7}\n"
      "{\"id\": \"c\", \"text\": \"x\", \"id\": null}\n",
      stats);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].id, "second");
  EXPECT_EQ(docs[0].text, "two");
  EXPECT_EQ(docs[1].id, "a");
  EXPECT_EQ(docs[1].text, "fixed");
  EXPECT_EQ(Malformed(stats, MalformedReason::kNonStringText), 1);
  EXPECT_EQ(Malformed(stats, MalformedReason::kMissingId), 1);
}

// A byte order mark is dropped at the start of the file and, once, at the
// start of any line (as nlohmann::json did); anywhere else it is invalid JSON.
TEST(JsonlReaderTest, ByteOrderMarks) {
  const std::string bom = "\xEF\xBB\xBF";
  ReaderStats stats;
  const auto docs = ReadJsonl(bom + bom + "{\"id\": \"1\", \"text\": \"x\"}\n" + bom +
                                  "{\"id\": \"2\", \"text\": \"x\"}\n" + bom + bom +
                                  "{\"id\": \"3\", \"text\": \"x\"}\n" + " " + bom +
                                  "{\"id\": \"4\", \"text\": \"x\"}\n" + bom + "\n" + "  \t\n",
                              stats);
  std::vector<std::string> ids;
  for (const auto& doc : docs) ids.push_back(doc.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Malformed(stats, MalformedReason::kInvalidJson), 3);
  EXPECT_EQ(stats.total.empty_skipped, 0);
}

// Nesting deeper than simdjson's limit (1024) is still valid JSON.
TEST(JsonlReaderTest, DeepNestingInAnotherField) {
  ReaderStats stats;
  const std::string deep = std::string(3000, '[') + std::string(3000, ']');
  const auto docs = ReadJsonl("{\"id\": \"d\", \"text\": \"x\", \"deep\": " + deep + "}\n", stats);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].id, "d");
}

TEST(CsvReaderTest, QuotesCommasNewlinesAndCrlf) {
  ScratchDir dir;
  const std::string path = dir / "notes.csv";
  WriteFile(path,
            "\xEF\xBB\xBFid,specialty,text\r\n"
            "1,cardio,\"chest pain, resolved\"\r\n"
            "2,\"neuro\",\"said \"\"no\"\"\r\nthen left\"\r\n"
            "\r\n"
            "3,gi,plain text\r\n"
            "4,x,\"last\"");
  ReaderStats stats;
  const auto docs = ReadPath(path, {}, &stats);
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].id, "1");
  EXPECT_EQ(docs[0].text, "chest pain, resolved");
  EXPECT_EQ(docs[0].line, 2);
  EXPECT_EQ(docs[1].text, "said \"no\"\r\nthen left");
  EXPECT_EQ(docs[1].line, 3);
  EXPECT_EQ(docs[2].text, "plain text");
  EXPECT_EQ(docs[2].line, 6);  // the quoted line break and the blank line count
  EXPECT_EQ(docs[3].text, "last");
  EXPECT_EQ(stats.total.malformed_total(), 0);
  EXPECT_EQ(stats.total.bytes_read, static_cast<int64_t>(testing::ReadFile(path).size()));
}

TEST(CsvReaderTest, BrokenQuotingIsMalformed) {
  ScratchDir dir;
  const std::string s = kSecret;
  WriteFile(dir / "b.csv",
            "id,text\n"
            "1,\"good\"\n"
            "2,\"" +
                s +
                "\"junk\n"  // text after a closing quote
                "3,ab\"" +
                s +
                "\n"            // stray quote in an unquoted field
                "4,too,many\n"  // field count
                ",no id\n"      // empty id
                "6,\"fine again\"\n"
                "7,\"" +
                s + " never closed\nmore\n");
  ReaderStats stats;
  const auto docs = ReadPath(dir / "b.csv", {}, &stats);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].id, "6");
  const auto& m = stats.total.malformed;
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kBadQuoting)], 2);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kFieldCount)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kMissingId)], 1);
  EXPECT_EQ(m[static_cast<int>(MalformedReason::kUnterminatedQuote)], 1);
  const std::string message = FailMessage(dir / "b.csv");
  EXPECT_NE(message.find("b.csv:3"), std::string::npos) << message;
  EXPECT_NE(message.find("bad_quoting"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos);
}

TEST(CsvReaderTest, UnterminatedQuoteAtEofFailsWithItsStartLine) {
  ScratchDir dir;
  WriteFile(dir / "u.csv", "id,text\n1,ok\n2,\"" + std::string(kSecret) + "\n\nstill open");
  const std::string message = FailMessage(dir / "u.csv");
  EXPECT_NE(message.find("u.csv:3"), std::string::npos) << message;
  EXPECT_NE(message.find("unterminated_quote"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos);
}

TEST(CsvReaderTest, RunawayQuoteIsCappedAndReadingResumes) {
  ScratchDir dir;
  std::string csv = "id,text\n1,\"opened but never closed\n";
  for (int i = 0; i < 200; ++i) csv += "filler line without quotes\n";
  csv += "9,after\n";
  WriteFile(dir / "r.csv", csv);
  ReaderOptions options;
  options.max_line_bytes = 500;
  ReaderStats stats;
  const auto docs = ReadPath(dir / "r.csv", options, &stats);
  EXPECT_EQ(stats.total.malformed[static_cast<int>(MalformedReason::kLineTooLong)], 1);
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(docs.back().id, "9");  // the parser resynchronised at a line break
}

TEST(CsvReaderTest, MissingColumnIsAnInputError) {
  ScratchDir dir;
  WriteFile(dir / "c.csv", "id,body\n1,x\n");
  EXPECT_THROW(ReadPath(dir / "c.csv"), InputError);
  ReaderOptions options;
  options.text_field = "body";
  EXPECT_EQ(ReadPath(dir / "c.csv", options).size(), 1u);
}

TEST(TextFolderTest, RecursiveSortedWithRelativeIds) {
  ScratchDir dir;
  const std::string root = dir / "notes";
  WriteFile(root + "/b.txt", "note b");
  WriteFile(root + "/a/z.txt", "note a/z");
  WriteFile(root + "/a/y.TXT", "note a/y");
  WriteFile(root + "/c.txt", " \n ");  // blank: skipped and counted
  WriteFile(root + "/skip.csv", "id,text\n1,x\n");
  WriteGzip(root + "/d.txt.gz", "note d");
  ReaderStats stats;
  const auto docs = ReadPath(root, {}, &stats);
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a/y.TXT", "a/z.txt", "b.txt", "d.txt.gz"}));
  EXPECT_EQ(docs[3].text, "note d");
  EXPECT_EQ(stats.total.empty_skipped, 1);
  EXPECT_EQ(docs[1].source_index, 1);
}

TEST(GzipTest, EachFormatReadsTheSameCompressed) {
  ScratchDir dir;
  const std::string jsonl = testing::CorpusHead("medquad.jsonl", 50);
  const std::string csv = "id,text\n1,\"a, b\"\n2,\"multi\nline\"\n";
  WriteFile(dir / "p.jsonl", jsonl);
  WriteGzip(dir / "p.jsonl.gz", jsonl);
  WriteGzip(dir / "magic.jsonl", jsonl);  // gzip found by its magic, not the name
  WriteFile(dir / "p.csv", csv);
  WriteGzip(dir / "p.csv.gz", csv);
  auto texts = [](const std::vector<RawDocument>& docs) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& d : docs) out.emplace_back(d.id, d.text);
    return out;
  };
  const auto plain = texts(ReadPath(dir / "p.jsonl"));
  ASSERT_EQ(plain.size(), 50u);
  EXPECT_TRUE(texts(ReadPath(dir / "p.jsonl.gz")) == plain);  // no corpus text on failure
  EXPECT_TRUE(texts(ReadPath(dir / "magic.jsonl")) == plain);
  EXPECT_TRUE(ExpandInputs({dir / "magic.jsonl"})[0].gzip);
  EXPECT_EQ(texts(ReadPath(dir / "p.csv.gz")), texts(ReadPath(dir / "p.csv")));
}

TEST(GzipTest, TruncatedGzipIsAnInputError) {
  ScratchDir dir;
  WriteGzip(dir / "full.jsonl.gz", testing::CorpusHead("medquad.jsonl", 200));
  const std::string bytes = testing::ReadFile(dir / "full.jsonl.gz");
  WriteFile(dir / "cut.jsonl.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(ReadPath(dir / "cut.jsonl.gz"), InputError);
}

TEST(InputsTest, MissingInputIsDetectedBeforeReading) {
  ScratchDir dir;
  WriteFile(dir / "ok.jsonl", "{}\n");
  try {
    CheckInputsReadable({dir / "ok.jsonl", dir / "absent.jsonl"});
    FAIL() << "no error";
  } catch (const MissingInputError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.jsonl"), std::string::npos);
    EXPECT_EQ(e.exit_code(), 66);
  }
  EXPECT_THROW(ExpandInputs({dir / "absent.jsonl"}), MissingInputError);
  std::filesystem::create_directories(dir / "empty");
  EXPECT_THROW(CheckInputsReadable({dir / "empty"}), MissingInputError);
}

TEST(InputsTest, FormatFromExtensionOrForced) {
  ScratchDir dir;
  WriteFile(dir / "notes.data", "{\"id\": \"1\", \"text\": \"x\"}\n");
  EXPECT_THROW(ExpandInputs({dir / "notes.data"}), ConfigError);
  EXPECT_EQ(ExpandInputs({dir / "notes.data"}, InputFormat::kJsonl)[0].format, InputFormat::kJsonl);
  EXPECT_EQ(ParseInputFormat("csv"), InputFormat::kCsv);
  EXPECT_THROW(ParseInputFormat("xml"), ConfigError);
  ReaderOptions bad;
  bad.text_field = "";
  bad.max_doc_bytes = 0;
  EXPECT_THROW(ValidateReaderOptions(bad), ConfigError);
}

TEST(InputStatsTest, FlattenRoundTripsAndSums) {
  InputCounters a;
  a.records = 3;
  a.malformed[static_cast<int>(MalformedReason::kBadQuoting)] = 2;
  InputCounters b = InputCounters::Unflatten(a.Flatten());
  EXPECT_EQ(a, b);
  b += a;
  EXPECT_EQ(b.records, 6);
  EXPECT_EQ(b.malformed_total(), 4);
  const auto names = InputCounters::FieldNames();
  EXPECT_EQ(names[0], "records");
  EXPECT_EQ(names[5], "malformed.invalid_json");
  ReaderStats s;
  s.Add(2, a);
  const auto flat = s.FlattenPerSource(3);
  EXPECT_EQ(flat.size(), 3 * InputCounters::kFlatSize);
  EXPECT_EQ(flat[2 * InputCounters::kFlatSize], 3);
}

}  // namespace
}  // namespace ntm
