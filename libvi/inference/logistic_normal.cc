#include "libvi/inference/logistic_normal.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/decoder.h"
#include "libvi/elbo.h"
#include "libvi/inference/laplace_newton.h"
#include "libvi/rng.h"

namespace ntm {
namespace {

template <typename T>
using ArrayX = Eigen::Array<T, Eigen::Dynamic, 1>;
// Standard normals by Box-Muller, vectorised: the draws of one document cost
// a few microseconds. u1 and u2 are scratch arrays of at least (n + 1) / 2.
template <typename T>
void FillNormals(CounterRng& rng, T* out, int64_t n, ArrayX<T>& u1, ArrayX<T>& u2) {
  const int64_t half = (n + 1) / 2;
  for (int64_t i = 0; i < half; ++i) {
    // Two 24-bit uniforms in (0, 1) per 64 random bits: exact in float and
    // never 0, so the log is finite.
    const uint64_t bits = rng.NextU64();
    u1[i] = static_cast<T>(static_cast<int32_t>(bits >> 40)) * T(0x1.0p-24) + T(0x1.0p-25);
    u2[i] =
        static_cast<T>(static_cast<int32_t>((bits >> 8) & 0xffffff)) * T(0x1.0p-24) + T(0x1.0p-25);
  }
  auto radius = u1.head(half), angle = u2.head(half);
  radius = (T(-2) * radius.log()).sqrt();
  angle *= static_cast<T>(2 * std::numbers::pi);
  Eigen::Map<ArrayX<T>> draws(out, n);
  draws.head(half) = radius * angle.cos();
  draws.tail(n - half) = radius.head(n - half) * angle.head(n - half).sin();
}

// The common random draws come from one table of 2^16 standard normals,
// generated once per process from a fixed seed: a document reads a window
// starting at an offset hashed from (DrawOptions::seed, key). Generating
// S·K fresh normals per document (log, sqrt, sin, cos) cost more than the
// whole encoder pass; a window costs a copy. Within a document the draws are
// distinct table entries; across documents windows may overlap, which
// correlates documents' Monte Carlo noise but not any document's estimate.
constexpr int64_t kNormalTableSize = int64_t{1} << 16;

template <typename T>
const std::vector<T>& NormalTable() {
  static const std::vector<T> table = [] {
    std::vector<T> t(kNormalTableSize);
    CounterRng(0x6e746d7461626c65ULL, 0, 0, RngPurpose::kInferenceDraws)
        .FillNormal(std::span<T>(t));
    return t;
  }();
  return table;
}

// Fills out[0, n) with the document's draws: a table window when it fits,
// fresh draws (FillNormals) for very large S·K.
template <typename T>
void CommonDraws(uint64_t seed, uint64_t key, T* out, int64_t n, ArrayX<T>& u1, ArrayX<T>& u2) {
  CounterRng rng(seed, key, 0, RngPurpose::kInferenceDraws);
  if (n > kNormalTableSize) return FillNormals<T>(rng, out, n, u1, u2);
  const std::vector<T>& table = NormalTable<T>();
  const auto offset = static_cast<int64_t>(rng.NextU64() & (kNormalTableSize - 1));
  const int64_t first = std::min(n, kNormalTableSize - offset);
  std::copy_n(table.data() + offset, first, out);
  std::copy_n(table.data(), n - first, out + first);  // wraps around
}

// The ELBO of one document on its S common draws, with its gradient w.r.t.
// (μ, log σ²). One instance serves many documents; buffers only grow.
template <typename T>
class DocumentElbo {
 public:
  DocumentElbo(const BasicTopicInference<T>& inference, const DrawOptions& draws);

  // Makes `doc` current: draws its ε; gathers its β columns if `likelihood`.
  void Load(const DocView& doc, bool likelihood);
  // ELBO on draws [first, first + count); the gradient too if g_mu != nullptr.
  double Evaluate(const T* mu, const T* lv, int first, int count, T* g_mu, T* g_lv);
  // θ draws only, over all S draws (for θ without the ELBO).
  void DrawThetas(const T* mu, const T* lv) { Draw(mu, lv, 0, num_samples_); }
  // E_q[θ] from the last draws over all S, as floats.
  void ThetaMean(float* out);
  int num_samples() const { return num_samples_; }  // S

