// The facade: words and pieces of raw text, fast paths against ICU end to end,
// and counters.
#include "tokenizer/document_tokenizer.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tests/tokenizer/test_util.h"

namespace ntm {
namespace {

using Words = std::vector<std::string>;

Words WordsOf(DocumentTokenizer& tokenizer, std::string_view text) {
  const auto words = tokenizer.Words(text);
  return Words(words.begin(), words.end());
}

TEST(DocumentTokenizerTest, NormalizesThenSegments) {
  DocumentTokenizer tokenizer;
  EXPECT_EQ(WordsOf(tokenizer,
                    "The PATIENT took Aspirin 81 MG P.O. daily for \xEF\xAC\x81"
                    "brosis"),
            (Words{"took", "aspirin", "<measure>", "p.o.", "daily", "fibrosis"}));
  EXPECT_EQ(WordsOf(tokenizer, "Seen [**Name**] on January 5, 2010 for FOLLOW-UP"),
            (Words{"seen", "<deid>", "<deid>", "follow-up"}));
  const TokenizerStats stats = tokenizer.stats();
  EXPECT_EQ(stats.normalizer.documents, 2);
  EXPECT_EQ(stats.segmenter.deid, 2);
}

TEST(DocumentTokenizerTest, FastPathsEqualIcuEndToEnd) {
  TokenizerOptions slow;
  slow.normalize.ascii_fast_path = false;
  slow.segment.ascii_fast_path = false;
  DocumentTokenizer fast_tokenizer, icu_tokenizer(slow);
  int docs = 0;
  for (const char* corpus : {"mtsamples.jsonl", "medquad.jsonl"}) {
    for (const std::string& text : testing::CorpusTexts(corpus, 300)) {
      const auto a = fast_tokenizer.Words(text);
      const Words fast(a.begin(), a.end());
      const auto b = icu_tokenizer.Words(text);
      // ASSERT_TRUE, not ASSERT_EQ: a failure must not print corpus text.
      ASSERT_TRUE(fast == Words(b.begin(), b.end())) << corpus << " document " << docs;
      ++docs;
    }
  }
  EXPECT_EQ(icu_tokenizer.stats().segmenter.ascii_documents, 0);
  EXPECT_GT(fast_tokenizer.stats().segmenter.ascii_documents, 550);
}

TEST(DocumentTokenizerTest, PiecesWithATrainedModel) {
  DocumentTokenizer tokenizer;
  EXPECT_THROW(tokenizer.Pieces("text"), Error);
  std::vector<std::string> sample;
  std::string sentence;
  for (const std::string& text : testing::CorpusTexts("medquad.jsonl", 150)) {
    tokenizer.TrainingSentence(text, sentence);
    EXPECT_EQ(sentence.find("  "), std::string::npos);
    sample.push_back(sentence);
  }
  PieceTrainerOptions options;
  options.vocab_size = 400;
  tokenizer.SetPieceModel(TrainPieceModel(sample, options));
  ASSERT_TRUE(tokenizer.has_piece_model());
  const auto pieces = tokenizer.Pieces("Leukemia treatment: 10 mg daily");
  std::string joined;
  for (const auto p : pieces) joined += std::string(p) + " ";
  // Pieces of each word start with the SentencePiece word marker; class tokens stay whole.
  EXPECT_EQ(joined.rfind("\xE2\x96\x81", 0), 0u) << joined;
  EXPECT_NE(joined.find("<measure>"), std::string::npos) << joined;
  EXPECT_EQ(tokenizer.stats().pieces, static_cast<int64_t>(pieces.size()));
}

TEST(DocumentTokenizerTest, StatsAreSummable) {
  DocumentTokenizer a, b;
  a.Words("one note here");
  b.Words("another 10 mg note");
  TokenizerStats sum = a.stats();
  sum += b.stats();
  EXPECT_EQ(sum.normalizer.documents, 2);
  EXPECT_EQ(sum.segmenter.measures, 1);
  EXPECT_EQ(sum.segmenter.words, a.stats().segmenter.words + b.stats().segmenter.words);
  const auto flat = sum.Flatten();
  EXPECT_EQ(TokenizerStats::Unflatten(flat).Flatten(), flat);
  const auto names = TokenizerStats::FieldNames();
  EXPECT_EQ(names.front(), "normalizer.documents");
  EXPECT_EQ(names.back(), "pieces");
  EXPECT_EQ(flat[0], 2);
}

TEST(DocumentTokenizerTest, InvalidOptionsAreConfigErrors) {
  TokenizerOptions bad;
  bad.segment.min_token_length = -1;
  bad.segment.deid_token = "two words";
  try {
    DocumentTokenizer tokenizer(bad);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("min_token_length"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("class tokens"), std::string::npos);
  }
  EXPECT_EQ(ParseNumberMode("drop"), NumberMode::kDrop);
  EXPECT_THROW(ParseNumberMode("zero"), ConfigError);
}

}  // namespace
}  // namespace ntm
