// Newton refinement of one note's logistic-normal posterior against fixed
// topics (the refined method's default). Header-only: templated on the scalar.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "libvi/aligned_vector.h"
#include "libvi/bow.h"
#include "libvi/elbo.h"
#include "libvi/parameters.h"

namespace ntm {

// Grows `storage` to at least rows×cols scalars (keeping its alignment) and
// maps a rows×cols matrix on it; reallocates only for a larger document.
template <typename T>
Eigen::Map<MatrixX<T>> MapGrownStorage(AlignedVector<T>& storage, int64_t rows, int64_t cols) {
  const auto size = static_cast<size_t>(rows * cols);
  if (storage.size() < size) storage.resize(size + size / 2);
  return Eigen::Map<MatrixX<T>>(storage.data(), rows, cols);
}

// Newton's method on one document's Laplace objective (RefineAlgorithm::kNewton):
// f(μ) = Σ_w n_w log p_w − ½ Σ_k (μ_k − μ0_k)² / σ0²_k, p_w = Σ_k θ_k β_kw,
// θ = softmax(μ). With the responsibilities φ_wk = θ_k β_kw / p_w,
//   g = ∂f/∂μ = Σ_w n_w φ_w − N θ − (μ − μ0) / σ0²,
//   P = −∂²f/∂μ² = Σ_w n_w φ_w φ_wᵀ − N θθᵀ − diag(Σ_w n_w φ_w − N θ) + diag(1/σ0²).
// P couples two topics in proportion to both their shares, so the step
// solves P exactly on the topics the note uses (N θ_k ≥ kActiveTokens,
// |A| ≪ K) and diagonally on the rest: a step costs three passes over the K×J
// columns of the note's terms and one |A|×|A|×J product. The mixture
// likelihood is not concave in μ: where that block is not positive definite
// the step uses the Fisher information N (diag θ − θθᵀ) + diag(1/σ0²) there.
// A backtracking line search keeps every step uphill. One instance serves many
// documents; buffers only grow.
template <typename T>
class LaplaceNewton {
 public:
  LaplaceNewton(const MatrixX<T>& topics, const LaplacePrior<T>& prior)
      : topics_(topics),
        prior_(prior),
        k_(static_cast<int32_t>(topics.rows())),
        mu_(k_),
        mu_new_(k_),
        theta_(k_),
        g_lik_(k_),
        g_(k_),
        step_(k_),
        sq_norms_(k_),
        diag_(k_) {
    active_.reserve(k_);
  }

  // Makes `doc` current: gathers the β columns and counts of its terms.
  void Load(const DocView& doc) {
    const auto j = static_cast<int64_t>(doc.terms.size());
    auto beta_doc = MapGrownStorage(beta_doc_, k_, j);
    auto counts = MapGrownStorage(counts_, j, 1);
    tokens_ = 0;
    for (int64_t i = 0; i < j; ++i) {
      beta_doc.col(i) = topics_.col(doc.terms[i]);
      counts(i, 0) = static_cast<T>(doc.counts[i]);
      tokens_ += doc.counts[i];
    }
    terms_ = j;
  }

  // Newton steps from μ (updated in place) until the decrement ½ gᵀP⁻¹g is
  // below `tolerance` nats or after `max_steps`. Then log σ²_k is the smaller
  // of the encoder's and −log P_kk at the final μ: the curvature at the mode
  // allows more spread than the ELBO does on a topic the note barely uses
  // (there the likelihood falls off like −e^{z_k}, not like a parabola), and
  // the encoder's σ was trained on the ELBO itself. Returns the steps taken.
  int Refine(T* mu, T* lv, int max_steps, double tolerance) {
    mu_ = Eigen::Map<const VectorX<T>>(mu, k_);
    double f = Objective(mu_);
    if (!std::isfinite(f)) return 0;  // leaves the encoder's output
    int steps = 0;
    for (;; ++steps) {
      Derivatives(steps < max_steps);
      if (steps == max_steps || !Direction(tolerance)) break;
      if (!LineSearch(f)) break;
    }
    Eigen::Map<VectorX<T>>(mu, k_) = mu_;
    for (int32_t k = 0; k < k_; ++k) {
      lv[k] = std::min(lv[k], static_cast<T>(-std::log(diag_[k])));
    }
    return steps;
  }