 private:
  void Draw(const T* mu, const T* lv, int first, int count);
  double LdaLogLikelihood(int first, int count, bool gradient);
  double ProdLdaLogLikelihood(int first, int count, bool gradient);
  void Assemble(const T* mu, const T* lv, int first, int count, T* g_mu, T* g_lv);

  const BasicTopicInference<T>& inference_;
  const int32_t k_, num_samples_;
  const uint64_t seed_;
  DocView doc_;
  T tokens_ = 0;
  MatrixX<T> eps_, theta_, g_z_;          // K×S
  VectorX<T> sigma_, kl_g_mu_, kl_g_lv_;  // K
  ArrayX<T> u1_, u2_;
  AlignedVector<T> beta_doc_, p_, r_, counts_;  // K×J, J×S, J×S, J
  MatrixX<T> y_, g_y_;                          // prodlda: Vp×S scores and their gradient
  Eigen::VectorXf theta_mean_;                  // K: E_q[θ] before it is copied out
};

template <typename T>
DocumentElbo<T>::DocumentElbo(const BasicTopicInference<T>& inference, const DrawOptions& draws)
    : inference_(inference),
      k_(inference.model().layout().num_topics()),
      num_samples_(draws.num_samples),
      seed_(draws.seed) {
  const int64_t n = static_cast<int64_t>(k_) * num_samples_;
  eps_.setZero(k_, num_samples_);
  theta_.setZero(k_, num_samples_);
  g_z_.setZero(k_, num_samples_);
  sigma_.setZero(k_);
  kl_g_mu_.setZero(k_);
  kl_g_lv_.setZero(k_);
  if (n > kNormalTableSize) {  // scratch of the fresh-draw fallback only
    u1_.setZero((n + 1) / 2);
    u2_.setZero((n + 1) / 2);
  }
  if (inference.model().layout().decoder() == DecoderKind::kProdLda) {
    const int64_t vp = PaddedRows(inference.model().layout().vocab_size());
    y_.setZero(vp, num_samples_);
    g_y_.setZero(vp, num_samples_);
  }
}

template <typename T>
void DocumentElbo<T>::Load(const DocView& doc, bool likelihood) {
  doc_ = doc;
  CommonDraws<T>(seed_, doc.key, eps_.data(), eps_.size(), u1_, u2_);
  tokens_ = 0;
  for (uint32_t c : doc.counts) tokens_ += static_cast<T>(c);
  if (!likelihood || inference_.model().layout().decoder() != DecoderKind::kLda) return;
  const auto j = static_cast<int64_t>(doc.terms.size());
  auto beta_doc = MapGrownStorage(beta_doc_, k_, j);
  auto counts = MapGrownStorage(counts_, j, 1);
  for (int64_t i = 0; i < j; ++i) {
    beta_doc.col(i) = inference_.topics().col(doc.terms[i]);
    counts(i, 0) = static_cast<T>(doc.counts[i]);
  }
}

template <typename T>
void DocumentElbo<T>::Draw(const T* mu_ptr, const T* lv_ptr, int first, int count) {
  const Eigen::Map<const VectorX<T>> mu(mu_ptr, k_), lv(lv_ptr, k_);
  sigma_.array() = (T(0.5) * lv.array()).exp();
  auto theta = theta_.middleCols(first, count);
  theta = (eps_.middleCols(first, count).array().colwise() * sigma_.array()).matrix();
  theta.colwise() += mu;
  for (int s = 0; s < count; ++s) theta.col(s).array() -= theta.col(s).maxCoeff();
  theta.array() = theta.array().exp();
  for (int s = 0; s < count; ++s) theta.col(s) /= theta.col(s).sum();
}

template <typename T>
double DocumentElbo<T>::LdaLogLikelihood(int first, int count, bool gradient) {
  const auto j = static_cast<int64_t>(doc_.terms.size());
  const Eigen::Map<const MatrixX<T>> beta_doc(beta_doc_.data(), k_, j);
  const Eigen::Map<const VectorX<T>> counts(counts_.data(), j);
  auto p = MapGrownStorage(p_, j, count);
  const auto theta = theta_.middleCols(first, count);
  p.noalias() = beta_doc.transpose() * theta;
  double total = 0.0;
  for (int s = 0; s < count; ++s) total += (p.col(s).array().log() * counts.array()).sum();
  if (!gradient) return total;
  // ∂/∂θ_k = Σ_w n_w β_kw / p_w; through the softmax: θ_k (that − N).
  auto r = MapGrownStorage(r_, j, count);
  r.array() = p.array().inverse().colwise() * counts.array();
  auto g_z = g_z_.middleCols(first, count);
  g_z.noalias() = beta_doc * r;
  g_z.array() = theta.array() * (g_z.array() - tokens_);
  return total;
}

template <typename T>
double DocumentElbo<T>::ProdLdaLogLikelihood(int first, int count, bool gradient) {
  const BasicModel<T>& model = inference_.model();
  const int32_t v = model.layout().vocab_size();
  const auto params = model.const_views();
  const BatchNormNormaliser<T>& bn = inference_.normaliser();
  const int64_t off = model.layout().bn_offset(BatchNormLayer::kDecoder);
  const auto mean = bn.mean.segment(off, v);
  const auto inv_std = bn.inv_std.segment(off, v).array();
  const auto theta = theta_.middleCols(first, count);
  auto y = y_.topRows(v).leftCols(count);
  y.noalias() = params.dec_w.transpose() * theta;
  double total = 0.0;
  for (int s = 0; s < count; ++s) {
    y.col(s).array() = (y.col(s) - mean).array() * inv_std + params.dec_shift.array();
    VecRef<T> g = g_y_.col(s).head(v);
    total -= SoftmaxDocumentLoss<T>(y.col(s), doc_, gradient ? &g : nullptr);
  }
  if (!gradient) return total;
  auto g_y = g_y_.topRows(v).leftCols(count);
  g_y.array().colwise() *= -inv_std;  // ∂ log-likelihood / ∂(θᵀW)
  auto g_z = g_z_.middleCols(first, count);
  g_z.noalias() = params.dec_w * g_y;
  for (int s = 0; s < count; ++s) {
    SoftmaxBackward<T>(theta.col(s), g_z.col(s), g_z.col(s));  // elementwise: aliasing is safe
  }
  return total;
}

template <typename T>
double DocumentElbo<T>::Evaluate(const T* mu, const T* lv, int first, int count, T* g_mu, T* g_lv) {
  Draw(mu, lv, first, count);
  const bool gradient = g_mu != nullptr;
  const bool lda = inference_.model().layout().decoder() == DecoderKind::kLda;
  const double loglik =
      lda ? LdaLogLikelihood(first, count, gradient) : ProdLdaLogLikelihood(first, count, gradient);
  const Eigen::Map<const VectorX<T>> mu_v(mu, k_), lv_v(lv, k_);
  const T kl = GaussianKl<T>(inference_.model().prior(), mu_v, lv_v);
  if (gradient) Assemble(mu, lv, first, count, g_mu, g_lv);
  return loglik / count - static_cast<double>(kl);
}

template <typename T>
void DocumentElbo<T>::Assemble(const T* mu, const T* lv, int first, int count, T* g_mu_ptr,
                               T* g_lv_ptr) {
  const Eigen::Map<const VectorX<T>> mu_v(mu, k_), lv_v(lv, k_);
  Eigen::Map<VectorX<T>> g_mu(g_mu_ptr, k_), g_lv(g_lv_ptr, k_);
  const auto g_z = g_z_.middleCols(first, count);
  const T inv_count = T(1) / static_cast<T>(count);
  g_mu = g_z.rowwise().sum() * inv_count;
  g_lv = (g_z.array() * eps_.middleCols(first, count).array()).matrix().rowwise().sum();
  g_lv.array() *= T(0.5) * inv_count * sigma_.array();
  kl_g_mu_.setZero();
  kl_g_lv_.setZero();
  AddGaussianKlGradient<T>(inference_.model().prior(), mu_v, lv_v, kl_g_mu_, kl_g_lv_);
  g_mu -= kl_g_mu_;
  g_lv -= kl_g_lv_;
}

template <typename T>
void DocumentElbo<T>::ThetaMean(float* out) {
  // Computed in a member, not in `out`: a reduction's rounding may depend on
  // the alignment of its data, and `out` moves with the document's row.
  theta_mean_ = (theta_.rowwise().sum() / static_cast<T>(num_samples_)).template cast<float>();
  theta_mean_ /= theta_mean_.sum();  // rows sum to 1 after the float cast
  std::copy(theta_mean_.data(), theta_mean_.data() + k_, out);
}

// Limited-memory BFGS with a backtracking (Armijo) line search. Every
// accepted step strictly lowers f, so the result is never worse than the start.
class Lbfgs {
 public:
  Lbfgs(int64_t n, int history)
      : s_(n, history),
        y_(n, history),
        rho_(history),
        alpha_(history),
        g_(n),
        g_new_(n),
        x_new_(n),
        d_(n) {}

