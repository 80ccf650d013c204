// `ntm score` end to end: the real binary under mpirun -np 1, 2 and 3, scoring
// a 300-note slice of MTSamples (tokenized and trained on at test time) with
// all four inference methods.
//
// What it pins down:
//  - outputs are byte-identical for any P (randomness is seeded per document);
//  - theta rows are distributions, ELBO(ln-vi) >= ELBO(amortized) for every
//    document, the gap is never negative and refinement closes more of it
//    with more steps;
//  - raw --input scoring with the model bundle equals scoring the tokenized corpus;
//  - timings.json holds the documented fields;
//  - export-bow --completion-split writes the documents and halves score uses;
//  - a prodlda model refuses classical VI (exit 64) but scores amortized;
//  - a corpus with another vocabulary is refused (exit 65, naming vocab.tsv).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/export/bow_export.h"
#include "pipeline/io/npy.h"
#include "tests/util/run_command.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_util::CommandResult;
using testing_util::JsonlSlice;
using testing_util::Mpirun;
using testing_util::ReadFile;
using testing_util::RunCommand;
using testing_util::TempDir;
using testing_util::WriteFile;

const std::string kNtm = NTM_BINARY;
const std::string kMtSamples = std::string(NTM_SHARED_DATA_DIR) + "/mtsamples.jsonl";
const std::vector<std::string> kMethods = {"amortized", "refined", "classical", "ln-vi"};
constexpr int kDocs = 300;
constexpr int kTopics = 10;

// Lines [first, first + n) of MTSamples, joined with line breaks.
std::string MtSamplesSlice(int first, int n) { return JsonlSlice(kMtSamples, first, n); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

std::string Launcher(int ranks) { return ranks == 1 ? "" : Mpirun(ranks); }

std::string Join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ",") + i;
  return s;
}

class ScoreE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    config_ = *dir_ / "small.yaml";
    WriteFile(config_,
              "tokenize:\n  docs_per_shard: 100\n"
              "vocab:\n  piece_vocab_size: 1000\n  min_df: 2\n"
              "model:\n  num_topics: 10\n  hidden: 50\n"
              "train:\n  epochs: 3\n");
    WriteFile(Input(), MtSamplesSlice(0, kDocs));
    WriteFile(*dir_ / "in/other.jsonl", MtSamplesSlice(1000, 150));
    const std::string c = " --config " + config_;
    setup_.push_back(RunCommand(Mpirun(2) + kNtm + " tokenize" + c + " --input " + Input() +
                                " --out " + Corpus()));
    setup_.push_back(RunCommand(kNtm + " tokenize" + c + " --input " + (*dir_ / "in/other.jsonl") +
                                " --out " + (*dir_ / "other") + " --set vocab.mode=words"));
    setup_.push_back(
        RunCommand(kNtm + " train" + c + " --corpus " + Corpus() + " --out " + Model()));
    setup_.push_back(RunCommand(kNtm + " train" + c + " --corpus " + Corpus() + " --out " +
                                ProdLdaModel() + " --set model.decoder=prodlda"));
    // Every method at P = 1, 2, 3.
    for (int p : {1, 2, 3}) {
      scores_[p] = Score(p, "--corpus " + Corpus(), Scores(p), kMethods);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    for (const auto& r : setup_) ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static std::string Input() { return *dir_ / "in/notes.jsonl"; }
  static std::string Corpus() { return *dir_ / "corpus"; }
  static std::string Model() { return *dir_ / "model"; }
  static std::string ProdLdaModel() { return *dir_ / "model-prodlda"; }
  static std::string Scores(int ranks) { return *dir_ / ("scores-p" + std::to_string(ranks)); }

  static CommandResult Score(int ranks, const std::string& what, const std::string& out,
                             const std::vector<std::string>& methods,
                             const std::string& model = "") {
    return RunCommand(Launcher(ranks) + kNtm + " score --model " +
                      (model.empty() ? Model() : model) + " " + what + " --out " + out +
                      " --methods " + Join(methods));
  }

  static TempDir* dir_;
  static std::string config_;
  static std::vector<CommandResult> setup_;
  static std::map<int, CommandResult> scores_;
};

