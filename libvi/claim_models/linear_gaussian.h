// A linear-Gaussian inverse problem where amortized inference can be checked
// exactly (claim 1): x = A z + ε, z ~ N(0, τ² I_k), ε ~ N(0, σ² I_d). The
// posterior mean is M x with M = (AᵀA + (σ²/τ²) I)⁻¹ Aᵀ, the ridge
// pseudoinverse, so a linear encoder trained on the ELBO should learn M.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace ntm {

// The generative model x = A z + ε.
struct LinearGaussianModel {
  Eigen::MatrixXd a;      // d×k forward map
  double noise_sd = 0.5;  // σ
  double prior_sd = 1.0;  // τ
};

// A d×k model whose singular values are evenly spaced in [s_min, s_max]
// (random orthonormal singular vectors from `seed`), so conditioning is chosen.
LinearGaussianModel MakeLinearGaussianModel(int d, int k, double s_min, double s_max,
                                            double noise_sd, double prior_sd, uint64_t seed);

// The posterior-mean map (AᵀA + (σ²/τ²) I)⁻¹ Aᵀ, k×d.
Eigen::MatrixXd RidgePseudoinverse(const LinearGaussianModel& model);

// Variances of the best diagonal Gaussian q(z|x): 1 / (posterior precision)_jj.
Eigen::VectorXd OptimalMeanFieldVariances(const LinearGaussianModel& model);

// Samples n observations x (columns of a d×n matrix) from the generative process.
Eigen::MatrixXd SampleLinearGaussianObservations(const LinearGaussianModel& model, int n,
                                                 uint64_t seed);

// The amortized encoder q(z|x) = N(W x + b, diag(exp(2 log_s))).
struct LinearGaussianEncoder {
  Eigen::MatrixXd w;      // k×d mean map
  Eigen::VectorXd b;      // k mean offset
  Eigen::VectorXd log_s;  // k log standard deviations
};

// Exact ELBO (nats) of the encoder at each column of xs, averaged over columns.
// Closed form: every expectation under a Gaussian q of a quadratic is exact.
double MeanEncoderElbo(const LinearGaussianModel& model, const LinearGaussianEncoder& encoder,
                       const Eigen::MatrixXd& xs);

// Gradient of MeanEncoderElbo with respect to (W, b, log_s), exact in q.
LinearGaussianEncoder MeanEncoderElboGradient(const LinearGaussianModel& model,
                                              const LinearGaussianEncoder& encoder,
                                              const Eigen::MatrixXd& xs);

// Stochastic gradient ascent on the ELBO over fresh minibatches of x.
struct EncoderTrainingOptions {
  int steps = 3000;             // gradient steps
  int batch_size = 32;          // observations per step, drawn from the generative process
  double learning_rate = 0.01;  // plain SGD: at the optimum every per-x gradient is zero
  uint64_t seed = 1;            // seeds the observations
};

// Trains an encoder from W = 0, b = 0, log_s = 0 by maximising the ELBO.
LinearGaussianEncoder TrainLinearGaussianEncoder(const LinearGaussianModel& model,
                                                 const EncoderTrainingOptions& options);

}  // namespace ntm