  // Minimises f from x (updated in place); fg(x, g) returns f and writes ∇f.
  // Returns f at the final x; *iterations counts accepted steps.
  template <typename F>
  double Minimise(F&& fg, Eigen::VectorXd& x, int max_iterations, double tolerance,
                  int* iterations) {
    stored_ = 0;
    double f = fg(x, g_);
    *iterations = 0;
    if (!std::isfinite(f)) return f;
    for (int it = 0; it < max_iterations; ++it) {
      Direction();
      double slope = g_.dot(d_);
      if (!(slope < 0)) {  // not a descent direction: restart from the gradient
        stored_ = 0;
        d_ = -g_;
        slope = -g_.squaredNorm();
        if (!(slope < 0)) break;  // zero gradient: at a stationary point
      }
      double step = stored_ == 0 ? std::min(1.0, 1.0 / std::sqrt(-slope)) : 1.0;
      double f_new = 0;
      bool accepted = false;
      for (int tries = 0; tries < 40 && !accepted; ++tries, step *= 0.5) {
        x_new_ = x + step * d_;
        f_new = fg(x_new_, g_new_);
        accepted = std::isfinite(f_new) && f_new <= f + 1e-4 * step * slope && f_new < f;
      }
      if (!accepted) break;  // no further decrease at float resolution
      Remember(x_new_ - x, g_new_ - g_);
      const double improvement = f - f_new;
      x = x_new_;
      g_ = g_new_;
      f = f_new;
      ++*iterations;
      if (improvement < tolerance * std::max(1.0, std::abs(f))) break;
    }
    return f;
  }

