// The four inference methods behind one interface for `ntm score`: each maps
// a chunk of documents to θ (D×K) and per-document ELBOs, against the same
// trained topics. `classical` needs the lda decoder and is refused otherwise.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libvi/bow.h"
#include "libvi/inference/classical_vi.h"
#include "libvi/inference/logistic_normal.h"
#include "libvi/model.h"
#include "pipeline/config/config.h"
#include "pipeline/config/method_names.h"

namespace ntm {

// One method's output for a chunk.
struct MethodResult {
  std::vector<float> theta;           // D×K, rows sum to 1
  std::vector<double> elbo;           // D, nats
  std::vector<int32_t> record_steps;  // refined: steps with a recorded ELBO
  std::vector<double> elbo_at_steps;  // refined: D × record_steps
};

// The configured methods, in the order given.
class ScoringMethods {
 public:
  // ConfigError for an unknown method, or classical with a prodlda model.
  ScoringMethods(const Model& model, const std::vector<std::string>& names, const Config& config);
  ~ScoringMethods();
  // Number of methods.
  size_t size() const { return names_.size(); }
  // Name of method `m` (one of kAllMethods).
  const std::string& name(size_t m) const { return names_[m]; }
  // Index of `name`, or -1.
  int Find(const std::string& name) const;
  // Runs method `m` on `docs`. If `inference_seconds` is given, adds the time
  // spent inferring θ — what a user pays per document — and not the time of
  // evaluating the ELBO for the report (for `amortized` that evaluation costs
  // far more than the encoder pass itself, so it runs untimed afterwards).
  MethodResult Run(size_t m, const BowView& docs, double* inference_seconds = nullptr) const;
  // β as K×V row-major (lda), for perplexity and NPMI; empty for prodlda.
  const std::vector<float>& topics() const { return beta_; }

 private:
  // One row of the method table (methods.cc): a name, what it needs, how it runs.
  struct Method;
  // The table row for `name`, or nullptr.
  static const Method* Lookup(const std::string& name);
  MethodResult RunAmortized(const BowView& docs, double* inference_seconds) const;
  MethodResult RunRefined(const BowView& docs, double* inference_seconds) const;
  MethodResult RunClassical(const BowView& docs, double* inference_seconds) const;
  MethodResult RunLnVi(const BowView& docs, double* inference_seconds) const;

  std::vector<std::string> names_;
  std::vector<const Method*> methods_;
  const Model& model_;
  TopicInference inference_;
  std::unique_ptr<ClassicalVi> classical_;
  std::vector<float> beta_;
  const Config& config_;
};

}  // namespace ntm
