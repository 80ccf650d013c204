// The refinement curve of a score run (quality.json "refinement_curve"): for
// each step count refined records (1, 2, 5, 10, 20 up to score.refine_steps),
// what refined capped at that count costs per document, the steps documents
// actually take, its mean ELBO and its document-completion perplexity. The
// capped runs are extra runs, timed apart from timings.json's figures.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/bow.h"
#include "libvi/metrics.h"
#include "pipeline/config/config.h"
#include "pipeline/score/methods.h"

namespace ntm {

// One step count's figures, summed over ranks.
struct RefinementCurvePoint {
  int32_t steps = 0;
  double seconds_per_document = 0;
  std::optional<double> mean_steps_taken;       // Newton: steps documents took (≤ steps)
  double mean_elbo = 0;                         // from the recorded ELBO after `steps`
  std::optional<double> completion_perplexity;  // none without held-out documents or β
};

// Accumulates the curve chunk by chunk on every rank.
class RefinementCurve {
 public:
  // Empty unless `methods` holds refined; the step counts are refined's recorded ones.
  RefinementCurve(const ScoringMethods& methods, const Config& config);
  // The recorded step counts (the same on every rank).
  const std::vector<int32_t>& steps() const { return steps_; }
  // Times refined capped at each step count on `docs` (refined's results
  // there give the ELBO after each); scores each on the completion halves of
  // `held_out` (may be null) against `topics`.
  void AddChunk(const BowView& docs, const MethodResult& refined, const BowView* held_out,
                const TopicsView& topics);
  // Sums over ranks (collective) and returns one point per step count.
  std::vector<RefinementCurvePoint> Finish(Communicator& comm) const;

 private:
  // Append only: the order is part of Flatten().
  struct Sums {
    double seconds = 0, docs = 0, steps_taken = 0, steps_docs = 0, elbo = 0;
    double completion_log_likelihood = 0, completion_tokens = 0;
  };
  static constexpr size_t kSumsFields = 7;
  void AddCompletion(size_t s, const BowView& held_out, const TopicsView& topics);

  const ScoringMethods& methods_;
  const Config& config_;
  std::vector<int32_t> steps_;
  std::vector<Sums> sums_;  // one per step count
};

// Σ of `iterations` (steps taken), or nullopt when it is empty.
std::optional<double> SumOfSteps(const std::vector<int32_t>& iterations);

}  // namespace ntm
