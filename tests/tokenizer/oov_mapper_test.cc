// Words outside the vocabulary mapped through SentencePiece: real misspellings
// and inflections land on their vocabulary word, unrelated words (drug names,
// other diseases, words SentencePiece keeps whole) are not mapped. The piece
// model and the vocabulary are built as `ntm tokenize` builds them at the
// defaults, from the first 2,000 MTSamples notes.
#include "tokenizer/oov_mapper.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tests/tokenizer/test_util.h"

namespace ntm {
namespace {

constexpr size_t kNotes = 2000;

const std::string& Model() {
  static const std::string model =
      TrainPieceModel(testing::TrainingSentences("mtsamples.jsonl", kNotes), PieceTrainerOptions{});
  return model;
}

const Vocabulary& Vocab() {
  static const Vocabulary vocabulary = [] {
    DocumentTokenizer tokenizer;
    TermCounter counter;
    for (const std::string& text : testing::CorpusTexts("mtsamples.jsonl", kNotes)) {
      counter.AddDocument(tokenizer.Words(text));
    }
    return Vocabulary::Build(counter, PruneOptions{});
  }();
  return vocabulary;
}

// What `word` maps to ("" when not mapped); fails when it is in the vocabulary.
std::string MapsTo(const std::string& word) {
  EXPECT_LT(Vocab().Lookup(word), 0) << word << " is in the vocabulary: the case tests nothing";
  OovMapper mapper(Model(), Vocab());
  const int32_t id = mapper.Map(word);
  return id < 0 ? "" : Vocab().terms()[id].term;
}

TEST(OovMapperTest, MisspellingsLandOnTheirWord) {
  EXPECT_EQ(MapsTo("hypertenson"), "hypertension");
  EXPECT_EQ(MapsTo("cholecystitus"), "cholecystitis");
  EXPECT_EQ(MapsTo("gentamycin"), "gentamicin");
  EXPECT_EQ(MapsTo("fascitis"), "fasciitis");
  EXPECT_EQ(MapsTo("metforman"), "metformin");
}

TEST(OovMapperTest, InflectionsLandOnTheirWord) {
  EXPECT_EQ(MapsTo("fibrillations"), "fibrillation");
  EXPECT_EQ(MapsTo("angioplasties"), "angioplasty");
  EXPECT_EQ(MapsTo("coronaries"), "coronary");
  EXPECT_EQ(MapsTo("sublingually"), "sublingual");
  EXPECT_EQ(MapsTo("troponins"), "troponin");
}

TEST(OovMapperTest, UnrelatedWordsAreNotMapped) {
  EXPECT_EQ(MapsTo("simplex"), "");        // "simple" + a letter
  EXPECT_EQ(MapsTo("prograf"), "");        // a drug name spelt letter by letter in pieces
  EXPECT_EQ(MapsTo("integrilin"), "");     // a drug name, not "integrity"
  EXPECT_EQ(MapsTo("endometritis"), "");   // another disease than endometriosis
  EXPECT_EQ(MapsTo("spondylolysis"), "");  // ... than spondylosis
  EXPECT_EQ(MapsTo("qwertyuiop"), "");     // nothing like any word
}

TEST(OovMapperTest, WordsKeptWholeAreNeverMapped) {
  // "normal" is one piece of the model: a word of its own, even next to its
  // inflections in a vocabulary that lacks it.
  std::vector<std::string_view> pieces;
  PieceModel(Model()).EncodeWord("normal", pieces);
  ASSERT_EQ(pieces.size(), 1u);
  const Vocabulary vocabulary = Vocabulary::FromTerms({{"normally", 1, 1}, {"normals", 1, 1}});
  OovMapper mapper(Model(), vocabulary);
  EXPECT_EQ(mapper.Map("normal"), -1);
  EXPECT_EQ(mapper.Map("<num>"), -1);  // a class token is one piece too
}

TEST(OovMapperTest, EditDistanceCountsTranspositionsOnce) {
  EXPECT_EQ(WordEditDistance("hypertension", "hypertension"), 0);
  EXPECT_EQ(WordEditDistance("hypertenson", "hypertension"), 1);
  EXPECT_EQ(WordEditDistance("hpyertension", "hypertension"), 1);
  EXPECT_EQ(WordEditDistance("", "abc"), 3);
  EXPECT_EQ(WordEditDistance("kitten", "sitting"), 3);
}

TEST(OovMapperTest, RejectsBadOptions) {
  OovMapperOptions bad;
  bad.min_stem_share = 0;
  bad.max_edits = -1;
  EXPECT_THROW(ValidateOovMapperOptions(bad), ConfigError);
  EXPECT_THROW(OovMapper("not a model", Vocab()), InputError);
}

}  // namespace
}  // namespace ntm