TempDir* ScoreE2e::dir_ = nullptr;
std::string ScoreE2e::config_;
std::vector<CommandResult> ScoreE2e::setup_;
std::map<int, CommandResult> ScoreE2e::scores_;

TEST_F(ScoreE2e, OutputsAreByteIdenticalForEveryRankCount) {
  for (const auto& [p, r] : scores_) ASSERT_EQ(r.exit_code, 0) << "P=" << p << "\n" << r.output;
  std::vector<std::string> files = {"doc_ids.txt", "scores.csv"};
  for (const auto& m : kMethods) {
    files.push_back("theta-" + m + ".npy");
    files.push_back("elbo-" + m + ".npy");
  }
  for (const auto& f : files) {
    const std::string reference = ReadFile(fs::path(Scores(1)) / f);
    ASSERT_FALSE(reference.empty()) << f;
    for (int p : {2, 3}) {
      EXPECT_TRUE(ReadFile(fs::path(Scores(p)) / f) == reference) << f << " differs at P=" << p;
    }
  }
}

// Σ values of each row (1-based) of a MatrixMarket matrix.
std::vector<int64_t> RowSums(const MatrixMarketMatrix& m) {
  std::vector<int64_t> sums(m.rows + 1, 0);
  for (size_t e = 0; e < m.value.size(); ++e) sums[m.row[e]] += m.value[e];
  return sums;
}

// `export-bow --completion-split` writes the documents and halves score uses:
// as many documents and held-out tokens as quality.json counts, and each
// document's halves add up to its row of bow.mtx.
TEST_F(ScoreE2e, CompletionSplitExportMatchesScore) {
  ASSERT_EQ(scores_[1].exit_code, 0) << scores_[1].output;
  const fs::path bow = *dir_ / "bow-split";
  const auto r = RunCommand(kNtm + " export-bow --completion-split --corpus " + Corpus() +
                            " --out " + bow.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json q = json::parse(ReadFile(fs::path(Scores(1)) / "quality.json"));
  const auto ids = Lines(ReadFile(bow / "completion-doc-ids.txt"));
  const MatrixMarketMatrix observed = ReadMatrixMarket(bow / "completion-observed.mtx");
  const MatrixMarketMatrix heldout = ReadMatrixMarket(bow / "completion-heldout.mtx");
  const MatrixMarketMatrix all = ReadMatrixMarket(bow / "bow.mtx");
  ASSERT_GT(ids.size(), 5u);
  EXPECT_EQ(observed.rows, static_cast<int64_t>(ids.size()));
  EXPECT_EQ(heldout.rows, observed.rows);
  EXPECT_EQ(heldout.cols, all.cols);
  const std::vector<int64_t> first = RowSums(observed), second = RowSums(heldout);
  int64_t heldout_tokens = 0;
  for (int64_t d = 1; d <= heldout.rows; ++d) heldout_tokens += second[d];
  for (const auto& m : kMethods) {
    EXPECT_EQ(q["methods"][m]["completion_documents"].get<int64_t>(), observed.rows) << m;
    EXPECT_EQ(q["methods"][m]["completion_tokens"].get<int64_t>(), heldout_tokens) << m;
  }
  const auto all_ids = Lines(ReadFile(bow / "doc_ids.txt"));
  const std::vector<int64_t> totals = RowSums(all);
  size_t row = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    while (row < all_ids.size() && all_ids[row] != ids[i]) ++row;  // corpus order
    ASSERT_LT(row, all_ids.size()) << ids[i] << " not in corpus order";
    const int64_t d = static_cast<int64_t>(i) + 1;
    EXPECT_EQ(first[d] + second[d], totals[row + 1]) << ids[i];
    EXPECT_EQ(first[d], totals[row + 1] / 2) << ids[i] << ": observed half is floor(n/2)";
  }
}