 private:
  // Two-loop recursion: d = −H g with the stored curvature pairs.
  void Direction() {
    d_ = -g_;
    const int m = static_cast<int>(s_.cols());
    for (int i = 0; i < stored_; ++i) {
      const int c = (head_ - 1 - i + m) % m;
      alpha_[c] = rho_[c] * s_.col(c).dot(d_);
      d_ -= alpha_[c] * y_.col(c);
    }
    if (stored_ > 0) {
      const int c = (head_ - 1 + m) % m;
      d_ *= s_.col(c).dot(y_.col(c)) / y_.col(c).squaredNorm();
    }
    for (int i = stored_ - 1; i >= 0; --i) {
      const int c = (head_ - 1 - i + m) % m;
      const double b = rho_[c] * y_.col(c).dot(d_);
      d_ += (alpha_[c] - b) * s_.col(c);
    }
  }

  template <typename A, typename B>
  void Remember(const A& s, const B& y) {
    const double sy = s.dot(y);
    if (!(sy > 1e-12 * y.squaredNorm())) return;  // keeps H positive definite
    const int m = static_cast<int>(s_.cols());
    s_.col(head_) = s;
    y_.col(head_) = y;
    rho_[head_] = 1.0 / sy;
    head_ = (head_ + 1) % m;
    stored_ = std::min(stored_ + 1, m);
  }

