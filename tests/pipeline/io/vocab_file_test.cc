#include "pipeline/io/vocab_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libvi/base/errors.h"
#include "pipeline/io/checksum.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::ErrorMessage;
using testing::PermissionBits;
using testing::ReadBytes;
using testing::TempDir;

VocabFile SampleVocab() {
  VocabFile v;
  v.pieces = {"▁patient", "mg", "b.i.d.", "日本", "ß", "<num>", "follow-up"};
  v.df = {120, 80, 5, 1, 0, 300, 18446744073709551615ull};
  v.cf = {400, 95, 7, 1, 0, 9000, 18446744073709551615ull};
  return v;
}

TEST(VocabFileTest, RoundTripKeepsPiecesFrequenciesAndChecksum) {
  TempDir dir;
  const VocabFile vocab = SampleVocab();
  const uint64_t written = WriteVocabFile(dir / "vocab.tsv", vocab);
  EXPECT_EQ(written, ChecksumFile(dir / "vocab.tsv"));
  EXPECT_EQ(PermissionBits(dir / "vocab.tsv"), 0640u);

  const VocabFile read = ReadVocabFile(dir / "vocab.tsv");
  EXPECT_EQ(read.pieces, vocab.pieces);
  EXPECT_EQ(read.df, vocab.df);
  EXPECT_EQ(read.cf, vocab.cf);
  EXPECT_EQ(read.checksum, written);
  EXPECT_EQ(ChecksumBytes(FormatVocabFile(vocab)), written);
}

TEST(VocabFileTest, FormatIsHeaderThenOneTabSeparatedLinePerId) {
  VocabFile v;
  v.pieces = {"a", "▁b"};
  v.df = {3, 1};
  v.cf = {10, 2};
  EXPECT_EQ(FormatVocabFile(v), "id\tpiece\tdf\tcf\n0\ta\t3\t10\n1\t▁b\t1\t2\n");
  EXPECT_EQ(FormatVocabFile(VocabFile{}), "id\tpiece\tdf\tcf\n");
  EXPECT_TRUE(ParseVocabFile("id\tpiece\tdf\tcf\n", "v").pieces.empty());
}

TEST(VocabFileTest, FormatRejectsPiecesThatWouldBreakTheFile) {
  for (const std::string bad : {"a\tb", "a\nb", "a\rb", ""}) {
    VocabFile v;
    v.pieces = {"ok", bad};
    v.df = v.cf = {1, 1};
    EXPECT_THROW(FormatVocabFile(v), std::invalid_argument);
  }
  VocabFile uneven = SampleVocab();
  uneven.cf.pop_back();
  EXPECT_THROW(FormatVocabFile(uneven), std::invalid_argument);
}

TEST(VocabFileTest, MalformedFilesAreRejectedWithFileAndLine) {
  const std::string h = "id\tpiece\tdf\tcf\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "vocab.tsv: empty file"},
      {"id\tpiece\tdf\n0\ta\t1\t1\n", "vocab.tsv:1: expected the header line"},
      {h + "0\ta\t1\n",
       "vocab.tsv:2: expected 4 tab-separated fields (id, piece, df, cf), found 3"},
      {h + "0\ta\t1\t1\t9\n",
       "vocab.tsv:2: expected 4 tab-separated fields (id, piece, df, cf), "
       "found more"},
      {h + "0\ta\t1\t1\n2\tb\t1\t1\n", "vocab.tsv:3: id 2, expected 1 (ids must be contiguous"},
      {h + "1\ta\t1\t1\n", "vocab.tsv:2: id 1, expected 0"},
      {h + "x\ta\t1\t1\n", "vocab.tsv:2: id is not a non-negative integer"},
      {h + "0\ta\t-1\t1\n", "vocab.tsv:2: df is not a non-negative integer"},
      {h + "0\ta\t1\t1x\n", "vocab.tsv:2: cf is not a non-negative integer"},
      {h + "0\ta\t1\t\n", "vocab.tsv:2: cf is not a non-negative integer"},
      {h + "0\ta\t1\t18446744073709551616\n", "vocab.tsv:2: cf is not a non-negative integer"},
      {h + "0\t\t1\t1\n", "vocab.tsv:2: empty piece"},
      {h + "0\ta\t1\t1\n\n", "vocab.tsv:3: expected 4 tab-separated fields"},
      {h + "0\ta\t1\t1\n1\tb\t1\t1", "vocab.tsv:3: no line break at end of file (truncated?)"},
      {h + "0\ta\t1\t1\r\n", "vocab.tsv:2: CRLF line ending"},
  };
  for (const auto& [input, expected] : cases) {
    const std::string& text = input;  // clang 14 cannot capture a structured binding
    const std::string message =
        ErrorMessage<InputError>([&] { ParseVocabFile(text, "vocab.tsv"); });
    EXPECT_TRUE(message.starts_with(expected)) << "got: " << message << "\nwant: " << expected;
  }
}

