#include "pipeline/export/bow_export.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "libvi/base/errors.h"
#include "pipeline/io/shard.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::ErrorMessage;
using testing::PermissionBits;
using testing::ReadBytes;
using testing::TempDir;

constexpr uint64_t kVocabChecksum = 42;

struct Doc {
  std::string id;
  std::vector<int32_t> terms;
  std::vector<uint32_t> counts;
};

std::vector<Doc> RandomDocs(int n, int32_t vocab_size, std::mt19937_64& rng) {
  std::vector<Doc> docs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    docs[i].id = "doc-" + std::to_string(rng() % 1000000) + (i % 7 == 0 ? "-日本" : "");
    for (int32_t t = 0; t < vocab_size; ++t) {
      if (rng() % 8 == 0) {
        docs[i].terms.push_back(t);
        docs[i].counts.push_back(1 + static_cast<uint32_t>(rng() % 40));
      }
    }
  }
  if (n > 0) docs[0] = {"", {}, {}};  // empty id, empty document
  return docs;
}

void WriteShard(const std::filesystem::path& path, const std::vector<Doc>& docs, int32_t vocab_size,
                uint64_t vocab_checksum = kVocabChecksum) {
  ShardWriter writer(path, vocab_size, vocab_checksum);
  for (const Doc& d : docs) writer.Add(d.id, d.terms, d.counts);
  writer.Finish();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(BowExportTest, ExportReadsBackAsTheCorpusInShardOrder) {
  TempDir dir;
  std::mt19937_64 rng(11);
  const std::vector<std::string> vocab = {"▁pain", "mg", "b.i.d.", "<num>", "chest", "日本"};
  const int32_t v = static_cast<int32_t>(vocab.size());
  const std::vector<std::vector<Doc>> shards = {RandomDocs(40, v, rng), {}, RandomDocs(25, v, rng)};
  std::vector<std::filesystem::path> paths;
  for (size_t s = 0; s < shards.size(); ++s) {
    paths.push_back(dir / ShardFileName(static_cast<int64_t>(s)));
    WriteShard(paths.back(), shards[s], v);
  }
  const auto out = dir / "export" / "bow";
  const BowExportSummary summary = ExportBow(paths, vocab, out, kVocabChecksum);

  std::vector<Doc> all;
  for (const auto& s : shards) all.insert(all.end(), s.begin(), s.end());
  const MatrixMarketMatrix m = ReadMatrixMarket(out / "bow.mtx");
  EXPECT_EQ(m.rows, 65);
  EXPECT_EQ(m.cols, v);
  EXPECT_EQ(summary.documents, 65);
  EXPECT_EQ(summary.terms, v);
  EXPECT_EQ(summary.entries, static_cast<int64_t>(m.value.size()));
  size_t e = 0;
  for (size_t d = 0; d < all.size(); ++d) {
    for (size_t i = 0; i < all[d].terms.size(); ++i, ++e) {
      ASSERT_LT(e, m.value.size());
      EXPECT_EQ(m.row[e], static_cast<int64_t>(d) + 1);
      EXPECT_EQ(m.col[e], all[d].terms[i] + 1);
      EXPECT_EQ(m.value[e], all[d].counts[i]);
    }
  }
  EXPECT_EQ(e, m.value.size());

  std::vector<std::string> ids;
  for (const Doc& d : all) ids.push_back(d.id);
  EXPECT_EQ(Lines(ReadBytes(out / "doc_ids.txt")), ids);
  EXPECT_EQ(Lines(ReadBytes(out / "vocab.txt")), vocab);
  EXPECT_TRUE(ReadBytes(out / "bow.mtx").starts_with(std::string(kMatrixMarketBanner) + "\n"));
  for (const char* name : {"bow.mtx", "vocab.txt", "doc_ids.txt"}) {
    EXPECT_EQ(PermissionBits(out / name), 0640u) << name;
  }
  EXPECT_EQ(testing::ListNames(out),
            (std::vector<std::string>{"bow.mtx", "doc_ids.txt", "vocab.txt"}));
}

TEST(BowExportTest, NoShardsGivesAnEmptyMatrix) {
  TempDir dir;
  const std::vector<std::string> vocab = {"a", "b"};
  ExportBow({}, vocab, dir / "out");
  const MatrixMarketMatrix m = ReadMatrixMarket(dir / "out" / "bow.mtx");
  EXPECT_EQ(m.rows, 0);
  EXPECT_EQ(m.cols, 2);
  EXPECT_TRUE(m.value.empty());
  EXPECT_EQ(ReadBytes(dir / "out" / "doc_ids.txt"), "");
}

TEST(BowExportTest, ShardsOfAnotherVocabularyAreRejectedAndNothingIsWritten) {
  TempDir dir;
  std::mt19937_64 rng(3);
  const std::vector<std::string> vocab = {"a", "b", "c"};
  WriteShard(dir / "shard-00000.bow", RandomDocs(5, 3, rng), 3);
  WriteShard(dir / "shard-00001.bow", RandomDocs(5, 3, rng), 3, kVocabChecksum + 1);
  WriteShard(dir / "shard-00002.bow", RandomDocs(5, 4, rng), 4);
  const std::vector<std::filesystem::path> mixed = {dir / "shard-00000.bow",
                                                    dir / "shard-00001.bow"};
  std::string message = ErrorMessage<InputError>([&] { ExportBow(mixed, vocab, dir / "out"); });
  EXPECT_NE(message.find("shard-00001.bow: built with a different vocabulary"), std::string::npos)
      << message;
  EXPECT_TRUE(testing::ListNames(dir / "out").empty());

  const std::vector<std::filesystem::path> wrong_size = {dir / "shard-00002.bow"};
  message = ErrorMessage<InputError>([&] { ExportBow(wrong_size, vocab, dir / "out"); });
  EXPECT_NE(message.find("shard-00002.bow: vocabulary size 4, but the vocabulary has 3 terms"),
            std::string::npos)
      << message;
}

TEST(MatrixMarketTest, AcceptsCommentsFlexibleSpacingAndCaseInTheBanner) {
  const MatrixMarketMatrix m = ParseMatrixMarket(
      "%%MatrixMarket MATRIX Coordinate integer general\n% comment\n%\n3 4 2\n1 1 5\n 3\t4  -7 \n",
      "x.mtx");
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 4);
  EXPECT_EQ(m.row, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(m.col, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(m.value, (std::vector<int64_t>{5, -7}));
}

TEST(MatrixMarketTest, MalformedFilesAreRejectedWithFileAndLine) {
  const std::string b = std::string(kMatrixMarketBanner) + "\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "x.mtx:1: empty file"},
      {"hello\n", "x.mtx:1: missing %%MatrixMarket banner"},
      {"%%MatrixMarket matrix array real general\n2 2\n", "x.mtx:1: unsupported MatrixMarket type"},
      {"%%MatrixMarket matrix coordinate real general\n", "x.mtx:1: unsupported"},
      {"%%MatrixMarket matrix coordinate integer general extra\n", "x.mtx:1: unsupported"},
      {b, "x.mtx:2: unexpected end of file"},
      {b + "% only comments\n", "x.mtx:3: unexpected end of file"},
      {b + "2 2\n", "x.mtx:2: expected the size line"},
      {b + "2 2 1 1\n", "x.mtx:2: expected the size line"},
      {b + "2 x 1\n", "x.mtx:2: columns is not an integer"},
      {b + "-1 2 0\n", "x.mtx:2: negative size"},
      {b + "2 2 1\n1 2\n", "x.mtx:3: expected 3 numbers (row column value)"},
      {b + "2 2 1\n1 1 1 7\n", "x.mtx:3: expected 3 numbers"},
      {b + "2 2 1\n\n", "x.mtx:3: expected 3 numbers"},
      {b + "2 2 1\n3 1 5\n", "x.mtx:3: row out of range"},
      {b + "2 2 1\n0 1 5\n", "x.mtx:3: row out of range"},
      {b + "2 2 1\n1 0 5\n", "x.mtx:3: column out of range"},
      {b + "2 2 1\n1 3 5\n", "x.mtx:3: column out of range"},
      {b + "2 2 1\n1 1 5.5\n", "x.mtx:3: value is not an integer"},
      {b + "2 2 1\n1 1 +5\n", "x.mtx:3: value is not an integer"},
      {b + "2 2 1\n1 1 99999999999999999999\n", "x.mtx:3: value is not an integer"},
      {b + "2 2 1\n% late comment\n", "x.mtx:3: row is not an integer"},
      {b + "2 2 3\n1 1 1\n", "x.mtx:4: expected 3 entries, found 1 (truncated?)"},
      {b + "2 2 1\n1 1 1\n2 2 1\n", "x.mtx:4: more entries than the 1 declared"},
      {b + "2 2 1\n1 1 1", "x.mtx:3: no line break at end of file (truncated?)"},
      {b + "2 2 1\r\n1 1 1\r\n", "x.mtx:2: entries is not an integer"},
  };
  for (const auto& [input, expected] : cases) {
    const std::string& text = input;  // clang 14 cannot capture a structured binding
    const std::string message = ErrorMessage<InputError>([&] { ParseMatrixMarket(text, "x.mtx"); });
    EXPECT_TRUE(message.starts_with(expected)) << "got: " << message << "\nwant: " << expected;
  }
}

TEST(MatrixMarketTest, ErrorsNeverEchoTheLine) {
  const std::string text = std::string(kMatrixMarketBanner) + "\n2 2 1\n1 1 secretword\n";
  const std::string message = ErrorMessage<InputError>([&] { ParseMatrixMarket(text, "x.mtx"); });
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find("secretword"), std::string::npos) << message;
}

}  // namespace
}  // namespace ntm