  // P_kk = −∂²f/∂μ_k² at the μ the last Refine ended on (Fisher information
  // where that is not positive).
  const Eigen::ArrayXd& curvature() const { return diag_; }

 private:
  // A topic the note uses: at least this many of its tokens expected.
  static constexpr double kActiveTokens = 2.0;

  // f at μ; leaves θ and p at μ for Derivatives.
  double Objective(const VectorX<T>& mu) {
    theta_ = mu;
    SoftmaxInPlace<T>(theta_);
    auto p = MapGrownStorage(p_, terms_, 1);
    const Eigen::Map<const MatrixX<T>> beta_doc(beta_doc_.data(), k_, terms_);
    const Eigen::Map<const VectorX<T>> counts(counts_.data(), terms_);
    p.noalias() = beta_doc.transpose() * theta_;
    auto logs = MapGrownStorage(w_, terms_, 1);  // vectorised logs, summed in double
    logs.array() = p.array().log() * counts.array();
    double f = 0;
    for (int64_t i = 0; i < terms_; ++i) f += logs(i, 0);
    for (int32_t k = 0; k < k_; ++k) {
      const double d = static_cast<double>(mu[k]) - prior_.mean[k];
      f -= 0.5 * d * d * prior_.inv_var[k];
    }
    return f;
  }

  // The gradient g at the current θ and p, the diagonal of the precision P
  // and, with `block`, P on the active topics.
  void Derivatives(bool block) {
    const Eigen::Map<const MatrixX<T>> beta_doc(beta_doc_.data(), k_, terms_);
    const Eigen::Map<const VectorX<T>> counts(counts_.data(), terms_);
    const Eigen::Map<const VectorX<T>> p(p_.data(), terms_);
    // One pass over the note's terms: φ-weighted sums and the rows √n_w φ_w
    // (K×J) whose Gram matrix is Σ_w n_w φ_w φ_wᵀ.
    auto phi = MapGrownStorage(phi_, k_, terms_);
    g_lik_.setZero();
    sq_norms_.setZero();
    T* __restrict g = g_lik_.data();
    T* __restrict sq = sq_norms_.data();
    const T* __restrict theta = theta_.data();
    for (int64_t i = 0; i < terms_; ++i) {
      const T root = std::sqrt(counts[i]), scale = root / p[i];
      const T* __restrict beta = beta_doc_.data() + i * k_;
      T* __restrict out = phi_.data() + i * k_;
      for (int32_t k = 0; k < k_; ++k) {
        const T v = beta[k] * theta[k] * scale;
        out[k] = v;
        g[k] += v * root;
        sq[k] += v * v;
      }
    }
    g_lik_ -= static_cast<T>(tokens_) * theta_;  // Σ n_w φ_w − N θ
    g_ = g_lik_ - ((mu_ - prior_.mean).array() * prior_.inv_var.array()).matrix();
    for (int32_t k = 0; k < k_; ++k) {
      const double theta = theta_[k], inv_var = prior_.inv_var[k];
      const double curvature =
          static_cast<double>(sq_norms_[k]) - tokens_ * theta * theta + inv_var - g_lik_[k];
      const double fisher = tokens_ * theta * (1 - theta) + inv_var;
      diag_[k] = curvature > 0 && std::isfinite(curvature) ? curvature : fisher;
    }
    if (block) ActiveBlock(phi);
  }

