// SentencePiece: reproducible training, loading from bytes, and the encode
// cache against SentencePiece itself.
#include "tokenizer/piece_model.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tests/tokenizer/test_util.h"

namespace ntm {
namespace {

// Training sentences of the first `n` MTSamples notes (built once).
const std::vector<std::string>& Sample() {
  static const std::vector<std::string> sentences =
      testing::TrainingSentences("mtsamples.jsonl", 200);
  return sentences;
}

PieceTrainerOptions SmallModel(const std::string& type = "unigram") {
  PieceTrainerOptions options;
  options.model_type = type;
  options.vocab_size = 600;
  return options;
}

// The trained default model (built once: training takes about a second).
const std::string& UnigramModel() {
  static const std::string model = TrainPieceModel(Sample(), SmallModel());
  return model;
}

TEST(PieceModelTest, UnigramTrainingIsReproducible) {
  const std::string again = TrainPieceModel(Sample(), SmallModel());
  EXPECT_EQ(again, UnigramModel());  // byte-identical
  EXPECT_GT(UnigramModel().size(), 1000u);
}

TEST(PieceModelTest, BpeTrainingIsReproducible) {
  const std::string a = TrainPieceModel(Sample(), SmallModel("bpe"));
  const std::string b = TrainPieceModel(Sample(), SmallModel("bpe"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, UnigramModel());
}

TEST(PieceModelTest, LoadsFromBytesAndKeepsClassTokensWhole) {
  PieceModel model(UnigramModel());
  EXPECT_EQ(model.serialized(), UnigramModel());
  EXPECT_LE(model.vocab_size(), 600);
  std::vector<std::string_view> pieces;
  model.EncodeWord("<num>", pieces);
  model.EncodeWord("<measure>", pieces);
  model.EncodeWord("<deid>", pieces);
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"<num>", "<measure>", "<deid>"}));
  EXPECT_THROW(PieceModel("not a model"), InputError);
}

TEST(PieceModelTest, CachedEncodingEqualsSentencePiece) {
  PieceModelOptions tiny;
  tiny.cache_capacity = 64;  // forces many clears
  PieceModel cached(UnigramModel()), small_cache(UnigramModel(), tiny);
  std::vector<std::string_view> a, b;
  size_t words = 0;
  for (const std::string& sentence : Sample()) {
    for (size_t start = 0; start < sentence.size();) {
      size_t end = sentence.find(' ', start);
      if (end == std::string::npos) end = sentence.size();
      const std::string_view word(sentence.data() + start, end - start);
      start = end + 1;
      a.clear();
      b.clear();
      cached.EncodeWord(word, a);
      small_cache.EncodeWord(word, b);
      const auto reference = cached.EncodeUncached(word);
      // ASSERT_TRUE, not ASSERT_EQ: a failure must not print corpus words.
      ASSERT_TRUE(std::vector<std::string>(a.begin(), a.end()) == reference) << "word " << words;
      ASSERT_TRUE(b == a) << "word " << words;
      ++words;
    }
  }
  EXPECT_GT(words, 20000u);
  EXPECT_LT(cached.cache_stats().misses, cached.cache_stats().lookups / 5);  // mostly hits
  EXPECT_GT(small_cache.cache_stats().clears, 10);
}

TEST(PieceModelTest, UnknownCharactersAreDroppedOrKept) {
  PieceModel drop(UnigramModel());
  PieceModelOptions keep_options;
  keep_options.drop_unknown = false;
  PieceModel keep(UnigramModel(), keep_options);
  std::vector<std::string_view> dropped, kept;
  drop.EncodeWord("\xE4\xB8\xAD", dropped);  // a CJK character absent from the sample
  keep.EncodeWord("\xE4\xB8\xAD", kept);
  EXPECT_TRUE(std::find(dropped.begin(), dropped.end(), "<unk>") == dropped.end());
  EXPECT_TRUE(std::find(kept.begin(), kept.end(), "<unk>") != kept.end());
  EXPECT_EQ(std::vector<std::string>(kept.begin(), kept.end()),
            keep.EncodeUncached("\xE4\xB8\xAD"));
}

TEST(PieceModelTest, CloneHasItsOwnCache) {
  PieceModel model(UnigramModel());
  std::vector<std::string_view> pieces;
  model.EncodeWord("cardiology", pieces);
  PieceModel clone = model.Clone();
  EXPECT_EQ(clone.cache_stats().lookups, 0);
  std::vector<std::string_view> again;
  clone.EncodeWord("cardiology", again);
  EXPECT_EQ(again, pieces);
}

TEST(PieceModelTest, InvalidOptionsAreRejected) {
  PieceTrainerOptions bad;
  bad.model_type = "word";
  bad.vocab_size = 2;
  try {
    ValidatePieceTrainerOptions(bad);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model_type"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("vocab_size"), std::string::npos);
  }
}

}  // namespace
}  // namespace ntm
