// Classical mean-field variational inference for LDA (Blei, Ng & Jordan 2003)
// of one document's topic mixture against fixed topics β: the per-document
// E-step, in the "exp E[log θ]" form of scikit-learn's _update_doc_distribution,
// so that φ is never stored and each iteration is two matrix-vector products
// over the document's distinct terms. Those run in float while γ still moves
// by much more than float rounding, then in double; γ, θ's normalisation and
// the ELBO are always accumulated in double.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libvi/aligned_vector.h"
#include "libvi/bow.h"

namespace ntm {

// Fixed topics: K×V row-major term probabilities, each row sums to 1 (non-owning).
struct TopicsView {
  int32_t num_topics = 0;
  int32_t vocab_size = 0;
  std::span<const float> beta;  // num_topics * vocab_size entries

  // β_kw.
  float at(int32_t k, int32_t w) const {
    return beta[static_cast<size_t>(k) * static_cast<size_t>(vocab_size) + w];
  }
};

// Checks shape, finiteness, non-negativity and (if `normalized`) row sums
// (within 1e-3); throws InputError.
void ValidateTopics(const TopicsView& topics, bool normalized = true);

// Stopping rule of the per-document coordinate ascent.
struct ClassicalViOptions {
  // Iteration cap (= score.classical_max_iter), rarely reached at tol 1e-3;
  // scikit-learn's max_doc_update_iter default is 100. Documents that hit it
  // report converged = false.
  int32_t max_iter = 200;
  // Stop when mean_k |γ_k(new) - γ_k(old)| < tol (scikit-learn's mean_change_tol).
  double tol = 1e-3;
  // Rows of β must sum to 1 (within 1e-3). Online VB's E-step runs against
  // exp(E[log β]) under a Dirichlet posterior, whose rows sum to less: false
  // checks only that β is finite and non-negative.
  bool normalized_topics = true;
};

// Per-document scratch buffers; reuse one per thread so that inference does
// not allocate (it grows only for a document longer than any seen before).
class ClassicalViWorkspace {
 public:
  // Sizes the buffers for K topics and documents of up to `max_terms` distinct terms.
  void Reserve(int32_t num_topics, int64_t max_terms);

 private:
  friend class ClassicalVi;
  // Buffers of the hot loop in one precision.
  template <typename Scalar>
  struct Buffers {
    AlignedVector<Scalar> beta_doc;  // distinct terms × K, column-major: β of the document's terms
    AlignedVector<Scalar> counts;    // per distinct term: its count
    AlignedVector<Scalar> norms;     // per distinct term: Σ_k β_kw exp(E[log θ_k])
    AlignedVector<Scalar> weights;   // per distinct term: count / norm
    AlignedVector<Scalar> exp_elog;  // K: exp(E[log θ_k]) in this precision
    AlignedVector<Scalar> accum;     // K: Σ_n weight_n β_{k,w_n}

    void Reserve(size_t num_topics, size_t max_terms);
  };
  Buffers<float> single_;           // most iterations: twice the SIMD lanes of double
  Buffers<double> double_;          // the last iterations, once float rounding could stall them
  AlignedVector<double> exp_elog_;  // K: exp(E_q[log θ_k])
  AlignedVector<double> elog_;      // K: E_q[log θ_k]
};

// What one document's inference produced.
struct DocumentInference {
  int32_t iterations = 0;  // coordinate-ascent iterations run
  bool converged = false;  // true if tol was reached before max_iter
  double elbo = 0.0;       // full LDA ELBO of the final (γ, φ*(γ)), nats
};

// Topic mixtures and ELBOs of a batch of documents.
struct ClassicalViBatch {
  std::vector<float> theta;         // D×K, rows sum to 1
  std::vector<double> elbo;         // D, nats per document
  std::vector<int32_t> iterations;  // D
};

// Classical VI against fixed topics and a Dirichlet prior; immutable after
// construction, so one instance serves many threads (each with a workspace).
class ClassicalVi {
 public:
  // Copies the topics (transposed, so a term's K probabilities are contiguous)
  // and alpha (K entries, or one entry for a symmetric prior).
  // Throws InputError for bad topics, ConfigError for bad alpha or options.
  ClassicalVi(const TopicsView& topics, std::span<const double> alpha,
              const ClassicalViOptions& options = {});

