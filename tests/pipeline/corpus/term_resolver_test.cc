// TermResolver: vocabulary words keep their id, words outside it are mapped
// through pieces (vocab.oov "pieces") or dropped ("drop"), and every token is
// counted by what became of it, the same way whichever stage asks.
#include "pipeline/corpus/term_resolver.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tokenizer/document_tokenizer.h"

namespace ntm {
namespace {

// A SentencePiece model trained on the first 300 MTSamples notes.
const std::string& Model() {
  static const std::string model = [] {
    std::ifstream in(std::string(NTM_SHARED_DATA_DIR) + "/mtsamples.jsonl");
    DocumentTokenizer tokenizer;
    std::vector<std::string> sentences;
    std::string line, sentence;
    for (int i = 0; i < 300 && std::getline(in, line); ++i) {
      tokenizer.TrainingSentence(line, sentence);  // the JSON syntax is noise enough
      sentences.push_back(sentence);
    }
    PieceTrainerOptions options;
    options.vocab_size = 2000;
    return TrainPieceModel(sentences, options);
  }();
  return model;
}

const Vocabulary& Vocab() {
  static const Vocabulary vocabulary =
      Vocabulary::FromTerms({{"hypertension", 9, 9}, {"pain", 8, 8}, {"fibrillation", 7, 7}});
  return vocabulary;
}

TEST(TermResolverTest, MapsThroughPiecesOrDrops) {
  TermResolver pieces(Vocab(), Model());
  TermResolver drop(Vocab(), "");
  TermFate fate;
  EXPECT_EQ(pieces.Resolve("pain", &fate), 1);
  EXPECT_EQ(fate, TermFate::kInVocabulary);
  EXPECT_EQ(pieces.Resolve("hypertenson", &fate), 0);
  EXPECT_EQ(fate, TermFate::kMapped);
  EXPECT_EQ(pieces.Resolve("hypertenson", &fate), 0);  // again, from the cache
  EXPECT_EQ(pieces.Resolve("qwertyuiop", &fate), -1);
  EXPECT_EQ(fate, TermFate::kDropped);
  EXPECT_EQ(drop.Resolve("hypertenson", &fate), -1);
  EXPECT_EQ(fate, TermFate::kDropped);
  EXPECT_EQ(drop.Resolve("pain", &fate), 1);
}

TEST(TermResolverTest, CountsEveryTokenByFate) {
  TermResolver resolver(Vocab(), Model());
  const std::vector<std::string_view> words = {"pain", "hypertenson", "pain", "qwertyuiop"};
  std::vector<int32_t> ids;
  resolver.ResolveDocument(words, ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 0, 1}));
  const TermTokenCounts& c = resolver.counts();
  EXPECT_EQ(c.in_vocabulary, 2);
  EXPECT_EQ(c.mapped, 1);
  EXPECT_EQ(c.dropped, 1);
  EXPECT_DOUBLE_EQ(c.OovShare(), 0.5);
  EXPECT_EQ(c.Json()["total"], 4);
  EXPECT_EQ(c.Json()["mapped_through_pieces"], 1);
  EXPECT_EQ(c.Summary(),
            "50.00 % of 4 term tokens out of vocabulary (mapped through pieces: 25.00 %, "
            "dropped: 25.00 %)");
  EXPECT_EQ(TermTokenCounts::Unflatten(c.Flatten()).total(), 4);
}

TEST(TermResolverTest, ConfigChoosesTheRule) {
  Config config;
  EXPECT_TRUE(MapsOovThroughPieces(config));  // the default: words mode, oov pieces
  config.vocab.oov = "drop";
  EXPECT_FALSE(MapsOovThroughPieces(config));
  config.vocab.oov = "pieces";
  config.vocab.mode = "pieces";  // pieces mode has no words to map
  EXPECT_FALSE(MapsOovThroughPieces(config));
  EXPECT_EQ(TermTokenCounts{}.OovShare(), 0.0);
}

}  // namespace
}  // namespace ntm