TEST_F(ScoreE2e, ThetaElboAndGapAreConsistent) {
  ASSERT_EQ(scores_[1].exit_code, 0) << scores_[1].output;
  const fs::path out = Scores(1);
  // Documents in corpus order.
  ASSERT_EQ(
      RunCommand(kNtm + " export-bow --corpus " + Corpus() + " --out " + (*dir_ / "bow")).exit_code,
      0);
  const auto ids = Lines(ReadFile(out / "doc_ids.txt"));
  EXPECT_TRUE(ids == Lines(ReadFile(*dir_ / "bow/doc_ids.txt"))) << "doc_ids.txt order";
  ASSERT_EQ(ids.size(), static_cast<size_t>(kDocs));

  std::map<std::string, std::vector<double>> elbo;
  std::map<std::string, NpyMatrix> theta;
  for (const auto& m : kMethods) {
    theta[m] = ReadNpyMatrix(out / ("theta-" + m + ".npy"));
    elbo[m] = ReadNpyFloat64Vector(out / ("elbo-" + m + ".npy"));
    ASSERT_EQ(theta[m].rows, kDocs) << m;
    ASSERT_EQ(theta[m].cols, kTopics) << m;
    ASSERT_EQ(elbo[m].size(), static_cast<size_t>(kDocs)) << m;
    for (int64_t d = 0; d < kDocs; ++d) {
      double sum = 0;
      for (int k = 0; k < kTopics; ++k) {
        const float x = theta[m].values[d * kTopics + k];
        ASSERT_TRUE(std::isfinite(x) && x >= 0 && x <= 1) << m << " doc " << d;
        sum += x;
      }
      // K = 10 float32 entries: rounding error below 10 * 6e-8.
      EXPECT_NEAR(sum, 1.0, 1e-5) << m << " doc " << d;
      EXPECT_TRUE(std::isfinite(elbo[m][d]) && elbo[m][d] < 0) << m << " doc " << d;
    }
  }
  // ln-vi optimises the same deterministic objective the amortized ELBO
  // evaluates, starting from the encoder output: never worse, per document.
  int strictly_better = 0;
  for (int64_t d = 0; d < kDocs; ++d) {
    EXPECT_GE(elbo["ln-vi"][d], elbo["amortized"][d]) << "doc " << d;
    strictly_better += elbo["ln-vi"][d] > elbo["amortized"][d];
  }
  EXPECT_GT(strictly_better, kDocs / 2) << "ln-vi should improve on most documents";

  // scores.csv: header, one row per document, top topic = argmax of theta.
  const auto csv = Lines(ReadFile(out / "scores.csv"));
  ASSERT_EQ(csv.size(), static_cast<size_t>(kDocs + 1));
  std::string header = "doc_id,tokens";
  for (const auto& m : kMethods)
    header += "," + m + "_top_topic," + m + "_top_weight," + m + "_elbo";
  EXPECT_EQ(csv[0], header);
  for (int64_t d = 0; d < kDocs; ++d) {
    const std::string& row = csv[d + 1];
    ASSERT_TRUE(row.starts_with(ids[d] + ",")) << "row " << d;
    std::vector<std::string> fields;
    for (size_t start = 0, end;; start = end + 1) {
      end = row.find(',', start);
      fields.push_back(row.substr(start, end - start));
      if (end == std::string::npos) break;
    }
    ASSERT_EQ(fields.size(), 2 + 3 * kMethods.size()) << "row " << d;
    EXPECT_GT(std::stol(fields[1]), 0);
    for (size_t m = 0; m < kMethods.size(); ++m) {
      const float* row_theta = theta[kMethods[m]].values.data() + d * kTopics;
      const long top = std::max_element(row_theta, row_theta + kTopics) - row_theta;
      EXPECT_EQ(std::stol(fields[2 + 3 * m]), top) << kMethods[m] << " doc " << d;
      EXPECT_NEAR(std::stod(fields[4 + 3 * m]), elbo[kMethods[m]][d], 0.0005 + 1e-9)
          << kMethods[m] << " doc " << d;  // printed with 3 decimals
    }
  }

  // quality.json: the gap is never negative; more refinement steps close more of it.
  const json q = json::parse(ReadFile(out / "quality.json"));
  EXPECT_EQ(q.at("documents"), kDocs);
  EXPECT_EQ(q.at("num_topics"), kTopics);
  const json& gap = q.at("gap");
  EXPECT_EQ(gap.at("documents"), kDocs);
  EXPECT_GE(gap.at("min_nats").get<double>(), 0.0);
  EXPECT_GT(gap.at("mean_nats").get<double>(), 0.0);
  EXPECT_GE(gap.at("median_nats").get<double>(), 0.0);
  int64_t histogram_total = 0;
  for (const auto& c : gap.at("histogram").at("counts")) histogram_total += c.get<int64_t>();
  EXPECT_EQ(histogram_total, kDocs);
  double mean_gap = 0;
  for (int64_t d = 0; d < kDocs; ++d) mean_gap += elbo["ln-vi"][d] - elbo["amortized"][d];
  mean_gap /= kDocs;
  EXPECT_NEAR(gap.at("mean_nats").get<double>(), mean_gap, 1e-9 * std::max(1.0, mean_gap));
  const json& closed = gap.at("closed_share_by_steps");
  const double s1 = closed.at("1"), s5 = closed.at("5"), s20 = closed.at("20");
  EXPECT_GE(s1, 0.0);
  EXPECT_GE(s5, s1);
  EXPECT_GE(s20, s5);
  EXPECT_GT(s20, 0.0);
  for (const auto& m : kMethods) {
    const json& j = q.at("methods").at(m);
    EXPECT_TRUE(j.contains("mean_elbo") && j.contains("elbo_per_token")) << m;
    EXPECT_TRUE(j.contains("completion_perplexity")) << m;
    EXPECT_TRUE(j.contains("mean_l1_to_classical")) << m;
    double mean = 0;
    for (double e : elbo[m]) mean += e;
    mean /= kDocs;
    EXPECT_NEAR(j.at("mean_elbo").get<double>(), mean, 1e-9 * std::fabs(mean)) << m;
  }
  EXPECT_EQ(q.at("topics").at("top_terms").size(), static_cast<size_t>(kTopics));
  // Each topic also as ten distinct readable words (words mode: the terms themselves).
  const auto& words = q.at("topics").at("top_words");
  ASSERT_EQ(words.size(), static_cast<size_t>(kTopics));
  for (const auto& topic : words) {
    std::set<std::string> distinct(topic.begin(), topic.end());
    EXPECT_EQ(distinct.size(), 10u);
    for (const std::string& w : distinct) EXPECT_EQ(w.find("\xE2\x96\x81"), std::string::npos);
  }
}

