#include "pipeline/score/methods.h"

#include <algorithm>
#include <chrono>

#include "libvi/base/errors.h"
#include "pipeline/config/libvi_options.h"

namespace ntm {

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

MethodResult FromInference(InferenceResult r) {
  MethodResult out;
  out.theta = std::move(r.theta);
  out.elbo = std::move(r.elbo);
  out.record_steps = std::move(r.record_steps);
  out.elbo_at_steps = std::move(r.elbo_at_steps);
  return out;
}

}  // namespace

struct ScoringMethods::Method {
  const char* name;
  bool needs_lda;  // runs on β as a mixture of topics (the lda decoder only)
  MethodResult (ScoringMethods::*run)(const BowView& docs, double* inference_seconds) const;
};

// The one table of methods: adding a method is one row here and one Run function.
const ScoringMethods::Method* ScoringMethods::Lookup(const std::string& name) {
  static constexpr Method kMethods[] = {
      {kMethodAmortized, false, &ScoringMethods::RunAmortized},
      {kMethodRefined, false, &ScoringMethods::RunRefined},
      {kMethodClassical, true, &ScoringMethods::RunClassical},
      {kMethodLnVi, false, &ScoringMethods::RunLnVi},
  };
  static_assert(std::size(kMethods) == kAllMethods.size());
  for (const Method& m : kMethods) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

ScoringMethods::ScoringMethods(const Model& model, const std::vector<std::string>& names,
                               const Config& config)
    : names_(names), model_(model), inference_(model), config_(config) {
  const bool lda = model.options().decoder == DecoderKind::kLda;
  if (lda) beta_ = model.TopicMatrixRowMajor();
  for (const auto& name : names_) {
    const Method* method = Lookup(name);
    if (method == nullptr) throw ConfigError("score.methods: unknown method '" + name + "'");
    if (method->needs_lda && !lda) {
      throw ConfigError("method '" + name +
                        "' needs a model with the lda decoder (this model uses "
                        "prodlda, whose topics are not a mixture); use amortized, refined or "
                        "ln-vi");
    }
    methods_.push_back(method);
  }
  if (Find(kMethodClassical) >= 0) {
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

MethodResult ScoringMethods::Run(size_t m, const BowView& docs, double* inference_seconds) const {
  return (this->*methods_[m]->run)(docs, inference_seconds);
}

MethodResult ScoringMethods::RunAmortized(const BowView& docs, double* inference_seconds) const {
  // Timed: θ alone. Untimed: the ELBO for the report, which costs far more.
  Stopwatch timer(inference_seconds);
  AmortizedOptions options = AmortizedOptionsFrom(config_);
  options.compute_elbo = false;
  MethodResult out;
  out.theta = inference_.Amortized(docs, options).theta;
  timer.Stop();
  out.elbo = inference_.Amortized(docs, AmortizedOptionsFrom(config_)).elbo;
  return out;
}

MethodResult ScoringMethods::RunRefined(const BowView& docs, double* inference_seconds) const {
  // Timed: the refinement a user runs. Untimed: the same steps again with
  // ELBO evaluations after 1, 5 and 20 steps for the gap figures.
  Stopwatch timer(inference_seconds);
  RefineOptions options = RefineOptionsFrom(config_);
  options.compute_elbo = false;
  options.record_steps.clear();
  std::vector<float> theta = inference_.Refined(docs, options).theta;
  timer.Stop();
  MethodResult out = FromInference(inference_.Refined(docs, RefineOptionsFrom(config_)));
  out.theta = std::move(theta);
  return out;
}

MethodResult ScoringMethods::RunClassical(const BowView& docs, double* inference_seconds) const {
  Stopwatch timer(inference_seconds);
  ClassicalViBatch batch = classical_->InferBatch(docs);
  MethodResult out;
  out.theta = std::move(batch.theta);
  out.elbo = std::move(batch.elbo);
  return out;
}

MethodResult ScoringMethods::RunLnVi(const BowView& docs, double* inference_seconds) const {
  Stopwatch timer(inference_seconds);
  return FromInference(inference_.LnVi(docs, LnViOptionsFrom(config_)));
}

}  // namespace ntm
