#include "pipeline/score/refinement_curve.h"

#include <algorithm>
#include <cmath>

#include "pipeline/config/libvi_options.h"
#include "pipeline/config/method_names.h"

namespace ntm {

RefinementCurve::RefinementCurve(const ScoringMethods& methods, const Config& config)
    : methods_(methods), config_(config) {
  // Sized here, identically on every rank, because the sums are all-reduced.
  if (methods.Find(kMethodRefined) < 0) return;
  steps_ = RefineOptionsFrom(config).record_steps;
  sums_.assign(steps_.size(), Sums{});
}

std::optional<double> SumOfSteps(const std::vector<int32_t>& iterations) {
  if (iterations.empty()) return std::nullopt;
  double sum = 0;
  for (int32_t i : iterations) sum += i;
  return sum;
}

void RefinementCurve::AddChunk(const BowView& docs, const MethodResult& refined,
                               const BowView* held_out, const TopicsView& topics) {
  const size_t n = static_cast<size_t>(docs.num_docs());
  for (size_t s = 0; s < steps_.size(); ++s) {
    Sums& sums = sums_[s];
    const MethodResult capped = methods_.RunRefinedSteps(docs, steps_[s], &sums.seconds);
    sums.docs += static_cast<double>(n);
    if (const auto taken = SumOfSteps(capped.iterations)) {
      sums.steps_taken += *taken;
      sums.steps_docs += static_cast<double>(n);
    }
    for (size_t d = 0; d < n && refined.elbo_at_steps.size() == n * steps_.size(); ++d) {
      sums.elbo += refined.elbo_at_steps[d * steps_.size() + s];
    }
    if (held_out != nullptr && held_out->num_docs() > 0) AddCompletion(s, *held_out, topics);
  }
}

// Document completion of refined capped at steps_[s] (see QualityAccumulator).
void RefinementCurve::AddCompletion(size_t s, const BowView& held_out, const TopicsView& topics) {
  auto infer = [&](const BowView& first, std::span<float> theta_out) {
    const MethodResult r = methods_.RunRefinedSteps(first, steps_[s]);
    std::copy(r.theta.begin(), r.theta.end(), theta_out.begin());
  };
  const CompletionPerplexity p =
      DocumentCompletionPerplexity(held_out, topics, infer, config_.score.seed);
  sums_[s].completion_log_likelihood += p.total_log_likelihood;
  sums_[s].completion_tokens += static_cast<double>(p.total_tokens);
}

std::vector<RefinementCurvePoint> RefinementCurve::Finish(Communicator& comm) const {
  std::vector<double> flat;
  for (const Sums& s : sums_) {
    flat.insert(flat.end(), {s.seconds, s.docs, s.steps_taken, s.steps_docs, s.elbo,
                             s.completion_log_likelihood, s.completion_tokens});
  }
  if (!flat.empty()) comm.AllReduceSum(flat);
  std::vector<RefinementCurvePoint> points;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const double* s = flat.data() + kSumsFields * i;
    RefinementCurvePoint p;
    p.steps = steps_[i];
    p.seconds_per_document = s[0] / std::max(1.0, s[1]);
    if (s[3] > 0) p.mean_steps_taken = s[2] / s[3];
    p.mean_elbo = s[4] / std::max(1.0, s[1]);
    if (s[6] > 0) p.completion_perplexity = std::exp(-s[5] / s[6]);
    points.push_back(p);
  }
  return points;
}

}  // namespace ntm
