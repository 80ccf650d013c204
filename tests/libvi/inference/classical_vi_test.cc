#include "libvi/inference/classical_vi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "libvi/base/errors.h"
#include "libvi/special_functions.h"

namespace ntm {
namespace {

// Three topics over six terms, overlapping so that φ is not trivial.
const std::vector<float> kBeta = {0.40f, 0.30f, 0.10f, 0.10f, 0.05f, 0.05f,  //
                                  0.05f, 0.10f, 0.40f, 0.30f, 0.10f, 0.05f,  //
                                  0.10f, 0.05f, 0.05f, 0.10f, 0.30f, 0.40f};
const TopicsView kTopics{3, 6, kBeta};

// A matrix of documents from dense count rows (zeros are skipped).
BowMatrix Documents(const std::vector<std::vector<uint32_t>>& rows) {
  BowMatrix bow(static_cast<int32_t>(rows[0].size()));
  for (size_t d = 0; d < rows.size(); ++d) {
    std::vector<int32_t> terms;
    std::vector<uint32_t> counts;
    for (size_t w = 0; w < rows[d].size(); ++w) {
      if (rows[d][w] == 0) continue;
      terms.push_back(static_cast<int32_t>(w));
      counts.push_back(rows[d][w]);
    }
    bow.AddDocument(terms, counts, 1000 + d);
  }
  return bow;
}

// The LDA ELBO written term by term with an explicit φ (no shortcuts).
double ReferenceElbo(const DocView& doc, const std::vector<double>& alpha,
                     const std::vector<double>& gamma) {
  const size_t k_topics = gamma.size();
  const double gamma_sum = std::accumulate(gamma.begin(), gamma.end(), 0.0);
  const double alpha_sum = std::accumulate(alpha.begin(), alpha.end(), 0.0);
  std::vector<double> elog(k_topics);
  for (size_t k = 0; k < k_topics; ++k) elog[k] = Digamma(gamma[k]) - Digamma(gamma_sum);
  double log_p_theta = LogGamma(alpha_sum), log_q_theta = LogGamma(gamma_sum);
  for (size_t k = 0; k < k_topics; ++k) {
    log_p_theta += -LogGamma(alpha[k]) + (alpha[k] - 1) * elog[k];
    log_q_theta += -LogGamma(gamma[k]) + (gamma[k] - 1) * elog[k];
  }
  double log_p_z = 0, log_p_w = 0, log_q_z = 0;
  for (size_t n = 0; n < doc.terms.size(); ++n) {
    std::vector<double> phi(k_topics);
    double norm = 0;
    for (size_t k = 0; k < k_topics; ++k) {
      norm += phi[k] = kTopics.at(k, doc.terms[n]) * std::exp(elog[k]);
    }
    for (size_t k = 0; k < k_topics; ++k) {
      phi[k] /= norm;
      log_p_z += doc.counts[n] * phi[k] * elog[k];
      log_p_w += doc.counts[n] * phi[k] * std::log(double{kTopics.at(k, doc.terms[n])});
      log_q_z += doc.counts[n] * phi[k] * std::log(phi[k]);
    }
  }
  return log_p_theta + log_p_z + log_p_w - log_q_theta - log_q_z;
}

struct Outcome {
  DocumentInference result;
  std::vector<double> gamma = std::vector<double>(3);
  std::vector<float> theta = std::vector<float>(3);
};

Outcome Infer(const ClassicalVi& vi, const DocView& doc, std::vector<double>* trace = nullptr) {
  Outcome run;
  ClassicalViWorkspace ws;
  run.result = vi.InferDocument(doc, ws, run.gamma, run.theta, trace);
  return run;
}

const std::vector<double> kAlpha = {0.3, 0.5, 0.2};

TEST(ClassicalViTest, ThetaIsNormalisedGammaAndSumsToOne) {
  const BowMatrix docs = Documents({{5, 3, 0, 1, 0, 2}, {0, 0, 7, 4, 1, 0}});
  const ClassicalVi vi(kTopics, kAlpha);
  for (int64_t d = 0; d < 2; ++d) {
    const Outcome run = Infer(vi, docs.view().doc(d));
    const double gamma_sum = std::accumulate(run.gamma.begin(), run.gamma.end(), 0.0);
    float theta_sum = 0;
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(run.theta[k], run.gamma[k] / gamma_sum, 1e-7);
      EXPECT_GT(run.theta[k], 0.0f);
      theta_sum += run.theta[k];
    }
    EXPECT_NEAR(theta_sum, 1.0f, 1e-6f);
    // Σγ = Σα + document length: each token's φ sums to 1 (to float
    // precision: the per-term sums run in float).
    EXPECT_NEAR(gamma_sum, 1.0 + (d == 0 ? 11 : 12), 1e-6);
    EXPECT_TRUE(run.result.converged);
  }
}

TEST(ClassicalViTest, StopsAtTheFirstIterationWhoseMeanChangeIsBelowTol) {
  const BowMatrix docs = Documents({{9, 3, 2, 1, 4, 2}});
  const DocView doc = docs.view().doc(0);
  const double tol = 1e-3;
  const Outcome run = Infer(ClassicalVi(kTopics, kAlpha, {100, tol}), doc);
  const int32_t n = run.result.iterations;
  ASSERT_GE(n, 3);
  // Rerun capped at n-1 and n-2 iterations (tiny tol so the cap binds).
  const Outcome before = Infer(ClassicalVi(kTopics, kAlpha, {n - 1, 1e-300}), doc);
  const Outcome two_before = Infer(ClassicalVi(kTopics, kAlpha, {n - 2, 1e-300}), doc);
  double last_change = 0, previous_change = 0;
  for (int k = 0; k < 3; ++k) {
    last_change += std::abs(run.gamma[k] - before.gamma[k]) / 3;
    previous_change += std::abs(before.gamma[k] - two_before.gamma[k]) / 3;
  }
  EXPECT_LT(last_change, tol);
  EXPECT_GE(previous_change, tol);
  EXPECT_FALSE(before.result.converged);
}

TEST(ClassicalViTest, IsDeterministicAndBatchMatchesSingleDocuments) {
  const BowMatrix docs = Documents({{5, 3, 0, 1, 0, 2}, {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}});
  const ClassicalVi vi(kTopics, kAlpha);
  const ClassicalViBatch a = vi.InferBatch(docs.view());
  const ClassicalViBatch b = vi.InferBatch(docs.view());
  EXPECT_EQ(a.theta, b.theta);
  EXPECT_EQ(a.elbo, b.elbo);
  for (int64_t d = 0; d < 3; ++d) {
    const Outcome run = Infer(vi, docs.view().doc(d));
    for (int k = 0; k < 3; ++k) EXPECT_EQ(a.theta[d * 3 + k], run.theta[k]);
    EXPECT_EQ(a.elbo[d], run.result.elbo);
    EXPECT_EQ(a.iterations[d], run.result.iterations);
  }
}

TEST(ClassicalViTest, ElboMatchesTheTermByTermFormula) {
  const BowMatrix docs = Documents({{5, 3, 0, 1, 0, 2}, {0, 2, 7, 4, 1, 3}});
  const ClassicalVi vi(kTopics, kAlpha, {3, 1e-300});  // stop early: γ not at the optimum
  for (int64_t d = 0; d < 2; ++d) {
    const Outcome run = Infer(vi, docs.view().doc(d));
    EXPECT_NEAR(run.result.elbo, ReferenceElbo(docs.view().doc(d), kAlpha, run.gamma), 1e-10);
  }
}

TEST(ClassicalViTest, ElboOfOneTokenIsBelowTheExactEvidence) {
  // p(w) = Σ_k E[θ_k] β_kw for a single token.
  const BowMatrix docs = Documents({{0, 0, 0, 1, 0, 0}});
  const Outcome run = Infer(ClassicalVi(kTopics, kAlpha, {1000, 1e-12}), docs.view().doc(0));
  double evidence = 0;
  for (int k = 0; k < 3; ++k) evidence += kAlpha[k] / 1.0 * kTopics.at(k, 3);
  EXPECT_LT(run.result.elbo, std::log(evidence));
  EXPECT_GT(run.result.elbo, std::log(evidence) - 0.5);
}

TEST(ClassicalViTest, EmptyDocumentGivesThePriorMeanAndZeroElbo) {
  const BowMatrix docs = Documents({{0, 0, 0, 0, 0, 0}});
  const Outcome run = Infer(ClassicalVi(kTopics, kAlpha), docs.view().doc(0));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(run.theta[k], kAlpha[k], 1e-7);
  EXPECT_NEAR(run.result.elbo, 0.0, 1e-12);
}

TEST(ClassicalViTest, SingleTopicAndSymmetricAlpha) {
  const std::vector<float> beta = {0.25f, 0.25f, 0.5f};
  const double alpha = 0.7;
  const ClassicalVi vi(TopicsView{1, 3, beta}, std::span(&alpha, 1));
  const BowMatrix docs = Documents({{2, 0, 3}});
  std::vector<double> gamma(1);
  std::vector<float> theta(1);
  ClassicalViWorkspace ws;
  const DocumentInference r = vi.InferDocument(docs.view().doc(0), ws, gamma, theta);
  EXPECT_NEAR(gamma[0], 5.7, 1e-12);
  EXPECT_EQ(theta[0], 1.0f);
  EXPECT_NEAR(r.elbo, 2 * std::log(0.25) + 3 * std::log(0.5), 1e-9);  // log p(w) exactly
}

TEST(ClassicalViTest, RejectsBadInputsWithTypedErrors) {
  const std::vector<double> bad_alpha = {0.3, -1.0, 0.2};
  EXPECT_THROW(ClassicalVi(kTopics, bad_alpha), ConfigError);
  EXPECT_THROW(ClassicalVi(kTopics, std::vector<double>{0.1, 0.1}), ConfigError);
  std::vector<float> unnormalised = kBeta;
  unnormalised[0] = 0.9f;
  EXPECT_THROW(ClassicalVi(TopicsView{3, 6, unnormalised}, kAlpha), InputError);
  std::vector<float> nan_beta = kBeta;
  nan_beta[4] = NAN;
  EXPECT_THROW(ClassicalVi(TopicsView{3, 6, nan_beta}, kAlpha), InputError);
  EXPECT_THROW(ClassicalVi(kTopics, kAlpha, {0, 1e-3}), ConfigError);
}

TEST(ClassicalViTest, ZeroProbabilityTermRaisesNumericalErrorNamingTheDocument) {
  // Term 3 has probability 0 under every topic.
  const std::vector<float> beta = {0.5f, 0.5f, 0.0f, 0.0f,  //
                                   0.0f, 0.5f, 0.5f, 0.0f};
  const ClassicalVi vi(TopicsView{2, 4, beta}, std::vector<double>{0.5, 0.5});
  const BowMatrix docs = Documents({{1, 1, 0, 0}, {1, 0, 2, 1}});
  try {
    vi.InferBatch(docs.view());
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("document 1"), std::string::npos) << e.what();
  }
  BowMatrix out_of_range(9);
  const int32_t term = 8;
  const uint32_t count = 1;
  out_of_range.AddDocument(std::span(&term, 1), std::span(&count, 1), 7);
  EXPECT_THROW(vi.InferBatch(out_of_range.view()), InputError);
}

