// The AVITM neural topic model (Srivastava & Sutton 2017) and its
// data-parallel training step.
//
// Model: sparse counts → two softplus layers (H units) → dropout → μ and
// log σ² heads, each with batch norm (scale 1, learnable shift) → θ =
// softmax(μ + σ ε) → lda or prodlda decoder. Prior: Laplace approximation of
// a symmetric Dirichlet(α). Loss per document: −Σ_w n_w log p(w|θ) + KL(q‖p).
// Training: see trainer.h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "libvi/aligned_vector.h"
#include "libvi/bow.h"
#include "libvi/decoder.h"
#include "libvi/elbo.h"
#include "libvi/encoder.h"
#include "libvi/parameters.h"

namespace ntm {

// Architecture and initialisation of the model.
struct ModelOptions {
  int32_t vocab_size = 0;                   // V: required, ≥ 1
  int32_t num_topics = 50;                  // K ≥ 2
  int32_t hidden_units = 100;               // H ≥ 1, width of both softplus layers
  DecoderKind decoder = DecoderKind::kLda;  // lda (default) or prodlda
  double dropout = 0.2;                     // drop probability after layer 2, in [0, 1)
  double alpha = 1.0;                       // symmetric Dirichlet prior, > 0
  double batch_norm_eps = 1e-5;             // added to the variance, > 0
  // lda: std of the initial topic logits, ≥ 0. Larger values give more
  // diverse topics but learn small corpora more slowly; the learning rate
  // matters far more (docs/benchmarks.md, "Topic quality").
  double decoder_init_scale = 0.1;
  uint64_t init_seed = 1;  // seed of the parameter initialisation
};

// Throws ConfigError listing every violated constraint.
void ValidateModelOptions(const ModelOptions& options);

// Parameters, batch-norm statistics and options of a model.
template <typename T>
class BasicModel {
 public:
  // A randomly initialised model (seeded by options.init_seed).
  explicit BasicModel(const ModelOptions& options);

  const ModelOptions& options() const { return options_; }     // options it was built with
  const ParameterLayout& layout() const { return layout_; }    // parameter block layout
  const LaplacePrior<T>& prior() const { return prior_; }      // Laplace prior N(μ0, σ0²)
  std::span<T> parameters() { return params_; }                // flat parameter buffer
  std::span<const T> parameters() const { return params_; }    // flat parameter buffer
  LayerViews<T> views() { return {params_.data(), layout_}; }  // per-block views
  LayerViews<const T> views() const { return {params_.data(), layout_}; }        // per-block views
  LayerViews<const T> const_views() const { return {params_.data(), layout_}; }  // read-only
  BatchNormState<T>& batch_norm() { return bn_; }              // batch-norm statistics
  const BatchNormState<T>& batch_norm() const { return bn_; }  // batch-norm statistics

  // β (K×V, column-major, rows sum to 1). Throws ConfigError for prodlda,
  // whose topics are not distributions mixed linearly.
  MatrixX<T> TopicMatrix() const;
  // β as K×V row-major floats (rows sum to 1); ConfigError for prodlda.
  std::vector<float> TopicMatrixRowMajor() const;
  // Per-topic word scores for ranking top words, K×V row-major, either decoder
  // (lda: logits; prodlda: W). Not probabilities.
  std::vector<float> TopicWordScores() const;
  // Throws ConfigError unless the decoder is lda; `use` names the caller.
  void RequireLdaDecoder(std::string_view use) const;

  // Options, parameters and batch-norm statistics as a byte blob.
  std::vector<uint8_t> Serialize() const;
  // Reads a blob from Serialize or BasicTrainer::Serialize; InputError if bad
  // (sizes are checked against the blob's length before anything is allocated).
  static BasicModel Deserialize(std::span<const uint8_t> blob);

 private:
  void Initialise();

  ModelOptions options_;
  ParameterLayout layout_;
  LaplacePrior<T> prior_;
  AlignedVector<T> params_;
  BatchNormState<T> bn_;
};

using Model = BasicModel<float>;

}  // namespace ntm
