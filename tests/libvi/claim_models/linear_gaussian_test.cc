#include "libvi/claim_models/linear_gaussian.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <numbers>

#include "libvi/claim_models/synthetic.h"

namespace ntm {
namespace {

LinearGaussianEncoder SomeEncoder(int k, int d) {
  SeededRng rng(5);
  LinearGaussianEncoder e{Eigen::MatrixXd(k, d), Eigen::VectorXd(k), Eigen::VectorXd(k)};
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < d; ++j) e.w(i, j) = 0.2 * rng.Normal();
    e.b[i] = 0.3 * rng.Normal();
    e.log_s[i] = -0.5 + 0.2 * rng.Normal();
  }
  return e;
}

TEST(LinearGaussianTest, ModelHasTheRequestedSingularValues) {
  const LinearGaussianModel model = MakeLinearGaussianModel(20, 5, 1.0, 2.0, 0.5, 1.0, 3);
  // Eigenvalues of AᵀA are the squared singular values, ascending.
  const Eigen::MatrixXd gram = model.a.transpose() * model.a;
  const Eigen::VectorXd s2 = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(gram).eigenvalues();
  EXPECT_NEAR(s2[0], 1.0, 1e-12);
  EXPECT_NEAR(s2[2], 1.5 * 1.5, 1e-12);
  EXPECT_NEAR(s2[4], 4.0, 1e-12);
}

TEST(LinearGaussianTest, ClosedFormElboMatchesMonteCarlo) {
  const LinearGaussianModel model = MakeLinearGaussianModel(8, 3, 1.0, 2.0, 0.5, 1.0, 3);
  const LinearGaussianEncoder enc = SomeEncoder(3, 8);
  const Eigen::MatrixXd x = SampleLinearGaussianObservations(model, 1, 4);
  const Eigen::VectorXd m = enc.w * x.col(0) + enc.b, s = enc.log_s.array().exp();
  SeededRng rng(6);
  const int draws = 200000;
  const double var_x = 0.25, log_2pi = std::log(2 * std::numbers::pi);
  double sum = 0;
  for (int i = 0; i < draws; ++i) {
    Eigen::VectorXd eps(3);
    for (int j = 0; j < 3; ++j) eps[j] = rng.Normal();
    const Eigen::VectorXd z = m + s.cwiseProduct(eps);
    const double log_lik = -0.5 * 8 * (log_2pi + std::log(var_x)) -
                           (x.col(0) - model.a * z).squaredNorm() / (2 * var_x);
    const double log_prior = -0.5 * 3 * log_2pi - z.squaredNorm() / 2;
    const double log_q = -0.5 * 3 * log_2pi - enc.log_s.sum() - eps.squaredNorm() / 2;
    sum += log_lik + log_prior - log_q;
  }
  // Monte-Carlo standard error here is ~0.01 nats.
  EXPECT_NEAR(MeanEncoderElbo(model, enc, x), sum / draws, 0.05);
}

TEST(LinearGaussianTest, GradientMatchesFiniteDifferences) {
  const LinearGaussianModel model = MakeLinearGaussianModel(6, 2, 1.0, 2.0, 0.5, 1.0, 3);
  const LinearGaussianEncoder enc = SomeEncoder(2, 6);
  const Eigen::MatrixXd xs = SampleLinearGaussianObservations(model, 7, 8);
  const LinearGaussianEncoder grad = MeanEncoderElboGradient(model, enc, xs);
  const double h = 1e-6;
  auto central = [&](auto&& perturb) {
    LinearGaussianEncoder plus = enc, minus = enc;
    perturb(plus, h);
    perturb(minus, -h);
    return (MeanEncoderElbo(model, plus, xs) - MeanEncoderElbo(model, minus, xs)) / (2 * h);
  };
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 6; ++j) {
      EXPECT_NEAR(grad.w(i, j), central([&](auto& e, double d) { e.w(i, j) += d; }), 1e-5);
    }
    EXPECT_NEAR(grad.b[i], central([&](auto& e, double d) { e.b[i] += d; }), 1e-5);
    EXPECT_NEAR(grad.log_s[i], central([&](auto& e, double d) { e.log_s[i] += d; }), 1e-5);
  }
}

}  // namespace
}  // namespace ntm
