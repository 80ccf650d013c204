#include "libvi/claim_models/synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

TEST(SeededRngTest, UniformIntStaysInRangeAndIsRoughlyFlat) {
  SeededRng rng(42);
  std::vector<int> histogram(7, 0);
  const int draws = 70000;
  for (int i = 0; i < draws; ++i) ++histogram[rng.UniformInt(7)];
  // Each bin ~ Binomial(70000, 1/7): sd ≈ 93, so 6 sd ≈ 560.
  for (int h : histogram) EXPECT_NEAR(h, draws / 7, 560);
}

TEST(SeededRngTest, GammaAndPoissonMomentsMatch) {
  SeededRng rng(7);
  const int n = 40000;
  for (double shape : {0.05, 0.3, 1.0, 2.5, 40.0}) {
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
      const double g = std::exp(rng.LogGammaVariate(shape));
      sum += g;
      sum_sq += g * g;
    }
    const double mean = sum / n, var = sum_sq / n - mean * mean;
    // Standard error of the mean: sqrt(shape / n); allow 5 of them.
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / n)) << "shape " << shape;
    EXPECT_NEAR(var, shape, 0.1 * shape + 5 * std::sqrt(shape / n)) << "shape " << shape;
  }
  for (double lambda : {0.5, 3.0, 9.9, 10.0, 300.0}) {
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
      const double k = static_cast<double>(rng.Poisson(lambda));
      sum += k;
      sum_sq += k * k;
    }
    const double mean = sum / n, var = sum_sq / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n)) << "lambda " << lambda;
    EXPECT_NEAR(var, lambda, 0.05 * lambda) << "lambda " << lambda;
  }
}

TEST(SyntheticTopicsTest, RowsAreDistributionsAndSeeded) {
  const std::vector<float> beta = SampleDirichletTopics(4, 50, 0.1, 3);
  ASSERT_EQ(beta.size(), 200u);
  for (int k = 0; k < 4; ++k) {
    const double sum = std::accumulate(beta.begin() + k * 50, beta.begin() + (k + 1) * 50, 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  EXPECT_EQ(beta, SampleDirichletTopics(4, 50, 0.1, 3));
  EXPECT_NE(beta, SampleDirichletTopics(4, 50, 0.1, 4));
  // Tiny concentrations must not underflow to an all-zero row.
  const std::vector<float> sparse = SampleDirichletTopics(2, 100, 1e-3, 5);
  EXPECT_NEAR(std::accumulate(sparse.begin(), sparse.begin() + 100, 0.0), 1.0, 1e-5);
}

TEST(SyntheticCorpusTest, DocumentsDependOnlyOnSeedAndIndex) {
  const std::vector<float> beta = SampleDirichletTopics(3, 40, 0.2, 1);
  const TopicsView topics{3, 40, beta};
  const std::vector<double> alpha(3, 0.5);
  const SyntheticCorpus small = SampleLdaCorpus(topics, alpha, {5, 30.0, false, 9});
  const SyntheticCorpus large = SampleLdaCorpus(topics, alpha, {12, 30.0, false, 9});
  const BowView a = small.docs.view(), b = large.docs.view();
  for (int64_t d = 0; d < 5; ++d) {
    EXPECT_EQ(a.doc(d).key, b.doc(d).key);
    EXPECT_TRUE(std::ranges::equal(a.doc(d).terms, b.doc(d).terms));
    EXPECT_TRUE(std::ranges::equal(a.doc(d).counts, b.doc(d).counts));
    for (int k = 0; k < 3; ++k) EXPECT_EQ(small.theta[d * 3 + k], large.theta[d * 3 + k]);
  }
  const SyntheticCorpus other = SampleLdaCorpus(topics, alpha, {5, 30.0, false, 10});
  EXPECT_NE(small.theta, other.theta);
}

TEST(SyntheticCorpusTest, LengthsThetaAndTermFrequenciesHaveTheRightStatistics) {
  const int32_t v = 30;
  const std::vector<float> beta = SampleDirichletTopics(2, v, 1.0, 2);
  const std::vector<double> alpha = {0.4, 1.6};
  const int64_t num_docs = 4000;
  const SyntheticCorpus corpus =
      SampleLdaCorpus(TopicsView{2, v, beta}, alpha, {num_docs, 50.0, false, 11});
  const BowView docs = corpus.docs.view();
  double length_sum = 0, length_sq = 0, theta0_sum = 0;
  std::vector<double> expected(v, 0.0), observed(v, 0.0);
  for (int64_t d = 0; d < num_docs; ++d) {
    const DocView doc = docs.doc(d);
    ASSERT_TRUE(std::is_sorted(doc.terms.begin(), doc.terms.end()));
    const double length = std::accumulate(doc.counts.begin(), doc.counts.end(), 0.0);
    EXPECT_EQ(length, corpus.topic_counts[2 * d] + corpus.topic_counts[2 * d + 1]);
    length_sum += length;
    length_sq += length * length;
    theta0_sum += corpus.theta[2 * d];
    for (size_t i = 0; i < doc.terms.size(); ++i) observed[doc.terms[i]] += doc.counts[i];
    // Given the topic counts, term w is expected Σ_k n_k β_kw times.
    for (int32_t w = 0; w < v; ++w) {
      expected[w] +=
          corpus.topic_counts[2 * d] * beta[w] + corpus.topic_counts[2 * d + 1] * beta[v + w];
    }
  }
  const double mean_length = length_sum / num_docs;
  EXPECT_NEAR(mean_length, 50.0, 5 * std::sqrt(50.0 / num_docs));
  EXPECT_NEAR(length_sq / num_docs - mean_length * mean_length, 50.0, 5.0);  // Poisson: var = mean
  // E[θ_0] = 0.4 / 2; sd of θ_0 under Dirichlet is sqrt(0.2*0.8/3) ≈ 0.23.
  EXPECT_NEAR(theta0_sum / num_docs, 0.2, 5 * 0.23 / std::sqrt(num_docs));
  // Pearson chi-square over 30 terms (29 dof): mean 29, sd 7.6; 80 is > 6 sd out.
  double chi_square = 0;
  for (int32_t w = 0; w < v; ++w)
    chi_square += std::pow(observed[w] - expected[w], 2) / expected[w];
  EXPECT_LT(chi_square, 80.0);
}

TEST(SyntheticCorpusTest, FixedLengthAndBadArguments) {
  const std::vector<float> beta = SampleDirichletTopics(2, 10, 1.0, 2);
  const TopicsView topics{2, 10, beta};
  const SyntheticCorpus corpus =
      SampleLdaCorpus(topics, std::vector<double>{1.0, 1.0}, {20, 17.0, true, 1});
  for (int64_t d = 0; d < 20; ++d) {
    const auto counts = corpus.docs.view().doc(d).counts;
    EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), 0u), 17u);
  }
  EXPECT_THROW(SampleLdaCorpus(topics, std::vector<double>{1.0}, {}), ConfigError);
  EXPECT_THROW(SampleLdaCorpus(topics, std::vector<double>{1.0, 0.0}, {}), ConfigError);
  EXPECT_THROW(SampleDirichletTopics(0, 10, 1.0, 1), ConfigError);
}

}  // namespace
}  // namespace ntm
