#include "libvi/inference/classical_vi.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/special_functions.h"

namespace ntm {
namespace {

using VectorMap = Eigen::Map<Eigen::VectorXd>;

// Float sums of a few hundred terms are good to ~1e-7 relative; 100 times
// that, a mean change of γ is still movement, not rounding.
constexpr double kFloatNoise = 1e-5;

// Row sums of β may drift from 1 by float rounding; more means wrong input.
constexpr double kRowSumTolerance = 1e-3;

AlignedVector<double> ExpandAlpha(std::span<const double> alpha, int32_t num_topics) {
  if (alpha.size() != 1 && alpha.size() != static_cast<size_t>(num_topics)) {
    throw ConfigError("classical VI: alpha has " + std::to_string(alpha.size()) +
                      " entries, expected 1 or " + std::to_string(num_topics));
  }
  for (double a : alpha) {
    if (!(a > 0.0) || !std::isfinite(a)) {
      throw ConfigError("classical VI: alpha must be finite and > 0");
    }
  }
  if (alpha.size() == 1) return AlignedVector<double>(num_topics, alpha[0]);
  return {alpha.begin(), alpha.end()};
}

void CheckOptions(const ClassicalViOptions& options) {
  if (options.max_iter < 1) throw ConfigError("classical VI: max_iter must be >= 1");
  if (!(options.tol > 0.0) || !std::isfinite(options.tol)) {
    throw ConfigError("classical VI: tol must be finite and > 0");
  }
}

// Names the first term whose mixture probability is zero or not finite.
[[noreturn]] void ThrowBadNormaliser(const DocView& doc, std::span<const double> norms) {
  for (size_t i = 0; i < norms.size(); ++i) {
    if (!(norms[i] > 0.0) || !std::isfinite(doc.counts[i] / norms[i])) {
      throw NumericalError("classical VI: term id " + std::to_string(doc.terms[i]) +
                           " has probability " + std::to_string(norms[i]) + " under the mixture");
    }
  }
  throw NumericalError("classical VI: topic weights overflowed");
}

}  // namespace

void ValidateTopics(const TopicsView& topics, bool normalized) {
  const int64_t k = topics.num_topics, v = topics.vocab_size;
  if (k <= 0 || v <= 0 || static_cast<int64_t>(topics.beta.size()) != k * v) {
    throw InputError("topics: expected " + std::to_string(k) + "x" + std::to_string(v) +
                     " values, got " + std::to_string(topics.beta.size()));
  }
  for (int64_t row = 0; row < k; ++row) {
    double sum = 0.0;
    for (float b : topics.beta.subspan(row * v, v)) {
      if (!(b >= 0.0f) || !std::isfinite(b)) {
        throw InputError("topics: row " + std::to_string(row) +
                         " has a negative or non-finite value");
      }
      sum += b;
    }
    if (normalized && std::abs(sum - 1.0) > kRowSumTolerance) {
      throw InputError("topics: row " + std::to_string(row) + " sums to " + std::to_string(sum));
    }
  }
}

template <typename Scalar>
void ClassicalViWorkspace::Buffers<Scalar>::Reserve(size_t num_topics, size_t max_terms) {
  if (beta_doc.size() < max_terms * num_topics) beta_doc.resize(max_terms * num_topics);
  if (norms.size() < max_terms) {
    counts.resize(max_terms);
    norms.resize(max_terms);
    weights.resize(max_terms);
  }
  exp_elog.resize(num_topics);
  accum.resize(num_topics);
}

void ClassicalViWorkspace::Reserve(int32_t num_topics, int64_t max_terms) {
  const size_t k = std::max(num_topics, 0), n = std::max<int64_t>(max_terms, 0);
  single_.Reserve(k, n);
  double_.Reserve(k, n);
  exp_elog_.resize(k);
  elog_.resize(k);
}

ClassicalVi::ClassicalVi(const TopicsView& topics, std::span<const double> alpha,
                         const ClassicalViOptions& options)
    : num_topics_(topics.num_topics),
      vocab_size_(topics.vocab_size),
      alpha_(ExpandAlpha(alpha, topics.num_topics)),
      options_(options) {
  ValidateTopics(topics, options.normalized_topics);
  CheckOptions(options);
  beta_by_term_.resize(topics.beta.size());
  for (int32_t k = 0; k < num_topics_; ++k) {
    for (int32_t w = 0; w < vocab_size_; ++w) {
      beta_by_term_[static_cast<size_t>(w) * num_topics_ + k] = topics.at(k, w);
    }
  }
  double alpha_sum = 0.0;
  log_prior_norm_ = 0.0;
  for (double a : alpha_) {
    alpha_sum += a;
    log_prior_norm_ -= LogGamma(a);
  }
  log_prior_norm_ += LogGamma(alpha_sum);
}

void ClassicalVi::CheckDocument(const DocView& doc) const {
  if (doc.terms.size() != doc.counts.size()) {
    throw InputError("classical VI: document has mismatched terms and counts");
  }
  for (int32_t w : doc.terms) {
    if (w < 0 || w >= vocab_size_) {
      throw InputError("classical VI: term id " + std::to_string(w) + " outside vocabulary of " +
                       std::to_string(vocab_size_));
    }
  }
}

// Copies the β columns of the document's terms into a terms × K column-major block.
template <typename Scalar>
void ClassicalVi::GatherTopicColumns(const DocView& doc,
                                     ClassicalViWorkspace::Buffers<Scalar>& b) const {
  const size_t n = doc.terms.size(), k = num_topics_;
  std::copy(doc.counts.begin(), doc.counts.end(), b.counts.begin());
  for (size_t i = 0; i < n; ++i) {
    const float* column = beta_by_term_.data() + static_cast<size_t>(doc.terms[i]) * k;
    for (size_t j = 0; j < k; ++j) b.beta_doc[j * n + i] = column[j];
  }
}

// norm_n = Σ_k β_{k,w_n} exp(E[log θ_k]) for every term, then
// accum = Σ_n (c_n/norm_n) β_{·,w_n}: two matrix-vector products, which keep
// the SIMD lanes busy (a fused per-term loop serialises on accum and is slower).
// Returns false if a normaliser under- or overflowed in this precision.
template <typename Scalar>
bool ClassicalVi::UpdateNormalisers(const DocView& doc, ClassicalViWorkspace& ws,
                                    ClassicalViWorkspace::Buffers<Scalar>& b) const {
  using Vector = Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>;
  const Eigen::Index n = static_cast<Eigen::Index>(doc.terms.size()), k = num_topics_;
  const Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>> beta_doc(
      b.beta_doc.data(), n, k);
  Vector norms(b.norms.data(), n), weights(b.weights.data(), n), accum(b.accum.data(), k);
  Vector(b.exp_elog.data(), k) = VectorMap(ws.exp_elog_.data(), k).cast<Scalar>();
  norms.noalias() = beta_doc * Vector(b.exp_elog.data(), k);
  weights = Vector(b.counts.data(), n).cwiseQuotient(norms);  // inf or NaN if norm_n is 0
  accum.noalias() = beta_doc.transpose() * weights;
  return std::isfinite(weights.sum()) && std::isfinite(accum.sum());
}

// One coordinate-ascent step in float, or in double from `in_double` on (also
// when float under- or overflows). Returns the mean absolute change of γ.
double ClassicalVi::Step(const DocView& doc, ClassicalViWorkspace& ws, std::span<double> gamma,
                         bool& in_double) const {
  if (!in_double) {
    if (UpdateNormalisers(doc, ws, ws.single_)) return UpdateGamma(ws, ws.single_, gamma);
    GatherTopicColumns(doc, ws.double_);
    in_double = true;
  }
  if (!UpdateNormalisers(doc, ws, ws.double_)) {
    ThrowBadNormaliser(doc, std::span<const double>(ws.double_.norms.data(), doc.terms.size()));
  }
  return UpdateGamma(ws, ws.double_, gamma);
}

// γ_k = α_k + exp(E[log θ_k]) accum_k; refreshes E[log θ].
// Returns the mean absolute change of γ.
template <typename Scalar>
double ClassicalVi::UpdateGamma(ClassicalViWorkspace& ws,
                                const ClassicalViWorkspace::Buffers<Scalar>& b,
                                std::span<double> gamma) const {
  double change = 0.0, gamma_sum = 0.0;
  for (int32_t k = 0; k < num_topics_; ++k) {
    const double updated = alpha_[k] + ws.exp_elog_[k] * static_cast<double>(b.accum[k]);
    change += std::abs(updated - gamma[k]);
    gamma[k] = updated;
    gamma_sum += updated;
  }
  const double digamma_sum = Digamma(gamma_sum);
  for (int32_t k = 0; k < num_topics_; ++k) ws.elog_[k] = Digamma(gamma[k]) - digamma_sum;
  VectorMap(ws.exp_elog_.data(), num_topics_) =
      VectorMap(ws.elog_.data(), num_topics_).array().exp();  // SIMD exp
  return change / num_topics_;
}

// The full ELBO at γ with φ at its optimum for γ, in double. Σ_n c_n log norm_n
// is E[log p(z|θ)] + E[log p(w|z,β)] - E[log q(z)]; the rest is
// E[log p(θ|α)] - E[log q(θ|γ)]. Needs ws.elog_ computed from this γ.
double ClassicalVi::Elbo(const DocView& doc, ClassicalViWorkspace& ws,
                         std::span<const double> gamma) const {
  const size_t n = doc.terms.size(), k_topics = num_topics_;
  const float* beta_doc = ws.single_.beta_doc.data();  // exact: β is float
  double total = log_prior_norm_, gamma_sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double norm = 0.0;
    for (size_t k = 0; k < k_topics; ++k) norm += double{beta_doc[k * n + i]} * ws.exp_elog_[k];
    total += doc.counts[i] * std::log(norm);
  }
  for (size_t k = 0; k < k_topics; ++k) {
    total += (alpha_[k] - gamma[k]) * ws.elog_[k] + LogGamma(gamma[k]);
    gamma_sum += gamma[k];
  }
  return total - LogGamma(gamma_sum);
}

