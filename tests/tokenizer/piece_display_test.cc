// Readable forms of SentencePiece pieces: what a report may show for a piece,
// checked as properties of a model trained on real notes (MTSamples).
#include "tokenizer/piece_display.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <unordered_map>

#include "tests/tokenizer/test_util.h"
#include "tokenizer/piece_model.h"

namespace ntm {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";
// Planted in two documents only: a stand-in for a patient's name.
constexpr std::string_view kRareWord = "quorvandelbrix";

// Training sentences of 300 MTSamples notes, the rare word planted in two.
const std::vector<std::string>& Sentences() {
  static const std::vector<std::string> sentences = [] {
    std::vector<std::string> out = testing::TrainingSentences("mtsamples.jsonl", 300);
    for (size_t planted : {3, 7}) {
      out[planted] += ' ';
      out[planted].append(kRareWord);
    }
    return out;
  }();
  return sentences;
}

PieceModel& Model() {
  static PieceModel model = [] {
    PieceTrainerOptions options;
    options.vocab_size = 800;
    return PieceModel(TrainPieceModel(Sentences(), options));
  }();
  return model;
}

std::unordered_map<std::string, int64_t> DocumentsPerWord() {
  std::unordered_map<std::string, int64_t> counts;
  for (const std::string& sentence : Sentences()) {
    std::set<std::string> words;
    for (size_t b = 0; b < sentence.size();) {
      const size_t e = std::min(sentence.find(' ', b), sentence.size());
      if (e > b) words.insert(sentence.substr(b, e - b));
      b = e + 1;
    }
    for (const auto& w : words) ++counts[w];
  }
  return counts;
}

std::string Text(std::string_view piece) {
  return std::string(piece.starts_with(kWordStart) ? piece.substr(kWordStart.size()) : piece);
}

std::vector<std::string> Encode(const std::string& word) {
  std::vector<std::string_view> views;
  Model().EncodeWord(word, views);
  return {views.begin(), views.end()};
}

const PieceDisplayOptions kOptions{5, 0.5, 0.2};

TEST(PieceDisplayTest, OnlyWordsInEnoughDocumentsAreShown) {
  const PieceDisplayTable table = BuildPieceDisplayTable(Sentences(), Model(), kOptions);
  const auto documents = DocumentsPerWord();
  ASSERT_GT(table.size(), 300u);
  int longer_words = 0;
  for (const auto& [piece, shown] : table) {
    EXPECT_EQ(shown.find(kRareWord), std::string::npos) << "piece " << piece;
    const std::string text = Text(piece);
    if (shown == text || shown == text + "-" || shown == "-" + text) continue;
    ++longer_words;
    const auto it = documents.find(shown);
    ASSERT_NE(it, documents.end()) << piece << " shown as " << shown << ", not a sample word";
    EXPECT_GE(it->second, kOptions.min_documents) << piece << " shown as " << shown;
    const auto pieces = Encode(shown);
    EXPECT_NE(std::find(pieces.begin(), pieces.end(), piece), pieces.end())
        << shown << " does not hold " << piece;
  }
  EXPECT_GT(longer_words, 10) << "no piece was shown as the word it stands for";
}

TEST(PieceDisplayTest, MarksPrefixesAndSuffixesByPosition) {
  const PieceDisplayTable table = BuildPieceDisplayTable(Sentences(), Model(), kOptions);
  int prefixes = 0, suffixes = 0;
  for (const auto& [piece, shown] : table) {
    const std::string text = Text(piece);
    if (!std::any_of(text.begin(), text.end(), [](char c) { return std::isalpha(c); })) continue;
    if (shown == text + "-") {
      EXPECT_TRUE(piece.starts_with(kWordStart)) << piece;
      ++prefixes;
    } else if (shown == "-" + text) {
      EXPECT_FALSE(piece.starts_with(kWordStart)) << piece;
      ++suffixes;
    }
  }
  EXPECT_GT(prefixes, 0);
  EXPECT_GT(suffixes, 0);
}

// Brute force over the sample: a frequent word that is one piece and holds
// most of that piece's occurrences is shown as itself.
TEST(PieceDisplayTest, AWordThatIsOnePieceShowsAsItself) {
  const PieceDisplayTable table = BuildPieceDisplayTable(Sentences(), Model(), kOptions);
  const auto documents = DocumentsPerWord();
  std::unordered_map<std::string, int64_t> piece_documents;
  for (const auto& [word, count] : documents) {
    auto pieces = Encode(word);
    std::sort(pieces.begin(), pieces.end());
    pieces.erase(std::unique(pieces.begin(), pieces.end()), pieces.end());
    for (const auto& piece : pieces) piece_documents[piece] += count;
  }
  int checked = 0;
  for (const auto& [word, count] : documents) {
    const auto pieces = Encode(word);
    if (pieces.size() != 1 || count < kOptions.min_documents) continue;
    if (2 * count <= piece_documents.at(pieces[0])) continue;
    EXPECT_EQ(table.at(pieces[0]), word);
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

TEST(PieceDisplayTest, IndependentOfSentenceOrder) {
  std::vector<std::string> shuffled = Sentences();
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  EXPECT_EQ(BuildPieceDisplayTable(shuffled, Model(), kOptions),
            BuildPieceDisplayTable(Sentences(), Model(), kOptions));
}

TEST(PieceDisplayTest, PiecesOutsideTheTableAreMarkedByPosition) {
  const PieceDisplayTable table = {
      {"\xE2\x96\x81"
       "diagnosi",
       "diagnosis"}};
  EXPECT_EQ(DisplayPiece("\xE2\x96\x81"
                         "diagnosi",
                         table),
            "diagnosis");
  EXPECT_EQ(DisplayPiece("\xE2\x96\x81"
                         "gene",
                         table),
            "gene");
  EXPECT_EQ(DisplayPiece("ly", table), "-ly");
  EXPECT_EQ(DisplayPiece("<num>", table), "<num>");
  EXPECT_EQ(DisplayPiece("\xE2\x96\x81", table), "\xE2\x96\x81");
}

}  // namespace
}  // namespace ntm