  // Infers γ (K) and θ = γ/Σγ (K) of one document. If `elbo_trace` is not
  // null, appends the ELBO before every iteration and the final one (this
  // allocates). Throws NumericalError on non-finite values.
  DocumentInference InferDocument(const DocView& doc, ClassicalViWorkspace& workspace,
                                  std::span<double> gamma, std::span<float> theta,
                                  std::vector<double>* elbo_trace = nullptr) const;

  // Coordinate ascent from the γ passed in (a warm start, e.g. from the
  // encoder's posterior) instead of γ = 1; leaves γ updated and the
  // workspace ready for AddTopicStatistics. The ELBO is not computed
  // (result.elbo = 0): online VB's E-step needs only γ and φ.
  DocumentInference InferFromWarmStart(const DocView& doc, ClassicalViWorkspace& workspace,
                                       std::span<double> gamma) const;
  // After InferFromWarmStart (or InferDocument) of `doc` with `workspace`:
  // adds n_w φ_wk = n_w β_kw exp(E[log θ_k]) / Σ_j β_jw exp(E[log θ_j]) to
  // stats[w·K + k] for each of the document's terms w: its expected
  // topic-term counts, the M-step's sufficient statistics (each ≤ n_w).
  // `stats` is K×V column-major (K·V entries).
  // Defined for float and double statistics.
  template <typename Stat>
  void AddTopicStatistics(const DocView& doc, const ClassicalViWorkspace& workspace,
                          std::span<Stat> stats) const;

  // Infers every document; θ is D×K row-major, elbo has D entries.
  // NumericalError messages name the document index within `docs`.
  void InferBatch(const BowView& docs, ClassicalViWorkspace& workspace, std::span<float> theta,
                  std::span<double> elbo, std::span<int32_t> iterations = {}) const;
  // Convenience overload that allocates its outputs and workspace.
  ClassicalViBatch InferBatch(const BowView& docs) const;

  // Number of topics K.
  int32_t num_topics() const { return num_topics_; }
  // The Dirichlet prior, K entries.
  std::span<const double> alpha() const { return alpha_; }

 private:
  template <typename Scalar>
  void GatherTopicColumns(const DocView& doc, ClassicalViWorkspace::Buffers<Scalar>& b) const;
  template <typename Scalar>
  bool UpdateNormalisers(const DocView& doc, ClassicalViWorkspace& ws,
                         ClassicalViWorkspace::Buffers<Scalar>& b) const;
  double Step(const DocView& doc, ClassicalViWorkspace& ws, std::span<double> gamma,
              bool& in_double) const;
  template <typename Scalar>
  double UpdateGamma(ClassicalViWorkspace& ws, const ClassicalViWorkspace::Buffers<Scalar>& b,
                     std::span<double> gamma) const;
  void RunIterations(const DocView& doc, ClassicalViWorkspace& ws, std::span<double> gamma,
                     DocumentInference& result, std::vector<double>* elbo_trace) const;
  double Elbo(const DocView& doc, ClassicalViWorkspace& ws, std::span<const double> gamma) const;
  void CheckDocument(const DocView& doc) const;
  void StartFrom(const DocView& doc, ClassicalViWorkspace& ws, std::span<const double> gamma) const;

  int32_t num_topics_ = 0;
  int32_t vocab_size_ = 0;
  AlignedVector<float> beta_by_term_;  // V×K: β transposed
  AlignedVector<double> alpha_;
  double log_prior_norm_ = 0.0;  // log Γ(Σα) - Σ log Γ(α_k)
  ClassicalViOptions options_;
};

}  // namespace ntm