// Coordinate ascent from the current γ. Float sums carry relative errors of
// ~1e-7, so once γ moves by less than kFloatNoise · mean γ the float changes
// could be rounding alone: if tol is below that, the rest runs in double.
void ClassicalVi::RunIterations(const DocView& doc, ClassicalViWorkspace& ws,
                                std::span<double> gamma, DocumentInference& result,
                                std::vector<double>* elbo_trace) const {
  const double float_floor = kFloatNoise *
                             (std::accumulate(alpha_.begin(), alpha_.end(), 0.0) +
                              std::accumulate(doc.counts.begin(), doc.counts.end(), 0.0)) /
                             num_topics_;
  bool in_double = false;
  while (result.iterations < options_.max_iter && !result.converged) {
    if (elbo_trace) elbo_trace->push_back(Elbo(doc, ws, gamma));
    const double change = Step(doc, ws, gamma, in_double);
    ++result.iterations;
    result.converged = change < options_.tol && (in_double || options_.tol >= float_floor);
    if (!result.converged && !in_double && change < float_floor) {
      GatherTopicColumns(doc, ws.double_);
      in_double = true;
    }
  }
}

DocumentInference ClassicalVi::InferDocument(const DocView& doc, ClassicalViWorkspace& ws,
                                             std::span<double> gamma, std::span<float> theta,
                                             std::vector<double>* elbo_trace) const {
  CheckDocument(doc);
  if (gamma.size() != static_cast<size_t>(num_topics_) || theta.size() != gamma.size()) {
    throw InputError("classical VI: gamma and theta need " + std::to_string(num_topics_) +
                     " entries");
  }
  ws.Reserve(num_topics_, static_cast<int64_t>(doc.terms.size()));
  GatherTopicColumns(doc, ws.single_);
  // γ = 1 (not scikit-learn fit's random gamma(100, 0.01)) keeps results deterministic.
  const double elog_one = Digamma(1.0) - Digamma(static_cast<double>(num_topics_));
  std::fill(gamma.begin(), gamma.end(), 1.0);
  std::fill(ws.elog_.begin(), ws.elog_.end(), elog_one);
  std::fill(ws.exp_elog_.begin(), ws.exp_elog_.end(), std::exp(elog_one));
  DocumentInference result;
  RunIterations(doc, ws, gamma, result, elbo_trace);
  result.elbo = Elbo(doc, ws, gamma);
  if (elbo_trace) elbo_trace->push_back(result.elbo);
  const double gamma_sum = std::accumulate(gamma.begin(), gamma.end(), 0.0);
  if (!std::isfinite(result.elbo) || !std::isfinite(gamma_sum)) {
    throw NumericalError("classical VI: non-finite ELBO or gamma");
  }
  for (int32_t k = 0; k < num_topics_; ++k) theta[k] = static_cast<float>(gamma[k] / gamma_sum);
  return result;
}

