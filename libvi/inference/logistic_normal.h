// Per-document inference on a trained model, three ways, all in the same
// logistic-normal family q(θ) = softmax(N(μ, diag σ²)) and scored by the same
// objective:
//   amortized — one encoder pass (evaluation mode: running batch-norm
//               statistics, no dropout);
//   refined   — N gradient steps on the document's own ELBO w.r.t. (μ, log σ²),
//               started from the encoder output (semi-amortized, SA-VAE);
//   ln-vi     — the same ELBO optimised to convergence (L-BFGS) from the
//               encoder output and from the prior; the better one is kept.
//
// The ELBO of a document is E_q[log p(words|θ)] − KL(q‖prior), in nats, with
// the expectation estimated on S common random draws ε_1..S seeded by the
// document key (and DrawOptions::seed; the draws are a key-chosen window of a
// fixed table of 2^16 standard normals while S·K ≤ 2^16, fresh Box-Muller
// draws beyond). It is deterministic, so ELBO(ln-vi) −
// ELBO(amortized) — the amortization gap — is never negative when both use the
// same DrawOptions. The log multinomial coefficient log(N!/Π n_w!) is left out,
// as in AVITM. θ is E_q[θ], estimated on the same draws.
//
// Every method is const and keeps its scratch space per call, so callers may
// run several calls in parallel on one BasicTopicInference. A document's
// results do not depend on the other documents in the call.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libvi/bow.h"
#include "libvi/encoder.h"
#include "libvi/model.h"

namespace ntm {

// The common random draws behind θ estimates and ELBOs.
struct DrawOptions {
  int32_t num_samples = 20;         // S ≥ 1 draws of ε per document
  uint64_t seed = 0x6e746d5eedULL;  // combined with the document key
};

// Options of the amortized method.
struct AmortizedOptions {
  DrawOptions draws;
  bool compute_elbo = true;  // false: θ only (the ELBO costs S·terms·K per document)
};

// How the refined method steps.
enum class RefineAlgorithm {
  // Newton's method on the document's Laplace objective (Wang & Blei 2013):
  // f(μ) = Σ_w n_w log Σ_k softmax(μ)_k β_kw − ½ Σ_k (μ_k − μ0_k)² / σ0²_k,
  // the Hessian exact on the topics the note uses and diagonal on the rest,
  // a backtracking line search, stopping once the Newton decrement is below
  // `tolerance`; then σ²_k = min(encoder's σ²_k, 1 / −∂²f/∂μ_k²)
  // (libvi/inference/laplace_newton.h). Deterministic: no draws until
  // θ = E_q[θ] and the ELBO are reported. lda decoder only (prodlda falls
  // back to kSgd).
  kNewton,
  // SA-VAE (Kim et al. 2018): SGD with momentum on a one-draw Monte-Carlo
  // ELBO w.r.t. (μ, log σ²), learning rate 1, momentum 0.5, clip 5.
  kSgd,
};

// Options of the refined method. SGD: SA-VAE's sentences have ~20 tokens; on
// the summed ELBO of a long note its settings overshoot (the curvature grows
// with the token count N), so by default its steps follow ELBO / N.
struct RefineOptions {
  DrawOptions draws;
  RefineAlgorithm algorithm = RefineAlgorithm::kNewton;
  int32_t num_steps = 20;             // Newton: step cap; SGD: steps per document
  double tolerance = 0.01;            // Newton: stop when ½ gᵀH⁻¹g < tolerance (nats)
  double learning_rate = 1.0;         // SGD step size
  double momentum = 0.5;              // SGD heavy-ball momentum
  double clip_norm = 5.0;             // SGD: clip the (μ, log σ²) gradient norm; 0 = off
  bool per_token = true;              // SGD: step on ELBO / N (true) or on the ELBO itself
  int32_t samples_per_step = 1;       // SGD: draws per step, cycled through the S draws; 0 = all S
  std::vector<int32_t> record_steps;  // also report the ELBO after these steps (0 = start)
  bool compute_elbo = true;           // report the final ELBO
};

// Options of the ln-vi method.
struct LnViOptions {
  DrawOptions draws;
  int32_t max_iterations = 500;  // L-BFGS iterations per start (= score.lnvi_max_iter)
  double tolerance = 1e-6;       // stop when an iteration improves by < tolerance·max(1, |ELBO|)
  int32_t history = 8;           // L-BFGS memory
  bool start_from_prior = true;  // also start from the prior and keep the better optimum
};

// Throws ConfigError listing every violated constraint.
void ValidateAmortizedOptions(const AmortizedOptions& options);
// Throws ConfigError listing every violated constraint.
void ValidateRefineOptions(const RefineOptions& options);
// Throws ConfigError listing every violated constraint.
void ValidateLnViOptions(const LnViOptions& options);

// Results of one method for D documents.
struct InferenceResult {
  int64_t num_docs = 0;
  int32_t num_topics = 0;
  std::vector<float> theta;              // D×K row-major: E_q[θ], rows sum to 1
  std::vector<double> elbo;              // D: ELBO in nats (empty if not computed)
  std::vector<float> mu;                 // D×K: final μ
  std::vector<float> log_var;            // D×K: final log σ²
  std::vector<double> start_elbo;        // D: ELBO at the encoder output (ln-vi only)
  std::vector<int32_t> record_steps;     // refined: steps whose ELBO is in elbo_at_steps
  std::vector<double> elbo_at_steps;     // refined: D × record_steps.size(), row-major
  std::vector<int32_t> iterations;       // ln-vi: L-BFGS iterations of the kept optimum;
                                         // refined (Newton): steps taken
  std::vector<uint8_t> prior_start_won;  // ln-vi: 1 when the prior start gave the better ELBO
};

// Inference on a trained model. Keeps a reference to `model`, which must
// outlive it and not change while it is used; precomputes β (lda).
template <typename T>
class BasicTopicInference {
 public:
  // Prepares inference on `model` (evaluation-mode batch norm).
  explicit BasicTopicInference(const BasicModel<T>& model);

  // One encoder pass per document.
  InferenceResult Amortized(const BowView& docs, const AmortizedOptions& options) const;
  // Encoder pass, then options.num_steps gradient steps per document.
  InferenceResult Refined(const BowView& docs, const RefineOptions& options) const;
  // Encoder pass, then per-document optimisation to convergence.
  InferenceResult LnVi(const BowView& docs, const LnViOptions& options) const;

  // ELBO of one document at (μ, log σ²) on its common draws; if g_mu and
  // g_lv are non-empty, writes ∂ELBO/∂μ and ∂ELBO/∂log σ² (K each).
  double Elbo(const DocView& doc, std::span<const T> mu, std::span<const T> log_var,
              const DrawOptions& draws, std::span<T> g_mu = {}, std::span<T> g_lv = {}) const;

  const BasicModel<T>& model() const { return model_; }  // the model inferred with
  const MatrixX<T>& topics() const { return beta_; }     // β, K×V (empty for prodlda)
  const BatchNormNormaliser<T>& normaliser() const { return norm_; }  // evaluation batch norm

 private:
  InferenceResult RefinedNewton(const BowView& docs, const RefineOptions& options) const;
  template <typename PerDocument>
  void ForEachEncoded(const BowView& docs, PerDocument&& per_document) const;

  const BasicModel<T>& model_;
  MatrixX<T> beta_;
  BatchNormNormaliser<T> norm_;
};

using TopicInference = BasicTopicInference<float>;

}  // namespace ntm