TEST_F(ScoreE2e, RawInputScoresLikeTheTokenizedCorpus) {
  const std::vector<std::string> methods = {"amortized", "refined"};
  for (int p : {1, 2}) {
    const std::string out = *dir_ / ("raw-p" + std::to_string(p));
    const auto r = Score(p, "--input " + Input(), out, methods);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(ReadFile(fs::path(out) / "doc_ids.txt") ==
                ReadFile(fs::path(Scores(1)) / "doc_ids.txt"))
        << "P=" << p << ": documents differ";
    for (const auto& m : methods) {
      for (const std::string& f : {"theta-" + m + ".npy", "elbo-" + m + ".npy"}) {
        EXPECT_TRUE(ReadFile(fs::path(out) / f) == ReadFile(fs::path(Scores(1)) / f))
            << "P=" << p << ": " << f << " from raw input differs from the corpus";
      }
    }
    EXPECT_EQ(json::parse(ReadFile(fs::path(out) / "run.json")).at("stage"), "score");
  }
}

TEST_F(ScoreE2e, TimingsHoldTheDocumentedFields) {
  for (int p : {1, 3}) {
    ASSERT_EQ(scores_[p].exit_code, 0) << scores_[p].output;
    const json t = json::parse(ReadFile(fs::path(Scores(p)) / "timings.json"));
    ASSERT_TRUE(t.contains("methods"));
    EXPECT_EQ(t.at("methods").size(), kMethods.size());
    for (const auto& m : kMethods) {
      ASSERT_TRUE(t.at("methods").contains(m)) << m;
      const json& j = t.at("methods").at(m);
      EXPECT_EQ(j.at("documents"), kDocs) << m;
      EXPECT_EQ(j.at("ranks"), p) << m;
      const double wall = j.at("wall_seconds"), rate = j.at("documents_per_second");
      EXPECT_GT(wall, 0.0) << m;
      EXPECT_NEAR(rate, kDocs / wall, 1e-9 * rate) << m;
      ASSERT_EQ(j.at("per_rank_documents_per_second").size(), static_cast<size_t>(p)) << m;
      for (const auto& r : j.at("per_rank_documents_per_second")) {
        EXPECT_GT(r.get<double>(), 0.0) << m;
        // Each rank holds kDocs / p documents (300 splits evenly for p = 1, 3)
        // and took at most the wall time, the slowest rank's.
        EXPECT_GE(r.get<double>() * (1 + 1e-12), kDocs / static_cast<double>(p) / wall) << m;
      }
    }
    const json run = json::parse(ReadFile(fs::path(Scores(p)) / "run.json"));
    EXPECT_EQ(run.at("ranks"), p);
  }
}

