#include "libvi/elbo.h"

#include <cmath>

namespace ntm {

template <typename T>
LaplacePrior<T> LaplacePrior<T>::Symmetric(int32_t num_topics, double alpha) {
  const double k = num_topics;
  // With equal α the mean term vanishes; kept general in form for clarity.
  const double var = (1.0 / alpha) * (1.0 - 2.0 / k) + (1.0 / (k * k)) * (k / alpha);
  LaplacePrior p;
  p.mean = VectorX<T>::Zero(num_topics);
  p.var = VectorX<T>::Constant(num_topics, static_cast<T>(var));
  p.inv_var = VectorX<T>::Constant(num_topics, static_cast<T>(1.0 / var));
  p.log_var_sum = static_cast<T>(k * std::log(var));
  return p;
}

template <typename T>
T GaussianKl(const LaplacePrior<T>& prior, ConstVecRef<T> mu, ConstVecRef<T> lv) {
  const auto inv_var = prior.inv_var.array();
  const T trace = (lv.array().exp() * inv_var).sum();
  const T mahalanobis = ((mu - prior.mean).array().square() * inv_var).sum();
  const T log_det = prior.log_var_sum - lv.sum();
  return T(0.5) * (trace + mahalanobis - static_cast<T>(mu.size()) + log_det);
}

template <typename T>
void AddGaussianKlGradient(const LaplacePrior<T>& prior, ConstVecRef<T> mu, ConstVecRef<T> lv,
                           VecRef<T> g_mu, VecRef<T> g_lv) {
  const auto inv_var = prior.inv_var.array();
  g_mu.array() += (mu - prior.mean).array() * inv_var;
  g_lv.array() += T(0.5) * (lv.array().exp() * inv_var - T(1));
}

template <typename T>
void SoftmaxInPlace(VecRef<T> x) {
  const T max = x.maxCoeff();
  x.array() = (x.array() - max).exp();
  x /= x.sum();
}

template <typename T>
void Reparameterise(ConstVecRef<T> mu, ConstVecRef<T> lv, ConstVecRef<T> eps, VecRef<T> sigma,
                    VecRef<T> theta) {
  sigma.array() = (T(0.5) * lv.array()).exp();
  theta.array() = mu.array() + sigma.array() * eps.array();
  SoftmaxInPlace<T>(theta);
}

template <typename T>
void AddReparamGradient(ConstVecRef<T> g_z, ConstVecRef<T> eps, ConstVecRef<T> sigma,
                        VecRef<T> g_mu, VecRef<T> g_lv) {
  g_mu += g_z;
  g_lv.array() += T(0.5) * g_z.array() * eps.array() * sigma.array();
}

template <typename T>
void SoftmaxBackward(ConstVecRef<T> theta, ConstVecRef<T> g_theta, VecRef<T> g_z) {
  const T mean = theta.dot(g_theta);
  g_z.array() = theta.array() * (g_theta.array() - mean);
}

#define NTM_INSTANTIATE_ELBO(T)                                                                  \
  template struct LaplacePrior<T>;                                                               \
  template T GaussianKl<T>(const LaplacePrior<T>&, ConstVecRef<T>, ConstVecRef<T>);              \
  template void AddGaussianKlGradient<T>(const LaplacePrior<T>&, ConstVecRef<T>, ConstVecRef<T>, \
                                         VecRef<T>, VecRef<T>);                                  \
  template void SoftmaxInPlace<T>(VecRef<T>);                                                    \
  template void Reparameterise<T>(ConstVecRef<T>, ConstVecRef<T>, ConstVecRef<T>, VecRef<T>,     \
                                  VecRef<T>);                                                    \
  template void AddReparamGradient<T>(ConstVecRef<T>, ConstVecRef<T>, ConstVecRef<T>, VecRef<T>, \
                                      VecRef<T>);                                                \
  template void SoftmaxBackward<T>(ConstVecRef<T>, ConstVecRef<T>, VecRef<T>);

NTM_INSTANTIATE_ELBO(float)
NTM_INSTANTIATE_ELBO(double)

}  // namespace ntm
