// Claim 1: in the linear-Gaussian inverse problem x = A z + ε, a linear
// Gaussian encoder trained only by maximising the ELBO over samples of x
// learns the ridge pseudoinverse (AᵀA + (σ²/τ²) I)⁻¹ Aᵀ as its mean map.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cstdio>

#include "libvi/claim_models/linear_gaussian.h"

namespace ntm {
namespace {

TEST(LinearGaussianClaim, ElboTrainedEncoderLearnsTheRidgePseudoinverse) {
  // d = 24 observations, k = 6 latents; singular values in [1, 2], σ = 0.5, τ = 1:
  // σ²/τ² = 0.25 shrinks each direction by s²/(s² + 0.25), 6%..20%, so the ridge
  // map is clearly distinguishable from the plain pseudoinverse at 2%.
  const LinearGaussianModel model = MakeLinearGaussianModel(24, 6, 1.0, 2.0, 0.5, 1.0, 2024);
  const LinearGaussianEncoder encoder = TrainLinearGaussianEncoder(model, {});
  const Eigen::MatrixXd ridge = RidgePseudoinverse(model);
  const Eigen::MatrixXd plain = (model.a.transpose() * model.a).ldlt().solve(model.a.transpose());
  const double error = (encoder.w - ridge).norm() / ridge.norm();
  const double plain_gap = (plain - ridge).norm() / ridge.norm();
  const Eigen::VectorXd s2 = (2 * encoder.log_s).array().exp();
  const Eigen::VectorXd s2_best = OptimalMeanFieldVariances(model);
  const double var_error = ((s2 - s2_best).array() / s2_best.array()).abs().maxCoeff();
  std::printf(
      "relative Frobenius error of W vs ridge pseudoinverse: %.2e "
      "(plain pseudoinverse differs by %.3f); |b| = %.1e; max rel. error of s^2: %.1e\n",
      error, plain_gap, encoder.b.norm(), var_error);
  EXPECT_LT(error, 0.02);
  EXPECT_GT(plain_gap, 0.05);  // the test can tell ridge from plain
  EXPECT_LT(encoder.b.norm(), 0.02 * ridge.norm());
  EXPECT_LT(var_error, 0.02);  // and q's variances are the mean-field optimum
}

}  // namespace
}  // namespace ntm