// Sizes the workspace for `doc`, gathers its β columns and sets E[log θ] from γ.
void ClassicalVi::StartFrom(const DocView& doc, ClassicalViWorkspace& ws,
                            std::span<const double> gamma) const {
  CheckDocument(doc);
  if (gamma.size() != static_cast<size_t>(num_topics_)) {
    throw InputError("classical VI: gamma needs " + std::to_string(num_topics_) + " entries");
  }
  ws.Reserve(num_topics_, static_cast<int64_t>(doc.terms.size()));
  GatherTopicColumns(doc, ws.single_);
  const double digamma_sum = Digamma(std::accumulate(gamma.begin(), gamma.end(), 0.0));
  for (int32_t k = 0; k < num_topics_; ++k) ws.elog_[k] = Digamma(gamma[k]) - digamma_sum;
  VectorMap(ws.exp_elog_.data(), num_topics_) =
      VectorMap(ws.elog_.data(), num_topics_).array().exp();
}

DocumentInference ClassicalVi::InferFromWarmStart(const DocView& doc, ClassicalViWorkspace& ws,
                                                  std::span<double> gamma) const {
  StartFrom(doc, ws, gamma);
  DocumentInference result;
  RunIterations(doc, ws, gamma, result, nullptr);
  if (!std::isfinite(std::accumulate(gamma.begin(), gamma.end(), 0.0))) {
    throw NumericalError("classical VI: non-finite gamma");
  }
  return result;
}

