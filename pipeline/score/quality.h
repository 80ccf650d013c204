// Quality figures of a score run, accumulated chunk by chunk on every rank and
// summed over ranks at the end (quality.json, see docs/run-files.md): mean
// ELBO per method, document-completion perplexity, distance of θ to
// classical's, the amortization gap and the share of it closed by refinement,
// topic NPMI, diversity and prevalence.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/metrics.h"
#include "pipeline/config/config.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/score/methods.h"

namespace ntm {

// Sums of one method's figures.
struct MethodSums {
  double elbo = 0, tokens = 0, docs = 0;
  double l1_to_classical = 0;
  double completion_log_likelihood = 0, completion_tokens = 0, completion_docs = 0;
};

// Collects every quality figure of a score run.
class QualityAccumulator {
 public:
  QualityAccumulator(const ScoringMethods& methods, const Model& model, const Config& config);
  // Adds one chunk's documents and every method's results for them.
  void AddChunk(const BowView& docs, const std::vector<MethodResult>& results);
  // Sums over ranks (collective) and returns quality.json (meaningful on rank 0).
  // `vocab` is the model's vocab.tsv: topics are listed by piece and, when it
  // has them, by readable word.
  nlohmann::json Finish(Communicator& comm, const VocabFile& vocab);
  // The documents are the model's training corpus: Finish also splits the gap
  // into the training and the held-out notes (IsValidationDocument).
  void SplitGapByTraining(double validation_fraction, uint64_t seed) {
    split_fraction_ = validation_fraction;
    split_seed_ = seed;
  }

 private:
  void AddCompletion(const BowView& docs);
  std::vector<std::vector<std::string>> TopWords(const std::vector<float>& beta,
                                                 const std::vector<std::string>& words) const;
  void AddGap(const std::vector<MethodResult>& results);

  const ScoringMethods& methods_;
  const Model& model_;
  const Config& config_;
  std::vector<MethodSums> sums_;
  std::vector<std::vector<int32_t>> top_terms_;
  CoOccurrenceCounts cooccurrence_;
  std::vector<double> prevalence_;
  std::vector<double> gaps_;        // local per-document amortization gaps
  std::vector<uint64_t> gap_keys_;  // their document keys
  double split_fraction_ = -1;      // SplitGapByTraining; < 0: no split
  uint64_t split_seed_ = 0;
  std::vector<double> closed_by_steps_;  // Σ(ELBO refined after s steps − ELBO amortized)
  std::vector<int32_t> record_steps_;
  double docs_ = 0, tokens_ = 0;
};

}  // namespace ntm
