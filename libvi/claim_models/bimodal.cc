#include "libvi/claim_models/bimodal.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

constexpr double kLog2Pi = 1.8378770664093454836;  // log(2π)

// Gradient and Hessian of the ELBO in (mean, log_sd).
struct ElboDerivatives {
  double g[2];
  double h[2][2];
};

// With v = sd², E[z²] = m² + v and E[z⁴] = m⁴ + 6m²v + 3v², so
// ELBO = -log 2π/2 - (m² + v)/2 - log(2πσ²)/2
//        - (x² - 2x(m² + v) + m⁴ + 6m²v + 3v²)/(2σ²) + (log 2π + 1)/2 + log sd.
ElboDerivatives Derivatives(double x, double noise_sd, const GaussianQ& q) {
  const double var_x = noise_sd * noise_sd, m = q.mean, v = std::exp(2 * q.log_sd);
  const double d_v = -0.5 + (x - 3 * m * m - 3 * v) / var_x;
  const double d_vv = -3 / var_x, d_mv = -6 * m / var_x;
  ElboDerivatives d;
  d.g[0] = -m + (2 * x * m - 2 * m * m * m - 6 * m * v) / var_x;
  d.g[1] = 2 * v * d_v + 1;  // dv/d(log sd) = 2v
  d.h[0][0] = -1 + (2 * x - 6 * m * m - 6 * v) / var_x;
  d.h[0][1] = d.h[1][0] = 2 * v * d_mv;
  d.h[1][1] = 4 * v * v * d_vv + 4 * v * d_v;
  return d;
}

// Newton direction if the Hessian is negative definite, else the gradient.
void AscentDirection(const ElboDerivatives& d, double dir[2]) {
  const double det = d.h[0][0] * d.h[1][1] - d.h[0][1] * d.h[1][0];
  if (d.h[0][0] < 0 && det > 0) {
    dir[0] = -(d.h[1][1] * d.g[0] - d.h[0][1] * d.g[1]) / det;
    dir[1] = -(-d.h[1][0] * d.g[0] + d.h[0][0] * d.g[1]) / det;
  } else {
    dir[0] = d.g[0];
    dir[1] = d.g[1];
  }
}

}  // namespace

double SquareModelLogJoint(double x, double z, double noise_sd) {
  const double r = x - z * z;
  return -0.5 * kLog2Pi - 0.5 * z * z - 0.5 * kLog2Pi - std::log(noise_sd) -
         r * r / (2 * noise_sd * noise_sd);
}

double SquareModelLogEvidence(double x, double noise_sd, int grid_points) {
  if (grid_points < 3) throw ConfigError("quadrature needs at least 3 points");
  const double lo = -10.0, h = 20.0 / (grid_points - 1);
  double peak = -INFINITY;
  for (int i = 0; i < grid_points; ++i)
    peak = std::max(peak, SquareModelLogJoint(x, lo + i * h, noise_sd));
  double sum = 0.0;
  for (int i = 0; i < grid_points; ++i) {
    const double weight = (i == 0 || i == grid_points - 1) ? 0.5 : 1.0;
    sum += weight * std::exp(SquareModelLogJoint(x, lo + i * h, noise_sd) - peak);
  }
  return peak + std::log(sum * h);
}

double SquareModelElbo(double x, double noise_sd, const GaussianQ& q) {
  const double var_x = noise_sd * noise_sd, m = q.mean, v = std::exp(2 * q.log_sd);
  const double e_z2 = m * m + v, e_z4 = m * m * m * m + 6 * m * m * v + 3 * v * v;
  const double e_sq_residual = x * x - 2 * x * e_z2 + e_z4;
  return -0.5 * kLog2Pi - 0.5 * e_z2 - 0.5 * kLog2Pi - std::log(noise_sd) -
         e_sq_residual / (2 * var_x) + 0.5 * (kLog2Pi + 1) + q.log_sd;
}

QuadratureRule GaussHermiteRule(int n) {
  if (n < 1) throw ConfigError("Gauss-Hermite rule needs n >= 1");
  // Jacobi matrix of the Hermite polynomials: off-diagonal sqrt(i/2).
  Eigen::MatrixXd jacobi = Eigen::MatrixXd::Zero(n, n);
  for (int i = 1; i < n; ++i) jacobi(i, i - 1) = jacobi(i - 1, i) = std::sqrt(i / 2.0);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(jacobi);
  QuadratureRule rule;
  for (int i = 0; i < n; ++i) {
    rule.nodes.push_back(eig.eigenvalues()[i]);
    const double first = eig.eigenvectors()(0, i);
    rule.weights.push_back(std::sqrt(std::numbers::pi) * first * first);
  }
  return rule;
}

double SquareModelElboByQuadrature(double x, double noise_sd, const GaussianQ& q, int nodes) {
  const QuadratureRule rule = GaussHermiteRule(nodes);
  const double sd = std::exp(q.log_sd);
  double expected_log_joint = 0.0;
  for (size_t i = 0; i < rule.nodes.size(); ++i) {
    // z = m + √2 sd t turns E_q[f(z)] into ∫ f exp(-t²) dt / √π.
    const double z = q.mean + std::numbers::sqrt2 * sd * rule.nodes[i];
    expected_log_joint += rule.weights[i] * SquareModelLogJoint(x, z, noise_sd);
  }
  return expected_log_joint / std::sqrt(std::numbers::pi) + 0.5 * (kLog2Pi + 1) + q.log_sd;
}

namespace {

// Moves `fit` along `dir`, halving the step until the ELBO rises; false if it cannot.
bool BacktrackingStep(double x, double noise_sd, const double dir[2], GaussianFit& fit) {
  for (double step = 1.0; step > 1e-12; step *= 0.5) {
    const GaussianQ trial{fit.q.mean + step * dir[0], fit.q.log_sd + step * dir[1]};
    const double elbo = SquareModelElbo(x, noise_sd, trial);
    if (elbo > fit.elbo) {
      fit.q = trial;
      fit.elbo = elbo;
      return true;
    }
  }
  return false;
}

}  // namespace

GaussianFit FitGaussianQ(double x, double noise_sd, const GaussianQ& start, int max_iter) {
  GaussianFit fit{start, SquareModelElbo(x, noise_sd, start), 0.0, 0};
  for (; fit.iterations < max_iter; ++fit.iterations) {
    const ElboDerivatives d = Derivatives(x, noise_sd, fit.q);
    if (std::hypot(d.g[0], d.g[1]) < 1e-12) break;
    double dir[2];
    AscentDirection(d, dir);
    if (!BacktrackingStep(x, noise_sd, dir, fit)) break;  // at the optimum to rounding
  }
  const ElboDerivatives d = Derivatives(x, noise_sd, fit.q);
  fit.gradient_norm = std::hypot(d.g[0], d.g[1]);
  return fit;
}

}  // namespace ntm
