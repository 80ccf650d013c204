#include "pipeline/score_methods.h"

#include <algorithm>

#include "libvi/errors.h"
#include "pipeline/libvi_options.h"

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

MethodResult ScoringMethods::Run(size_t m, const BowView& docs) const {
  MethodResult out;
  const std::string& name = names_[m];
  if (name == "classical") {
    ClassicalViBatch batch = classical_->InferBatch(docs);
    out.theta = std::move(batch.theta);
    out.elbo = std::move(batch.elbo);
    return out;
  }
  InferenceResult r;
  if (name == "amortized") r = inference_.Amortized(docs, AmortizedOptionsFrom(config_));
  if (name == "refined") r = inference_.Refined(docs, RefineOptionsFrom(config_));
  if (name == "ln-vi") r = inference_.LnVi(docs, LnViOptionsFrom(config_));
  out.theta = std::move(r.theta);
  out.elbo = std::move(r.elbo);
  out.record_steps = std::move(r.record_steps);
  out.elbo_at_steps = std::move(r.elbo_at_steps);
  return out;
}

}  // namespace ntm
