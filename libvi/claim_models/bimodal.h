// A one-dimensional model with a bimodal posterior (claim 2): x = z² + ε,
// z ~ N(0, 1), ε ~ N(0, σ²). For x well above 0 the posterior has two mirror
// modes near ±√x, so a single Gaussian q can cover only one of them and its
// ELBO falls short of log p(x) by about log 2.
#pragma once

#include <vector>

namespace ntm {

// A Gaussian q(z) = N(mean, exp(log_sd)²).
struct GaussianQ {
  double mean = 0.0;
  double log_sd = 0.0;
};

// log p(x, z) = log N(z; 0, 1) + log N(x; z², σ²).
double SquareModelLogJoint(double x, double z, double noise_sd);

// log p(x) = log ∫ p(x, z) dz by the trapezoid rule on [-10, 10] in log space;
// the integrand is smooth and its tails negligible, so the rule converges
// geometrically in the number of points.
double SquareModelLogEvidence(double x, double noise_sd, int grid_points = 400001);

// Exact ELBO E_q[log p(x, z)] + H(q): log p(x, z) is a quartic in z, so only
// Gaussian moments up to the fourth are needed.
double SquareModelElbo(double x, double noise_sd, const GaussianQ& q);

// Nodes and weights of an n-point Gauss–Hermite rule for ∫ f(t) exp(-t²) dt.
struct QuadratureRule {
  std::vector<double> nodes;
  std::vector<double> weights;
};

// Gauss–Hermite rule by the Golub–Welsch eigenvalue method.
QuadratureRule GaussHermiteRule(int n);

// The same ELBO by Gauss–Hermite quadrature (exact for n >= 3): a cross-check.
double SquareModelElboByQuadrature(double x, double noise_sd, const GaussianQ& q, int nodes);

// Result of maximising the ELBO over (mean, log_sd).
struct GaussianFit {
  GaussianQ q;
  double elbo = 0.0;
  double gradient_norm = 0.0;  // at the returned q; ~0 at a stationary point
  int iterations = 0;
};

// Maximises the ELBO from `start` by Newton's method with a backtracking line
// search (gradient ascent where the Hessian is not negative definite).
GaussianFit FitGaussianQ(double x, double noise_sd, const GaussianQ& start, int max_iter = 200);

}  // namespace ntm
