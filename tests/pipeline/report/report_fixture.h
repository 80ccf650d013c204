// The report stage's test fixture: small corpus, model and scores folders
// (two rank counts, one with quality.json) written the way the stages write
// them, with a secret sentence and id planted where a careless report could
// echo them. Shared by the report tests in this folder.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/base/errors.h"
#include "pipeline/io/npy.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/report/compute.h"
#include "pipeline/report/format.h"
#include "pipeline/report/svg.h"
#include "pipeline/stages.h"
#include "tests/util/file_test_util.h"

namespace ntm::report_test {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

// Planted where a careless report could echo it: it must never appear.
constexpr char kSecretSentence[] = "Patient Zelda Quixote reported crushing chest pain";
constexpr char kSecretId[] = "MRN-7788991";

const std::string kWordMarker = "\xE2\x96\x81";  // SentencePiece's U+2581

constexpr int kDocs = 6;
constexpr int kTopics = 3;

// θ rows of the fixture (rows sum to 1), one matrix per method.
inline std::vector<float> Theta(float shift) {
  std::vector<float> theta;
  for (int d = 0; d < kDocs; ++d) {
    const float a = 0.2f + 0.1f * static_cast<float>(d % 3) + shift;
    const float b = 0.3f - shift / 2;
    theta.insert(theta.end(), {a, b, 1.0f - a - b});
  }
  return theta;
}

inline void WriteJson(const fs::path& file, const json& value) { WriteBytes(file, value.dump(2)); }

inline json RunJson(const std::string& stage, int ranks) {
  return {{"stage", stage},
          {"ntm_version", "0.1.0"},
          {"git_commit", "abc123f"},
          {"ranks", ranks},
          {"host", "node01"},
          {"cpu", "Test CPU @ 2.0GHz"},
          {"cores", 2},
          {"started_utc", "2026-11-26T06:40:01Z"},
          {"wall_seconds", 12.5},
          {"config_checksum", "9f3c0a11"},
          {"inputs", {std::string("notes/") + kSecretSentence + ".jsonl"}},
          {"libraries", {{"eigen", "3.4.0"}, {"mpi", "Open MPI v4.1.4"}}}};
}

inline void WriteCorpus(const fs::path& dir) {
  fs::create_directories(dir);
  const std::string input = std::string("notes/") + kSecretSentence + ".jsonl";
  WriteJson(dir / "manifest.json",
            {{"format_version", 1},
             {"inputs", {{{"path", input}, {"bytes", 123456}, {"records", 2500}}}},
             {"documents", {{"read", 2500}, {"written", 2480}}},
             {"tokens", 480000},
             {"vocab_size", 4000},
             {"shards", {{{"file", "shard-00000.bow"}, {"documents", 2480}}}},
             {"rejected", {{"malformed", 0}, {"empty", 3}, {"duplicate_id", 1}, {"no_terms", 16}}},
             {"changed", {{"truncated", 2}, {"invalid_utf8_replaced", 1}}},
             {"per_file", {{{"path", input}, {"invalid_utf8_replaced", 1}}}},
             {"note", kSecretSentence}});
  WriteJson(dir / "run.json", RunJson("tokenize", 2));
}

inline void WriteTrainLog(const fs::path& file) {
  std::string log;
  for (int step = 10; step <= 60; step += 10) {
    log += json({{"type", "step"},
                 {"step", step},
                 {"epoch", step / 20},
                 {"elbo_per_token", -9.0 + step / 30.0},
                 {"documents_per_second", 21000.5}})
               .dump() +
           "\n";
    if (step % 20 == 0) {
      log += json({{"type", "validation"},
                   {"step", step},
                   {"validation_elbo_per_token", -8.5 + step / 40.0},
                   {"documents", 125}})
                 .dump() +
             "\n";
      log += json({{"type", "epoch"},
                   {"epoch", step / 20},
                   {"step", step},
                   {"seconds", 1.25},
                   {"documents", 2375}})
                 .dump() +
             "\n";
    }
  }
  WriteBytes(file, log);
}

inline void WriteModel(const fs::path& dir) {
  fs::create_directories(dir);
  WriteBytes(dir / "model.bin", "not read by the report");
  WriteTrainLog(dir / "train_log.jsonl");
  VocabFile vocab;
  for (const char* word : {"heart", "blood", "pressure", "lung", "breath", "cough", "renal",
                           "kidney", "dialysis", "", "x<y", "pain"}) {
    vocab.pieces.push_back(*word ? kWordMarker + word : "ing");  // "ing": a piece inside a word
  }
  vocab.df.assign(vocab.pieces.size(), 5);
  vocab.cf.assign(vocab.pieces.size(), 9);
  WriteVocabFile(dir / "vocab.tsv", vocab);
  std::vector<float> topics(kTopics * 12, 0.01f);
  for (int k = 0; k < kTopics; ++k) {
    topics[k * 12 + k * 3] = 0.5f;  // heart, lung, renal lead
    topics[k * 12 + 10] = 0.1f;     // then "x<y", which must be escaped
  }
  WriteNpyMatrix(dir / "topics.npy", topics, kTopics, 12);
  WriteJson(dir / "run.json", RunJson("train", 2));
}

inline json Timing(double dps, int ranks, std::vector<double> per_rank) {
  return {{"documents", 2480},
          {"wall_seconds", 2480 / dps},
          {"documents_per_second", dps},
          {"ranks", ranks},
          {"per_rank_documents_per_second", per_rank}};
}

// A scores folder; `amortized` and `classical` are documents/s over all ranks.
inline void WriteScores(const fs::path& dir, int ranks, double amortized, double classical) {
  fs::create_directories(dir);
  std::vector<double> a_ranks(ranks, amortized / ranks), c_ranks(ranks, classical / ranks);
  WriteJson(dir / "timings.json", {{"methods",
                                    {{"amortized", Timing(amortized, ranks, a_ranks)},
                                     {"refined", Timing(amortized / 14, ranks, {})},
                                     {"classical", Timing(classical, ranks, c_ranks)}}}});
  WriteNpyMatrix(dir / "theta-amortized.npy", Theta(0.05f), kDocs, kTopics);
  WriteNpyMatrix(dir / "theta-refined.npy", Theta(0.02f), kDocs, kTopics);
  WriteNpyMatrix(dir / "theta-classical.npy", Theta(0.0f), kDocs, kTopics);
  const std::vector<double> elbo_a = {-900, -950, -1000, -800, -700, -1200};
  std::vector<double> elbo_r = elbo_a;
  for (double& e : elbo_r) e += 2.0;
  WriteNpyVector(dir / "elbo-amortized.npy", elbo_a);
  WriteNpyVector(dir / "elbo-refined.npy", elbo_r);
  std::string ids;
  for (int d = 0; d < kDocs; ++d) ids += std::string(d == 0 ? kSecretId : kSecretSentence) + "\n";
  WriteBytes(dir / "doc_ids.txt", ids);
  WriteBytes(dir / "scores.csv", "doc_id,tokens\n" + std::string(kSecretId) + ",12\n");
  WriteJson(dir / "run.json", RunJson("score", ranks));
}

inline json QualityJson() {
  json method = {{"mean_elbo", -950.1},
                 {"elbo_per_token", -7.41},
                 {"completion_perplexity", 1510.2},
                 {"completion_documents", 496},
                 {"mean_l1_to_classical", 0.31}};
  json classical = method;
  classical["completion_perplexity"] = 1490.0;
  classical.erase("mean_l1_to_classical");
  return {{"num_topics", kTopics},
          {"documents", kDocs},
          {"tokens", 480000},
          {"methods", {{"amortized", method}, {"classical", classical}}},
          {"topics",
           {{"top_terms",
             json::array({json::array({kWordMarker + "heart", "blood"}),
                          json::array({"lung", "breath"}), json::array({"renal", "kidney"})})},
            {"npmi", {0.12, 0.08, -0.02}},
            {"mean_npmi", 0.06},
            {"diversity", 0.82},
            {"prevalence", {0.5, 0.3, 0.2}},
            {"prevalence_method", "amortized"}}},
          {"gap", {{"documents", 0}}}};  // as `ntm score` writes it without ln-vi
}

// corpus/, model/, scores-p1/ (no quality.json), scores-p2/ (with quality.json).
struct Fixture {
  TempDir tmp;
  fs::path corpus = tmp / "corpus";
  fs::path model = tmp / "model";
  fs::path p1 = tmp / "scores-p1";
  fs::path p2 = tmp / "scores-p2";
  fs::path out = tmp / "report";

  Fixture() {
    WriteCorpus(corpus);
    WriteModel(model);
    WriteScores(p1, 1, 65000, 330);
    WriteScores(p2, 2, 124000, 620);
    WriteJson(p2 / "quality.json", QualityJson());
  }
  std::vector<std::string> AllDirs() const {
    return {corpus.string(), model.string(), p1.string(), p2.string()};
  }
};

inline void RunReportOn(const std::vector<std::string>& dirs, const fs::path& out) {
  LocalCommunicator comm;
  StageContext ctx{comm, Config{}, ""};
  ReportArgs args{out.string(), dirs};
  ASSERT_EQ(RunReport(ctx, args), 0);
}

// The HTML between <section id="id"> and its </section>.
inline std::string SectionHtml(const std::string& html, const std::string& id) {
  const size_t start = html.find("<section id=\"" + id + "\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

inline double MeanL1(const std::vector<float>& a, const std::vector<float>& b) {
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += std::fabs(a[i] - b[i]);
  return total / kDocs;
}

}  // namespace ntm::report_test