template <typename Stat>
void ClassicalVi::AddTopicStatistics(const DocView& doc, const ClassicalViWorkspace& ws,
                                     std::span<Stat> stats) const {
  const size_t n = doc.terms.size(), k_topics = num_topics_;
  if (stats.size() != k_topics * static_cast<size_t>(vocab_size_)) {
    throw InputError("classical VI: topic statistics need K x V entries");
  }
  const float* beta_doc = ws.single_.beta_doc.data();
  for (size_t i = 0; i < n; ++i) {
    double norm = 0.0;
    for (size_t k = 0; k < k_topics; ++k) norm += double{beta_doc[k * n + i]} * ws.exp_elog_[k];
    if (!(norm > 0.0) || !std::isfinite(norm)) {
      throw NumericalError("classical VI: term id " + std::to_string(doc.terms[i]) +
                           " has probability " + std::to_string(norm) + " under the mixture");
    }
    const double weight = doc.counts[i] / norm;
    Stat* column = stats.data() + static_cast<size_t>(doc.terms[i]) * k_topics;
    for (size_t k = 0; k < k_topics; ++k) {
      column[k] += static_cast<Stat>(weight * ws.exp_elog_[k] * double{beta_doc[k * n + i]});
    }
  }
}

template void ClassicalVi::AddTopicStatistics<float>(const DocView&, const ClassicalViWorkspace&,
                                                     std::span<float>) const;
template void ClassicalVi::AddTopicStatistics<double>(const DocView&, const ClassicalViWorkspace&,
                                                      std::span<double>) const;

void ClassicalVi::InferBatch(const BowView& docs, ClassicalViWorkspace& ws, std::span<float> theta,
                             std::span<double> elbo, std::span<int32_t> iterations) const {
  const int64_t num_docs = docs.num_docs();
  const size_t k = num_topics_;
  if (theta.size() != num_docs * k || elbo.size() != static_cast<size_t>(num_docs) ||
      (!iterations.empty() && iterations.size() != static_cast<size_t>(num_docs))) {
    throw InputError("classical VI: output sizes do not match " + std::to_string(num_docs) +
                     " documents");
  }
  AlignedVector<double> gamma(k);  // one allocation per batch, not per document
  for (int64_t d = 0; d < num_docs; ++d) {
    try {
      const DocumentInference r = InferDocument(docs.doc(d), ws, gamma, theta.subspan(d * k, k));
      elbo[d] = r.elbo;
      if (!iterations.empty()) iterations[d] = r.iterations;
    } catch (const NumericalError& e) {
      throw NumericalError("document " + std::to_string(d) + ": " + e.what());
    } catch (const InputError& e) {
      throw InputError("document " + std::to_string(d) + ": " + e.what());
    }
  }
}

ClassicalViBatch ClassicalVi::InferBatch(const BowView& docs) const {
  const int64_t num_docs = docs.num_docs();
  ClassicalViBatch out;
  out.theta.resize(num_docs * num_topics_);
  out.elbo.resize(num_docs);
  out.iterations.resize(num_docs);
  ClassicalViWorkspace ws;
  InferBatch(docs, ws, out.theta, out.elbo, out.iterations);
  return out;
}

}  // namespace ntm
