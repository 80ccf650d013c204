#include "libvi/claim_models/linear_gaussian.h"

#include <Eigen/Dense>
#include <cmath>
#include <numbers>

#include "libvi/base/errors.h"
#include "libvi/claim_models/synthetic.h"  // SeededRng

namespace ntm {
namespace {

Eigen::MatrixXd GaussianMatrix(int rows, int cols, SeededRng& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < rows; ++i) m(i, j) = rng.Normal();
  }
  return m;
}

// Gram–Schmidt on a Gaussian matrix: Haar-random orthonormal columns.
// (Written out: Eigen's HouseholderQR trips GCC 12's -Wmaybe-uninitialized.)
Eigen::MatrixXd RandomOrthonormal(int rows, int cols, SeededRng& rng) {
  Eigen::MatrixXd q = GaussianMatrix(rows, cols, rng);
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < j; ++i) q.col(j) -= q.col(i).dot(q.col(j)) * q.col(i);
    q.col(j).normalize();
  }
  return q;
}

// Precision of p(z|x): AᵀA/σ² + I/τ².
Eigen::MatrixXd PosteriorPrecision(const LinearGaussianModel& model) {
  const int k = static_cast<int>(model.a.cols());
  return model.a.transpose() * model.a / (model.noise_sd * model.noise_sd) +
         Eigen::MatrixXd::Identity(k, k) / (model.prior_sd * model.prior_sd);
}

}  // namespace

LinearGaussianModel MakeLinearGaussianModel(int d, int k, double s_min, double s_max,
                                            double noise_sd, double prior_sd, uint64_t seed) {
  if (k < 1 || d < k || !(s_min > 0) || s_max < s_min || !(noise_sd > 0) || !(prior_sd > 0)) {
    throw ConfigError("linear-Gaussian model: need d >= k >= 1 and positive scales");
  }
  SeededRng rng(seed);
  Eigen::VectorXd singular(k);
  for (int j = 0; j < k; ++j) singular[j] = k == 1 ? s_min : s_min + (s_max - s_min) * j / (k - 1);
  const Eigen::MatrixXd u = RandomOrthonormal(d, k, rng), v = RandomOrthonormal(k, k, rng);
  return {u * singular.asDiagonal() * v.transpose(), noise_sd, prior_sd};
}

Eigen::MatrixXd RidgePseudoinverse(const LinearGaussianModel& model) {
  const double ratio = std::pow(model.noise_sd / model.prior_sd, 2);
  const Eigen::MatrixXd gram = model.a.transpose() * model.a +
                               ratio * Eigen::MatrixXd::Identity(model.a.cols(), model.a.cols());
  return gram.ldlt().solve(model.a.transpose());
}

Eigen::VectorXd OptimalMeanFieldVariances(const LinearGaussianModel& model) {
  return PosteriorPrecision(model).diagonal().cwiseInverse();
}

Eigen::MatrixXd SampleLinearGaussianObservations(const LinearGaussianModel& model, int n,
                                                 uint64_t seed) {
  SeededRng rng(seed);
  const Eigen::MatrixXd z =
      model.prior_sd * GaussianMatrix(static_cast<int>(model.a.cols()), n, rng);
  return model.a * z + model.noise_sd * GaussianMatrix(static_cast<int>(model.a.rows()), n, rng);
}

double MeanEncoderElbo(const LinearGaussianModel& model, const LinearGaussianEncoder& encoder,
                       const Eigen::MatrixXd& xs) {
  const double var_x = model.noise_sd * model.noise_sd, var_z = model.prior_sd * model.prior_sd;
  const double d = static_cast<double>(model.a.rows()), k = static_cast<double>(model.a.cols());
  const Eigen::MatrixXd m = (encoder.w * xs).colwise() + encoder.b;
  const Eigen::VectorXd s2 = (2 * encoder.log_s).array().exp();
  const Eigen::VectorXd column_norms = model.a.colwise().squaredNorm().transpose();
  const double n = static_cast<double>(xs.cols());
  // E_q ||x - A z||² = ||x - A m||² + Σ_j s_j² ||a_j||²;  E_q ||z||² = ||m||² + Σ_j s_j².
  const double residual = (xs - model.a * m).squaredNorm() / n + s2.dot(column_norms);
  const double prior = m.squaredNorm() / n + s2.sum();
  const double log_2pi = std::log(2 * std::numbers::pi);
  return -0.5 * d * (log_2pi + std::log(var_x)) - residual / (2 * var_x) -
         0.5 * k * (log_2pi + std::log(var_z)) - prior / (2 * var_z) + 0.5 * k * (log_2pi + 1) +
         encoder.log_s.sum();
}

LinearGaussianEncoder MeanEncoderElboGradient(const LinearGaussianModel& model,
                                              const LinearGaussianEncoder& encoder,
                                              const Eigen::MatrixXd& xs) {
  const double var_x = model.noise_sd * model.noise_sd, var_z = model.prior_sd * model.prior_sd;
  const double n = static_cast<double>(xs.cols());
  const Eigen::MatrixXd m = (encoder.w * xs).colwise() + encoder.b;
  // ∂ELBO/∂m per observation: Aᵀ(x - A m)/σ² - m/τ².
  const Eigen::MatrixXd g = model.a.transpose() * (xs - model.a * m) / var_x - m / var_z;
  const Eigen::VectorXd s2 = (2 * encoder.log_s).array().exp();
  const Eigen::VectorXd precision_diag =
      (model.a.colwise().squaredNorm().transpose().array() / var_x + 1 / var_z).matrix();
  return {g * xs.transpose() / n, g.rowwise().sum() / n,
          (1.0 - s2.array() * precision_diag.array()).matrix()};
}

LinearGaussianEncoder TrainLinearGaussianEncoder(const LinearGaussianModel& model,
                                                 const EncoderTrainingOptions& options) {
  const int d = static_cast<int>(model.a.rows()), k = static_cast<int>(model.a.cols());
  LinearGaussianEncoder encoder{Eigen::MatrixXd::Zero(k, d), Eigen::VectorXd::Zero(k),
                                Eigen::VectorXd::Zero(k)};
  for (int step = 0; step < options.steps; ++step) {
    const Eigen::MatrixXd xs = SampleLinearGaussianObservations(
        model, options.batch_size, MixSeed(options.seed, static_cast<uint64_t>(step)));
    const LinearGaussianEncoder grad = MeanEncoderElboGradient(model, encoder, xs);
    encoder.w += options.learning_rate * grad.w;
    encoder.b += options.learning_rate * grad.b;
    encoder.log_s += options.learning_rate * grad.log_s;
  }
  return encoder;
}

}  // namespace ntm