TEST(ClassicalViTest, TightToleranceConvergesOnLongDocuments) {
  // γ ~ 3000 here: float rounding alone moves γ by ~1e-4 per iteration, so a
  // tol of 1e-8 is only reachable because the last iterations run in double.
  const BowMatrix docs = Documents({{3000, 2000, 1500, 1000, 700, 800}});
  const Outcome run = Infer(ClassicalVi(kTopics, kAlpha, {10000, 1e-8}), docs.view().doc(0));
  EXPECT_TRUE(run.result.converged);
  EXPECT_LT(run.result.iterations, 1000);
  const Outcome loose = Infer(ClassicalVi(kTopics, kAlpha, {10000, 1e-3}), docs.view().doc(0));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(loose.theta[k], run.theta[k], 1e-3);
}

TEST(ClassicalViTest, FloatUnderflowFallsBackToDouble) {
  // Term 3 has probability ~1e-42 (a float denormal): its weight count/norm
  // overflows float, not double.
  std::vector<float> beta = {0.5f, 0.5f, 0.0f, 1e-42f,  //
                             0.0f, 0.5f, 0.5f, 1e-42f};
  const ClassicalVi vi(TopicsView{2, 4, beta}, std::vector<double>{0.5, 0.5});
  const BowMatrix docs = Documents({{2, 1, 0, 1}});
  std::vector<double> gamma(2);
  std::vector<float> theta(2);
  ClassicalViWorkspace ws;
  const DocumentInference r = vi.InferDocument(docs.view().doc(0), ws, gamma, theta);
  EXPECT_TRUE(std::isfinite(r.elbo));
  EXPECT_NEAR(theta[0] + theta[1], 1.0f, 1e-6f);
  EXPECT_GT(theta[0], theta[1]);  // term 0 only occurs in topic 0
}

TEST(ClassicalViTest, ElboTraceIsMonotoneAndEndsAtTheResult) {
  const BowMatrix docs = Documents({{9, 3, 2, 1, 4, 2}});
  std::vector<double> trace;
  const Outcome run = Infer(ClassicalVi(kTopics, kAlpha, {200, 1e-9}), docs.view().doc(0), &trace);
  ASSERT_EQ(trace.size(), static_cast<size_t>(run.result.iterations) + 1);
  EXPECT_EQ(trace.back(), run.result.elbo);
  for (size_t t = 1; t < trace.size(); ++t) EXPECT_GE(trace[t], trace[t - 1] - 1e-12);
}

}  // namespace
}  // namespace ntm