TEST(VocabFileTest, ReadableWordsAreAFifthColumnThatRoundTrips) {
  VocabFile v;
  v.pieces = {"▁diagnosi", "ly"};
  v.df = {3, 1};
  v.cf = {10, 2};
  v.words = {"diagnosis", "-ly"};
  const std::string text = FormatVocabFile(v);
  EXPECT_EQ(text, "id\tpiece\tdf\tcf\tword\n0\t▁diagnosi\t3\t10\tdiagnosis\n1\tly\t1\t2\t-ly\n");
  const VocabFile read = ParseVocabFile(text, "v.tsv");
  EXPECT_EQ(read.pieces, v.pieces);
  EXPECT_EQ(read.words, v.words);
  EXPECT_EQ(read.cf, v.cf);
  EXPECT_TRUE(ParseVocabFile("id\tpiece\tdf\tcf\n0\ta\t1\t1\n", "v").words.empty());
}

TEST(VocabFileTest, ReadableWordsAreCheckedLikePieces) {
  VocabFile v;
  v.pieces = {"a", "b"};
  v.df = v.cf = {1, 1};
  v.words = {"a"};
  EXPECT_THROW(FormatVocabFile(v), std::invalid_argument);  // one word for two pieces
  for (const std::string bad : {"x\ty", "x\ny", ""}) {
    v.words = {"a", bad};
    EXPECT_THROW(FormatVocabFile(v), std::invalid_argument);
  }
  const std::string h = "id\tpiece\tdf\tcf\tword\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {h + "0\ta\t1\t1\n",
       "v.tsv:2: expected 5 tab-separated fields (id, piece, df, cf, word), found 4"},
      {h + "0\ta\t1\t1\tw\tx\n", "v.tsv:2: expected 5 tab-separated fields"},
      {h + "0\ta\t1\t1\t\n", "v.tsv:2: empty word"},
      {h + "0\ta\t1\t1\tw\r\n", "v.tsv:2: CRLF line ending"},
  };
  for (const auto& [input, expected] : cases) {
    const std::string& text = input;
    const std::string message = ErrorMessage<InputError>([&] { ParseVocabFile(text, "v.tsv"); });
    EXPECT_TRUE(message.starts_with(expected)) << "got: " << message << "\nwant: " << expected;
  }
}

TEST(VocabFileTest, DistinctTermNamesSkipsRepeatsAndStopsAtN) {
  const std::vector<std::string> names = {"medlineplus", "-ly", "medlineplus", "gene", "cell"};
  const std::vector<int32_t> by_weight = {0, 2, 1, 2, 3, 4};
  EXPECT_EQ(DistinctTermNames(by_weight, names, 3),
            (std::vector<std::string>{"medlineplus", "-ly", "gene"}));
  EXPECT_EQ(DistinctTermNames(std::vector<int32_t>{2, 0}, names, 5),
            std::vector<std::string>{"medlineplus"});
}

TEST(VocabFileTest, RepeatedPieceNamesBothLinesButNotThePiece) {
  const std::string text = "id\tpiece\tdf\tcf\n0\tsmith\t1\t1\n1\tx\t1\t1\n2\tsmith\t2\t2\n";
  const std::string message = ErrorMessage<InputError>([&] { ParseVocabFile(text, "v.tsv"); });
  EXPECT_EQ(message, "v.tsv:4: duplicate piece (first on line 2)");
}

TEST(VocabFileTest, ReadErrorsNameThePath) {
  TempDir dir;
  EXPECT_THROW(ReadVocabFile(dir / "vocab.tsv"), MissingInputError);
  testing::WriteBytes(dir / "vocab.tsv", "id\tpiece\tdf\tcf\n0\ta\t1\n");
  const std::string message = ErrorMessage<InputError>([&] { ReadVocabFile(dir / "vocab.tsv"); });
  EXPECT_TRUE(message.starts_with((dir / "vocab.tsv").string() + ":2: ")) << message;
}

}  // namespace
}  // namespace ntm