TEST_F(ScoreE2e, ProdLdaRefusesClassicalButScoresAmortized) {
  const std::string out = *dir_ / "prodlda-classical";
  const auto r = Score(2, "--corpus " + Corpus(), out, {"amortized", "classical"}, ProdLdaModel());
  EXPECT_EQ(r.exit_code, 64) << r.output;
  EXPECT_NE(r.output.find("classical"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("prodlda"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "an output folder was created for a refused run";
  const std::string ok = *dir_ / "prodlda-amortized";
  const auto a =
      Score(1, "--corpus " + Corpus(), ok, {"amortized", "refined", "ln-vi"}, ProdLdaModel());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const NpyMatrix theta = ReadNpyMatrix(fs::path(ok) / "theta-amortized.npy");
  ASSERT_EQ(theta.rows, kDocs);
  ASSERT_EQ(theta.cols, kTopics);
  for (int64_t d = 0; d < kDocs; ++d) {
    double sum = 0;
    for (int k = 0; k < kTopics; ++k) sum += theta.values[d * kTopics + k];
    EXPECT_NEAR(sum, 1.0, 1e-5) << d;
  }
  const auto amortized = ReadNpyFloat64Vector(fs::path(ok) / "elbo-amortized.npy");
  const auto lnvi = ReadNpyFloat64Vector(fs::path(ok) / "elbo-ln-vi.npy");
  for (int64_t d = 0; d < kDocs; ++d) EXPECT_GE(lnvi[d], amortized[d]) << d;
}

TEST_F(ScoreE2e, CorpusWithAnotherVocabularyExits65NamingVocabTsv) {
  for (int p : {1, 2}) {
    const std::string out = *dir_ / ("other-vocab-" + std::to_string(p));
    const auto r = Score(p, "--corpus " + (*dir_ / "other"), out, {"amortized"});
    EXPECT_EQ(r.exit_code, 65) << r.output;
    EXPECT_NE(r.output.find(*dir_ / "other/vocab.tsv"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(fs::path(out) / "theta-amortized.npy"));
  }
}

}  // namespace
}  // namespace ntm
