// Per-document pieces of the ELBO shared by training and inference: the
// Laplace-approximated Dirichlet prior, the Gaussian KL term and the
// reparameterised draw θ = softmax(μ + σ ε), each with its hand-written
// gradient. Templated on the scalar so tests can check them in double.
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "libvi/parameters.h"

namespace ntm {

template <typename T>
using ConstVecRef = Eigen::Ref<const VectorX<T>>;
template <typename T>
using VecRef = Eigen::Ref<VectorX<T>>;

// Laplace approximation of Dirichlet(α) in the softmax basis (AVITM):
// μ0_k = log α_k − mean(log α), σ0²_k = (1/α_k)(1 − 2/K) + (1/K²) Σ_j 1/α_j.
template <typename T>
struct LaplacePrior {
  VectorX<T> mean;       // μ0, K
  VectorX<T> var;        // σ0², K
  VectorX<T> inv_var;    // 1/σ0², K
  T log_var_sum = T(0);  // Σ_k log σ0²_k

  // The prior for a symmetric Dirichlet(alpha) over `num_topics` topics.
  static LaplacePrior Symmetric(int32_t num_topics, double alpha);
};

// KL(N(μ, diag e^lv) ‖ prior) in nats.
template <typename T>
T GaussianKl(const LaplacePrior<T>& prior, ConstVecRef<T> mu, ConstVecRef<T> lv);

// Adds ∂KL/∂μ and ∂KL/∂lv to g_mu and g_lv.
template <typename T>
void AddGaussianKlGradient(const LaplacePrior<T>& prior, ConstVecRef<T> mu, ConstVecRef<T> lv,
                           VecRef<T> g_mu, VecRef<T> g_lv);

// θ = softmax(μ + e^{lv/2} ε); also writes σ = e^{lv/2} (kept for the backward pass).
template <typename T>
void Reparameterise(ConstVecRef<T> mu, ConstVecRef<T> lv, ConstVecRef<T> eps, VecRef<T> sigma,
                    VecRef<T> theta);

// Softmax in place, shifted by the maximum so that it never overflows.
template <typename T>
void SoftmaxInPlace(VecRef<T> x);

// Given g_z = ∂L/∂z for z = μ + σ ε, adds ∂L/∂μ = g_z and ∂L/∂lv = g_z ε σ/2.
template <typename T>
void AddReparamGradient(ConstVecRef<T> g_z, ConstVecRef<T> eps, ConstVecRef<T> sigma,
                        VecRef<T> g_mu, VecRef<T> g_lv);

// Given g_θ = ∂L/∂θ for θ = softmax(z), writes g_z = θ ∘ (g_θ − θ·g_θ).
template <typename T>
void SoftmaxBackward(ConstVecRef<T> theta, ConstVecRef<T> g_theta, VecRef<T> g_z);

}  // namespace ntm