  Eigen::MatrixXd s_, y_;
  Eigen::VectorXd rho_, alpha_, g_, g_new_, x_new_, d_;
  int stored_ = 0, head_ = 0;
};

// Allocates the result arrays for D documents and K topics.
InferenceResult NewResult(int64_t num_docs, int32_t k, bool elbo) {
  InferenceResult r;
  r.num_docs = num_docs;
  r.num_topics = k;
  r.theta.assign(num_docs * k, 0.0f);
  r.mu.assign(num_docs * k, 0.0f);
  r.log_var.assign(num_docs * k, 0.0f);
  if (elbo) r.elbo.assign(num_docs, 0.0);
  return r;
}

// Copies a document's (μ, log σ²) into the result rows.
template <typename T>
void StoreVariational(InferenceResult& r, int64_t i, const T* mu, const T* lv) {
  const int32_t k = r.num_topics;
  for (int32_t j = 0; j < k; ++j) {
    r.mu[i * k + j] = static_cast<float>(mu[j]);
    r.log_var[i * k + j] = static_cast<float>(lv[j]);
  }
}

// Writes document i's results at (μ, log σ²): the ELBO (if wanted) and θ
// on all S draws, and the variational parameters.
template <typename T>
void FinishDocument(DocumentElbo<T>& objective, bool elbo, int64_t i, const T* mu, const T* lv,
                    InferenceResult& r) {
  if (elbo) {
    r.elbo[i] = objective.Evaluate(mu, lv, 0, objective.num_samples(), nullptr, nullptr);
  } else {
    objective.DrawThetas(mu, lv);
  }
  objective.ThetaMean(&r.theta[i * r.num_topics]);
  StoreVariational(r, i, mu, lv);
}

// 1/N for per-token refinement steps, else 1.
double StepScale(const DocView& doc, bool per_token) {
  double tokens = 0;
  for (uint32_t c : doc.counts) tokens += c;
  return per_token ? 1.0 / std::max(1.0, tokens) : 1.0;
}

// The heavy-ball iterate of one document's refinement.
template <typename T>
struct RefineIterate {
  explicit RefineIterate(int32_t k)
      : mu(k), lv(k), g_mu(k), g_lv(k), v_mu(k), v_lv(k), last_mu(k), last_lv(k) {}
  // Starts at the encoder's output with zero velocity.
  void Start(const T* mu0, const T* lv0) {
    mu = Eigen::Map<const VectorX<T>>(mu0, mu.size());
    lv = Eigen::Map<const VectorX<T>>(lv0, lv.size());
    v_mu.setZero();
    v_lv.setZero();
  }

