// Issue 13, "whole words on every topic", end to end at the shipped defaults
// (configs/default.yaml; only the epochs cut to keep the test short): tokenize
// 600 MTSamples notes, train, score the corpus and 200 other notes given raw.
//
// What it pins down:
//  - no top-10 term of any topic in quality.json is a stop word, a fragment
//    (starts or ends with '-', or is not a whole word of the input) or a class
//    token, and top_words (what the report shows) are the terms NPMI is on;
//  - vocab.tsv, from which topics.npy is ranked, holds none of them either;
//  - SentencePiece still works: tokenizer.model is in the corpus and the
//    bundle, and words outside the vocabulary are mapped through it in the
//    corpus and in `score --input` (counted in manifest.json, quality.json
//    and the log); with vocab.oov=drop nothing is mapped and no model is trained.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/util/run_command.h"
#include "tokenizer/document_tokenizer.h"
#include "tokenizer/readers/readers.h"
#include "tokenizer/segmenter.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_util::CommandResult;
using testing_util::JsonlSlice;
using testing_util::ReadFile;
using testing_util::RunCommand;
using testing_util::TempDir;
using testing_util::WriteFile;

const std::string kNtm = NTM_BINARY;
const std::string kMtSamples = std::string(NTM_SHARED_DATA_DIR) + "/mtsamples.jsonl";
const std::string kConfig = " --config " + std::string(NTM_SOURCE_DIR) + "/configs/default.yaml";

class WholeWordsE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    WriteFile(*dir_ / "train.jsonl", JsonlSlice(kMtSamples, 0, 600));
    WriteFile(*dir_ / "held.jsonl", JsonlSlice(kMtSamples, 2000, 200));
    const auto run = [](const std::string& args) { setup_.push_back(RunCommand(kNtm + args)); };
    run(" tokenize" + kConfig + " --input " + (*dir_ / "train.jsonl") + " --out " + Corpus());
    run(" train" + kConfig + " --corpus " + Corpus() + " --out " + Model() +
        " --set train.epochs=5");
    run(" score" + kConfig + " --model " + Model() + " --corpus " + Corpus() + " --out " +
        (*dir_ / "scores") + " --methods amortized");
    run(" score" + kConfig + " --model " + Model() + " --input " + (*dir_ / "held.jsonl") +
        " --out " + (*dir_ / "scores-input") + " --methods amortized");
    run(" tokenize" + kConfig + " --input " + (*dir_ / "train.jsonl") + " --out " +
        (*dir_ / "corpus-drop") + " --set vocab.oov=drop");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    for (const auto& r : setup_) ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static std::string Corpus() { return *dir_ / "corpus"; }
  static std::string Model() { return *dir_ / "model"; }
  static json ReadJson(const std::string& path) { return json::parse(ReadFile(path)); }

  // Every word the default tokenizer makes of the training notes.
  static std::set<std::string> InputWords() {
    const auto sources = ExpandInputs({*dir_ / "train.jsonl"});
    const std::vector<WorkItem> items = {{0, 0, INT64_MAX}};
    const ReaderOptions options;  // the reader keeps references to all three
    auto reader = OpenReader(sources, items, options);
    DocumentTokenizer tokenizer;
    std::set<std::string> words;
    for (RawDocument doc; reader->Next(doc);) {
      for (const auto w : tokenizer.Words(doc.text)) words.emplace(w);
    }
    return words;
  }

  static TempDir* dir_;
  static std::vector<CommandResult> setup_;
};

TempDir* WholeWordsE2e::dir_ = nullptr;
std::vector<CommandResult> WholeWordsE2e::setup_;

// Why `term` cannot be a topic word, or "" when it can.
std::string Unfit(const std::string& term, const std::set<std::string>& input_words) {
  std::set<std::string> stop(EnglishStopWords().begin(), EnglishStopWords().end());
  stop.insert(ClinicalStopWords().begin(), ClinicalStopWords().end());
  if (stop.contains(term)) return "a stop word";
  if (term.starts_with('<')) return "a class token";
  if (term.starts_with('-') || term.ends_with('-')) return "a fragment";
  if (term.starts_with("\xE2\x96\x81")) return "a piece";
  if (!input_words.contains(term)) return "not a whole word of the input";
  return "";
}

TEST_F(WholeWordsE2e, TopTermsAreWholeContentWords) {
  const json topics = ReadJson(*dir_ / "scores/quality.json").at("topics");
  ASSERT_EQ(topics.at("top_words"), topics.at("top_terms"));  // NPMI is on what is shown
  const std::set<std::string> words = InputWords();
  ASSERT_EQ(topics.at("top_words").size(), 50u);
  for (const auto& topic : topics.at("top_words")) {
    ASSERT_EQ(topic.size(), 10u);
    for (const auto& term : topic) {
      EXPECT_EQ(Unfit(term.get<std::string>(), words), "") << "topic term #" << term.dump();
    }
  }
}

TEST_F(WholeWordsE2e, VocabularyHoldsOnlyWholeContentWords) {
  const std::set<std::string> words = InputWords();
  const std::string tsv = ReadFile(Model() + "/vocab.tsv");
  size_t checked = 0;
  for (size_t line = tsv.find('\n') + 1; line < tsv.size(); line = tsv.find('\n', line) + 1) {
    const size_t tab = tsv.find('\t', line), end = tsv.find('\t', tab + 1);
    const std::string term = tsv.substr(tab + 1, end - tab - 1);
    EXPECT_EQ(Unfit(term, words), "") << "vocabulary id " << tsv.substr(line, tab - line);
    ++checked;
  }
  EXPECT_GT(checked, 1000u);
}

TEST_F(WholeWordsE2e, WordsOutsideTheVocabularyGoThroughPieces) {
  EXPECT_TRUE(fs::exists(Corpus() + "/tokenizer.model"));
  EXPECT_TRUE(fs::exists(Model() + "/tokenizer.model"));
  const json corpus = ReadJson(Corpus() + "/manifest.json").at("term_tokens");
  EXPECT_GT(corpus.at("mapped_through_pieces"), 0);
  EXPECT_EQ(corpus.at("total"), corpus.at("in_vocabulary").get<int64_t>() +
                                    corpus.at("mapped_through_pieces").get<int64_t>() +
                                    corpus.at("dropped").get<int64_t>());
  const json input = ReadJson(*dir_ / "scores-input/quality.json").at("input_term_tokens");
  EXPECT_GT(input.at("mapped_through_pieces"), 0);
  EXPECT_GT(input.at("oov_share"), 0.0);
  EXPECT_LT(input.at("oov_share"), 0.3);
  EXPECT_NE(setup_[3].output.find("term tokens out of vocabulary (mapped through pieces: "),
            std::string::npos);
}

TEST_F(WholeWordsE2e, OovDropMapsNothing) {
  EXPECT_FALSE(fs::exists(*dir_ / "corpus-drop/tokenizer.model"));
  const json drop = ReadJson(*dir_ / "corpus-drop/manifest.json").at("term_tokens");
  const json pieces = ReadJson(Corpus() + "/manifest.json").at("term_tokens");
  EXPECT_EQ(drop.at("mapped_through_pieces"), 0);
  EXPECT_EQ(drop.at("total"), pieces.at("total"));
  EXPECT_EQ(
      drop.at("dropped").get<int64_t>(),
      pieces.at("dropped").get<int64_t>() + pieces.at("mapped_through_pieces").get<int64_t>());
}

}  // namespace
}  // namespace ntm
