#include "pipeline/score/methods.h"

#include <algorithm>
#include <chrono>

#include "libvi/base/errors.h"
#include "pipeline/config/libvi_options.h"

namespace ntm {

ScoringMethods::ScoringMethods(const Model& model, const std::vector<std::string>& names,
                               const Config& config)
    : names_(names), model_(model), inference_(model), config_(config) {
  const bool lda = model.options().decoder == DecoderKind::kLda;
  if (lda) beta_ = model.TopicMatrixRowMajor();
  for (const auto& name : names_) {
    if (name != "amortized" && name != "refined" && name != "classical" && name != "ln-vi") {
      throw ConfigError("score.methods: unknown method '" + name + "'");
    }
    if (name == "classical" && !lda) {
      throw ConfigError(
          "method 'classical' needs a model with the lda decoder (this model uses "
          "prodlda, whose topics are not a mixture); use amortized, refined or ln-vi");
    }
  }
  if (std::find(names_.begin(), names_.end(), "classical") != names_.end()) {
    const TopicsView topics{model.options().num_topics, model.options().vocab_size, beta_};
    const std::vector<double> alpha = {model.options().alpha};
    classical_ = std::make_unique<ClassicalVi>(topics, alpha, ClassicalOptionsFrom(config));
  }
}

ScoringMethods::~ScoringMethods() = default;

int ScoringMethods::Find(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  return it == names_.end() ? -1 : static_cast<int>(it - names_.begin());
}

namespace {

class Stopwatch {
 public:
  explicit Stopwatch(double* total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() { Stop(); }
  void Stop() {
    if (!total_) return;
    *total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    total_ = nullptr;
  }

 private:
  double* total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

MethodResult ScoringMethods::Run(size_t m, const BowView& docs, double* inference_seconds) const {
  MethodResult out;
  const std::string& name = names_[m];
  Stopwatch timer(inference_seconds);
  if (name == "amortized") {
    AmortizedOptions options = AmortizedOptionsFrom(config_);
    options.compute_elbo = false;
    out.theta = inference_.Amortized(docs, options).theta;
    timer.Stop();
    out.elbo = inference_.Amortized(docs, AmortizedOptionsFrom(config_)).elbo;
    return out;
  }
  if (name == "classical") {
    ClassicalViBatch batch = classical_->InferBatch(docs);
    out.theta = std::move(batch.theta);
    out.elbo = std::move(batch.elbo);
    return out;
  }
  InferenceResult r;
  if (name == "refined") {
    // Timed: the refinement a user runs. Untimed: the same steps again with
    // ELBO evaluations after 1, 5 and 20 steps for the gap figures.
    RefineOptions options = RefineOptionsFrom(config_);
    options.compute_elbo = false;
    options.record_steps.clear();
    out.theta = inference_.Refined(docs, options).theta;
    timer.Stop();
    r = inference_.Refined(docs, RefineOptionsFrom(config_));
    out.elbo = std::move(r.elbo);
    out.record_steps = std::move(r.record_steps);
    out.elbo_at_steps = std::move(r.elbo_at_steps);
    return out;
  }
  if (name == "ln-vi") r = inference_.LnVi(docs, LnViOptionsFrom(config_));
  out.theta = std::move(r.theta);
  out.elbo = std::move(r.elbo);
  out.record_steps = std::move(r.record_steps);
  out.elbo_at_steps = std::move(r.elbo_at_steps);
  return out;
}

}  // namespace ntm