  VectorX<T> mu, lv, g_mu, g_lv, v_mu, v_lv, last_mu, last_lv;
};

// Refinement step `step` (from 1): SGD with momentum, ascending the ELBO on
// this step's group of draws, the gradient scaled by `scale` then clipped.
// Returns false, back at the last iterate with a finite gradient, when the
// gradient is not finite.
template <typename T>
bool RefineStep(DocumentElbo<T>& objective, const RefineOptions& o, int step, double scale,
                RefineIterate<T>& it) {
  const int s = o.draws.num_samples, per_step = o.samples_per_step == 0 ? s : o.samples_per_step;
  const int first = static_cast<int>((static_cast<int64_t>(step - 1) * per_step) % s);
  const int count = std::min(per_step, s - first);
  objective.Evaluate(it.mu.data(), it.lv.data(), first, count, it.g_mu.data(), it.g_lv.data());
  if (!it.g_mu.allFinite() || !it.g_lv.allFinite()) {
    if (step > 1) it.mu = it.last_mu, it.lv = it.last_lv;
    return false;
  }
  const double norm = std::sqrt(it.g_mu.squaredNorm() + it.g_lv.squaredNorm()) * scale;
  const double clip = o.clip_norm > 0 && norm > o.clip_norm ? o.clip_norm / norm : 1.0;
  const T factor = static_cast<T>(clip * scale), momentum = static_cast<T>(o.momentum);
  it.v_mu = momentum * it.v_mu + factor * it.g_mu;
  it.v_lv = momentum * it.v_lv + factor * it.g_lv;
  it.last_mu = it.mu;
  it.last_lv = it.lv;
  it.mu += static_cast<T>(o.learning_rate) * it.v_mu;
  it.lv += static_cast<T>(o.learning_rate) * it.v_lv;
  return true;
}

void ValidateDraws(const DrawOptions& o, const char* section, std::vector<std::string>& e) {
  if (o.num_samples < 1) {
    e.push_back(std::string(section) + ".num_samples must be at least 1" + GotValue(o.num_samples));
  }
}

}  // namespace

void ValidateAmortizedOptions(const AmortizedOptions& o) {
  std::vector<std::string> e;
  ValidateDraws(o.draws, "amortized", e);
  ThrowConfigErrors(e);
}

void ValidateRefineOptions(const RefineOptions& o) {
  std::vector<std::string> e;
  ValidateDraws(o.draws, "refined", e);
  if (o.num_steps < 0) e.push_back("refined.num_steps must be >= 0" + GotValue(o.num_steps));
  if (!(o.tolerance >= 0)) e.push_back("refined.tolerance must be >= 0" + GotValue(o.tolerance));
  if (!(o.learning_rate > 0)) {
    e.push_back("refined.learning_rate must be > 0" + GotValue(o.learning_rate));
  }
  if (!(o.momentum >= 0 && o.momentum < 1)) {
    e.push_back("refined.momentum must be in [0, 1)" + GotValue(o.momentum));
  }
  if (!(o.clip_norm >= 0)) e.push_back("refined.clip_norm must be >= 0" + GotValue(o.clip_norm));
  if (o.samples_per_step < 0 || o.samples_per_step > o.draws.num_samples) {
    e.push_back("refined.samples_per_step must be in [0, num_samples]" +
                GotValue(o.samples_per_step));
  }
  for (int32_t step : o.record_steps) {
    if (step < 0 || step > o.num_steps) {
      e.push_back("refined.record_steps must be in [0, num_steps]" + GotValue(step));
    }
  }
  ThrowConfigErrors(e);
}

void ValidateLnViOptions(const LnViOptions& o) {
  std::vector<std::string> e;
  ValidateDraws(o.draws, "ln_vi", e);
  if (o.max_iterations < 1) {
    e.push_back("ln_vi.max_iterations must be at least 1" + GotValue(o.max_iterations));
  }
  if (!(o.tolerance >= 0)) e.push_back("ln_vi.tolerance must be >= 0" + GotValue(o.tolerance));
  if (o.history < 1) e.push_back("ln_vi.history must be at least 1" + GotValue(o.history));
  ThrowConfigErrors(e);
}

template <typename T>
BasicTopicInference<T>::BasicTopicInference(const BasicModel<T>& model)
    : model_(model),
      norm_(BatchNormNormaliser<T>::From(model.batch_norm().running_mean,
                                         model.batch_norm().running_var,
                                         model.options().batch_norm_eps)) {
  if (model.layout().decoder() == DecoderKind::kLda) beta_ = model.TopicMatrix();
}

template <typename T>
template <typename PerDocument>
void BasicTopicInference<T>::ForEachEncoded(const BowView& docs, PerDocument&& per_document) const {
  const ParameterLayout& layout = model_.layout();
  EncoderBlock<T> ws(layout.hidden(), layout.num_topics());
  const int64_t n = docs.num_docs();
  for (int64_t begin = 0; begin < n; begin += kBlockDocs) {
    ws.count = static_cast<int>(std::min<int64_t>(kBlockDocs, n - begin));
    for (int d = 0; d < ws.count; ++d) {
      CheckTermIds(docs.doc(begin + d), begin + d, layout.vocab_size());
    }
    EncodeBlock<T>(model_.const_views(), layout, norm_, docs, begin, false, ws);
    for (int d = 0; d < ws.count; ++d) {
      per_document(begin + d, docs.doc(begin + d), ws.mu.col(d).data(), ws.lv.col(d).data());
    }
  }
}

template <typename T>
InferenceResult BasicTopicInference<T>::Amortized(const BowView& docs,
                                                  const AmortizedOptions& options) const {
  ValidateAmortizedOptions(options);
  InferenceResult r =
      NewResult(docs.num_docs(), model_.layout().num_topics(), options.compute_elbo);
  DocumentElbo<T> objective(*this, options.draws);
  ForEachEncoded(docs, [&](int64_t i, const DocView& doc, const T* mu, const T* lv) {
    objective.Load(doc, options.compute_elbo);
    FinishDocument(objective, options.compute_elbo, i, mu, lv, r);
  });
  return r;
}

template <typename T>
InferenceResult BasicTopicInference<T>::Refined(const BowView& docs,
                                                const RefineOptions& options) const {
  ValidateRefineOptions(options);
  if (options.algorithm == RefineAlgorithm::kNewton &&
      model_.layout().decoder() == DecoderKind::kLda) {
    return RefinedNewton(docs, options);
  }
  const std::vector<int32_t>& record = options.record_steps;
  InferenceResult r =
      NewResult(docs.num_docs(), model_.layout().num_topics(), options.compute_elbo);
  r.record_steps = record;
  r.elbo_at_steps.assign(docs.num_docs() * record.size(), 0.0);
  DocumentElbo<T> objective(*this, options.draws);
  RefineIterate<T> it(model_.layout().num_topics());
  // Records the full-draw ELBO of the current iterate if `step` is wanted.
  const auto record_if_wanted = [&](int64_t i, int step) {
    for (size_t j = 0; j < record.size(); ++j) {
      if (record[j] != step) continue;
      r.elbo_at_steps[i * record.size() + j] = objective.Evaluate(
          it.mu.data(), it.lv.data(), 0, objective.num_samples(), nullptr, nullptr);
    }
  };
  ForEachEncoded(docs, [&](int64_t i, const DocView& doc, const T* mu0, const T* lv0) {
    objective.Load(doc, true);
    it.Start(mu0, lv0);
    const double scale = StepScale(doc, options.per_token);
    record_if_wanted(i, 0);
    int done = 0;
    for (int step = 1; step <= options.num_steps; ++step) {
      if (!RefineStep(objective, options, step, scale, it)) break;
      done = step;
      record_if_wanted(i, step);
    }
    // After a divergence the iterate stays at the last good point: the steps
    // never taken (or whose ELBO was not finite) report that point's ELBO.
    for (size_t j = 0; j < record.size(); ++j) {
      double& value = r.elbo_at_steps[i * record.size() + j];
      if (record[j] <= done && std::isfinite(value)) continue;
      value = objective.Evaluate(it.mu.data(), it.lv.data(), 0, objective.num_samples(), nullptr,
                                 nullptr);
    }
    FinishDocument(objective, options.compute_elbo, i, it.mu.data(), it.lv.data(), r);
  });
  return r;
}

template <typename T>
InferenceResult BasicTopicInference<T>::RefinedNewton(const BowView& docs,
                                                      const RefineOptions& options) const {
  const std::vector<int32_t>& record = options.record_steps;
  const int32_t k = model_.layout().num_topics();
  InferenceResult r = NewResult(docs.num_docs(), k, options.compute_elbo);
  r.record_steps = record;
  r.elbo_at_steps.assign(docs.num_docs() * record.size(), 0.0);
  r.iterations.assign(docs.num_docs(), 0);
  DocumentElbo<T> objective(*this, options.draws);
  LaplaceNewton<T> newton(topics(), model_.prior());
  VectorX<T> mu(k), lv(k);
  const bool likelihood = options.compute_elbo || !record.empty();
  ForEachEncoded(docs, [&](int64_t i, const DocView& doc, const T* mu0, const T* lv0) {
    objective.Load(doc, likelihood);
    newton.Load(doc);
    // Deterministic: the first s steps of a longer run are the run of s steps.
    for (size_t j = 0; j < record.size(); ++j) {
      mu = Eigen::Map<const VectorX<T>>(mu0, k);
      lv = Eigen::Map<const VectorX<T>>(lv0, k);
      if (record[j] > 0) newton.Refine(mu.data(), lv.data(), record[j], options.tolerance);
      r.elbo_at_steps[i * record.size() + j] =
          objective.Evaluate(mu.data(), lv.data(), 0, objective.num_samples(), nullptr, nullptr);
    }
    mu = Eigen::Map<const VectorX<T>>(mu0, k);
    lv = Eigen::Map<const VectorX<T>>(lv0, k);
    r.iterations[i] = newton.Refine(mu.data(), lv.data(), options.num_steps, options.tolerance);
    FinishDocument(objective, options.compute_elbo, i, mu.data(), lv.data(), r);
  });
  return r;
}

template <typename T>
InferenceResult BasicTopicInference<T>::LnVi(const BowView& docs,
                                             const LnViOptions& options) const {
  ValidateLnViOptions(options);
  const int32_t k = model_.layout().num_topics();
  InferenceResult r = NewResult(docs.num_docs(), k, true);
  r.start_elbo.assign(docs.num_docs(), 0.0);
  r.iterations.assign(docs.num_docs(), 0);
  r.prior_start_won.assign(docs.num_docs(), 0);
  DocumentElbo<T> objective(*this, options.draws);
  Lbfgs lbfgs(2 * k, options.history);
  VectorX<T> mu(k), lv(k), g_mu(k), g_lv(k);
  // f = −ELBO of x = (μ, log σ²), with its gradient, for the L-BFGS.
  const auto negative_elbo = [&](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    mu = x.head(k).cast<T>();
    lv = x.tail(k).cast<T>();
    const double elbo = objective.Evaluate(mu.data(), lv.data(), 0, objective.num_samples(),
                                           g_mu.data(), g_lv.data());
    g.head(k) = -g_mu.template cast<double>();
    g.tail(k) = -g_lv.template cast<double>();
    return g.allFinite() ? -elbo : std::numeric_limits<double>::infinity();
  };
  Eigen::VectorXd x(2 * k), from_prior(2 * k), prior_start(2 * k);
  prior_start << model_.prior().mean.template cast<double>(),
      model_.prior().var.array().log().matrix().template cast<double>();
  ForEachEncoded(docs, [&](int64_t i, const DocView& doc, const T* mu0, const T* lv0) {
    objective.Load(doc, true);
    r.start_elbo[i] = objective.Evaluate(mu0, lv0, 0, objective.num_samples(), nullptr, nullptr);
    x << Eigen::Map<const VectorX<T>>(mu0, k).template cast<double>(),
        Eigen::Map<const VectorX<T>>(lv0, k).template cast<double>();
    const double f = lbfgs.Minimise(negative_elbo, x, options.max_iterations, options.tolerance,
                                    &r.iterations[i]);
    if (options.start_from_prior) {
      from_prior = prior_start;
      int iterations = 0;
      const double f_prior = lbfgs.Minimise(negative_elbo, from_prior, options.max_iterations,
                                            options.tolerance, &iterations);
      if (f_prior < f) x = from_prior, r.iterations[i] = iterations, r.prior_start_won[i] = 1;
    }
    mu = x.head(k).cast<T>();
    lv = x.tail(k).cast<T>();
    FinishDocument(objective, true, i, mu.data(), lv.data(), r);
  });
  return r;
}

template <typename T>
double BasicTopicInference<T>::Elbo(const DocView& doc, std::span<const T> mu,
                                    std::span<const T> log_var, const DrawOptions& draws,
                                    std::span<T> g_mu, std::span<T> g_lv) const {
  DocumentElbo<T> objective(*this, draws);
  objective.Load(doc, true);
  const bool gradient = !g_mu.empty() && !g_lv.empty();
  return objective.Evaluate(mu.data(), log_var.data(), 0, draws.num_samples,
                            gradient ? g_mu.data() : nullptr, gradient ? g_lv.data() : nullptr);
}

template class BasicTopicInference<float>;
template class BasicTopicInference<double>;

}  // namespace ntm