  // P on the active topics (Fisher information if that is not positive definite).
  void ActiveBlock(const Eigen::Map<MatrixX<T>>& phi) {
    active_.clear();
    for (int32_t k = 0; k < k_; ++k) {
      if (tokens_ * theta_[k] >= kActiveTokens) active_.push_back(k);
    }
    const auto a = static_cast<int64_t>(active_.size());
    auto phi_a = MapGrownStorage(phi_active_, terms_, a);  // J×A: a column per active topic
    for (int64_t w = 0; w < terms_; ++w) {
      const T* column = phi.col(w).data();
      for (int64_t i = 0; i < a; ++i) phi_a(w, i) = column[active_[i]];
    }
    block_.resize(a, a);
    for (int64_t i = 0; i < a; ++i) {
      for (int64_t j = 0; j <= i; ++j) {
        block_(i, j) = block_(j, i) = static_cast<double>(phi_a.col(i).dot(phi_a.col(j)));
      }
    }
    theta_a_.resize(a);
    for (int64_t i = 0; i < a; ++i) theta_a_[i] = theta_[active_[i]];
    block_.noalias() -= tokens_ * theta_a_ * theta_a_.transpose();
    for (int64_t i = 0; i < a; ++i) {
      block_(i, i) += prior_.inv_var[active_[i]] - static_cast<double>(g_lik_[active_[i]]);
    }
    llt_.compute(block_);
    if (llt_.info() == Eigen::Success) return;
    block_.noalias() = -tokens_ * theta_a_ * theta_a_.transpose();
    for (int64_t i = 0; i < a; ++i) {
      block_(i, i) += tokens_ * theta_a_[i] + prior_.inv_var[active_[i]];
    }
    llt_.compute(block_);
  }

  // step = P⁻¹ g, exactly on the active block and diagonally elsewhere;
  // false when the Newton decrement is below `tolerance` (converged), the
  // block cannot be factorised or the decrement is not finite.
  bool Direction(double tolerance) {
    if (llt_.info() != Eigen::Success) return false;
    for (int32_t k = 0; k < k_; ++k) step_[k] = static_cast<T>(g_[k] / diag_[k]);
    const auto a = static_cast<int64_t>(active_.size());
    g_a_.resize(a);
    for (int64_t i = 0; i < a; ++i) g_a_[i] = g_[active_[i]];
    step_a_ = llt_.solve(g_a_);
    for (int64_t i = 0; i < a; ++i) step_[active_[i]] = static_cast<T>(step_a_[i]);
    const double decrement = g_.template cast<double>().dot(step_.template cast<double>());
    if (!std::isfinite(decrement) || 0.5 * decrement < tolerance) return false;
    decrement_ = decrement;
    return true;
  }

  // Backtracking (Armijo) along step; true, with μ and f moved, on success.
  // On failure θ and p are stale, which Refine no longer reads.
  bool LineSearch(double& f) {
    double t = 1.0;
    for (int tries = 0; tries < 30; ++tries, t *= 0.5) {
      mu_new_ = mu_ + static_cast<T>(t) * step_;
      const double f_new = Objective(mu_new_);
      if (std::isfinite(f_new) && f_new >= f + 1e-4 * t * decrement_ && f_new > f) {
        mu_ = mu_new_;
        f = f_new;
        return true;
      }
    }
    return false;
  }

  const MatrixX<T>& topics_;
  const LaplacePrior<T>& prior_;
  const int32_t k_;
  int64_t terms_ = 0;
  double tokens_ = 0, decrement_ = 0;
  VectorX<T> mu_, mu_new_, theta_, g_lik_, g_, step_, sq_norms_;
  AlignedVector<T> beta_doc_, counts_, p_, w_, phi_, phi_active_;  // K×J, J, J, J, K×J, J×A
  Eigen::ArrayXd diag_;                                            // K: P_kk
  std::vector<int32_t> active_;                                    // the active topics A
  Eigen::MatrixXd block_;                                          // P on A×A
  Eigen::VectorXd theta_a_, g_a_, step_a_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
};

}  // namespace ntm
