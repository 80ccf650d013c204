#include "libvi/claim_models/bimodal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace ntm {
namespace {

TEST(GaussHermiteTest, IntegratesPolynomialsExactly) {
  const QuadratureRule rule = GaussHermiteRule(5);  // exact up to degree 9
  double m0 = 0, m2 = 0, m4 = 0, m8 = 0, odd = 0;
  for (size_t i = 0; i < rule.nodes.size(); ++i) {
    const double t = rule.nodes[i], w = rule.weights[i];
    m0 += w;
    m2 += w * t * t;
    m4 += w * std::pow(t, 4);
    m8 += w * std::pow(t, 8);
    odd += w * std::pow(t, 5);
  }
  const double root_pi = std::sqrt(std::numbers::pi);
  EXPECT_NEAR(m0, root_pi, 1e-13);
  EXPECT_NEAR(m2, root_pi / 2, 1e-13);
  EXPECT_NEAR(m4, 3 * root_pi / 4, 1e-13);
  EXPECT_NEAR(m8, 105 * root_pi / 16, 1e-12);
  EXPECT_NEAR(odd, 0.0, 1e-13);
}

TEST(SquareModelTest, ClosedFormElboMatchesQuadratureAnywhere) {
  for (const GaussianQ q : {GaussianQ{0.3, -1.0}, GaussianQ{-1.2, 0.4}, GaussianQ{2.0, -3.0}}) {
    EXPECT_NEAR(SquareModelElbo(2.0, 0.1, q), SquareModelElboByQuadrature(2.0, 0.1, q, 3),
                1e-9 * std::abs(SquareModelElbo(2.0, 0.1, q)));
  }
}

TEST(SquareModelTest, ElboIsBelowTheEvidenceAndFitsAreStationary) {
  const double log_evidence = SquareModelLogEvidence(1.0, 0.3);
  const GaussianFit fit = FitGaussianQ(1.0, 0.3, GaussianQ{0.5, -1.0});
  EXPECT_LT(fit.elbo, log_evidence);
  EXPECT_LT(fit.gradient_norm, 1e-8);
  // Evidence of a unimodal case (x < 0 puts the mass near z = 0) by a second route:
  // p(x) ≈ ∫ N(z;0,1) N(x;z²,σ²) dz with a Riemann sum on a different grid.
  double sum = 0;
  for (int i = 0; i < 200000; ++i) {
    const double z = -8 + (i + 0.5) * 16.0 / 200000;
    sum += std::exp(SquareModelLogJoint(-0.5, z, 0.3)) * 16.0 / 200000;
  }
  EXPECT_NEAR(SquareModelLogEvidence(-0.5, 0.3), std::log(sum), 1e-9);
}

}  // namespace
}  // namespace ntm
