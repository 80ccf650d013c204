// The three inference methods on a model trained on a synthetic LDA corpus:
// valid θ, finite ELBOs, ln-vi never below amortized, refinement helps on
// average, and a document's results do not depend on its batch.
#include "libvi/inference/logistic_normal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numeric>

#include "libvi/base/errors.h"
#include "libvi/trainer.h"
#include "tests/libvi/model_test_util.h"

namespace ntm {
namespace {

constexpr int kVocab = 150, kTopics = 5;

// Trains a small model once per decoder (shared by the tests below).
const Model& TrainedModel(DecoderKind decoder) {
  static std::unique_ptr<Model> models[2];
  std::unique_ptr<Model>& slot = models[static_cast<int>(decoder)];
  if (slot) return *slot;
  const testing::LdaTestCorpus corpus = testing::MakeLdaCorpus(600, kVocab, kTopics, 80, 0.3, 3);
  const BowView docs = corpus.docs.view();
  ModelOptions mo;
  mo.vocab_size = kVocab;
  mo.num_topics = kTopics;
  mo.hidden_units = 50;
  mo.decoder = decoder;
  TrainOptions to;
  to.adam.learning_rate = 0.01;
  Trainer trainer(mo, to);
  ReduceBuffer buffer = trainer.NewReduceBuffer();
  trainer.AccumulateBatchNormStats(docs.rows(0, 100), buffer);
  trainer.ApplyBatchNormStats(buffer);
  for (int epoch = 0; epoch < 20; ++epoch) {
    for (int64_t b = 0; b < docs.num_docs(); b += 100) {
      buffer.Clear();
      trainer.AccumulateGradients(docs.rows(b, b + 100), buffer);
      trainer.ApplyStep(buffer);
    }
  }
  slot = std::make_unique<Model>(trainer.model());
  return *slot;
}

// Held-out documents from the same generator (another seed).
const BowMatrix& HeldOut() {
  static const BowMatrix docs = testing::MakeLdaCorpus(40, kVocab, kTopics, 80, 0.3, 99).docs;
  return docs;
}

void ExpectValid(const InferenceResult& r, int64_t docs, bool elbo) {
  ASSERT_EQ(r.num_docs, docs);
  ASSERT_EQ(r.theta.size(), static_cast<size_t>(docs * kTopics));
  for (int64_t d = 0; d < docs; ++d) {
    double sum = 0;
    for (int k = 0; k < kTopics; ++k) {
      const float t = r.theta[d * kTopics + k];
      EXPECT_TRUE(t >= 0 && t <= 1) << "doc " << d;
      sum += t;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << "doc " << d;
    if (elbo) {
      EXPECT_TRUE(std::isfinite(r.elbo[d])) << "doc " << d;
      EXPECT_LT(r.elbo[d], 0) << "doc " << d;  // log-likelihood of 80 tokens over 150 terms
    }
  }
}

double Mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

class InferenceTest : public ::testing::TestWithParam<DecoderKind> {
 protected:
  const Model& model() const { return TrainedModel(GetParam()); }
};

TEST_P(InferenceTest, EveryMethodGivesDistributionsAndFiniteElbos) {
  const TopicInference inference(model());
  const BowView docs = HeldOut().view();
  ExpectValid(inference.Amortized(docs, {}), docs.num_docs(), true);
  ExpectValid(inference.Refined(docs, {}), docs.num_docs(), true);
  ExpectValid(inference.LnVi(docs.rows(0, 10), {}), 10, true);
  AmortizedOptions theta_only;
  theta_only.compute_elbo = false;
  const InferenceResult r = inference.Amortized(docs, theta_only);
  ExpectValid(r, docs.num_docs(), false);
  EXPECT_TRUE(r.elbo.empty());
  EXPECT_EQ(r.theta, inference.Amortized(docs, {}).theta);  // same draws either way
}

TEST_P(InferenceTest, LnViIsNeverBelowAmortizedOnTheSameDraws) {
  const TopicInference inference(model());
  const BowView docs = HeldOut().view().rows(0, 20);
  const InferenceResult amortized = inference.Amortized(docs, {});
  const InferenceResult lnvi = inference.LnVi(docs, {});
  double gap = 0;
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    EXPECT_EQ(lnvi.start_elbo[d], amortized.elbo[d]) << "doc " << d;
    EXPECT_GE(lnvi.elbo[d], amortized.elbo[d]) << "doc " << d;
    gap += (lnvi.elbo[d] - amortized.elbo[d]) / docs.num_docs();
  }
  EXPECT_GT(gap, 0.01) << "the encoder should not be exactly optimal";
  // Converged: more iterations (and a tighter tolerance) gain next to nothing.
  LnViOptions longer;
  longer.max_iterations = 1000;
  longer.tolerance = 1e-10;
  const InferenceResult more = inference.LnVi(docs.rows(0, 5), longer);
  for (int64_t d = 0; d < 5; ++d) EXPECT_LT(more.elbo[d] - lnvi.elbo[d], 0.05) << "doc " << d;
}

TEST_P(InferenceTest, RefinementImprovesTheElboOnAverage) {
  const TopicInference inference(model());
  const BowView docs = HeldOut().view();
  RefineOptions options;
  options.record_steps = {0, 1, 5, 20};
  const InferenceResult refined = inference.Refined(docs, options);
  const InferenceResult amortized = inference.Amortized(docs, {});
  std::vector<double> at[4];
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    for (int j = 0; j < 4; ++j) at[j].push_back(refined.elbo_at_steps[d * 4 + j]);
    EXPECT_EQ(at[0].back(), amortized.elbo[d]);  // step 0 is the encoder output
    EXPECT_EQ(at[3].back(), refined.elbo[d]);    // step 20 is the final answer
  }
  EXPECT_GE(Mean(at[3]), Mean(at[1]));
  EXPECT_GT(Mean(at[3]), Mean(at[0]));
}

// Newton's method (the default for lda) converges in a few steps and closes
// more of the gap to ln-vi than SA-VAE's 20 SGD steps; it stops documents early.
TEST(NewtonRefinementTest, ClosesMoreOfTheGapThanSgdInFewSteps) {
  const TopicInference inference(TrainedModel(DecoderKind::kLda));
  const BowView docs = HeldOut().view().rows(0, 20);
  const InferenceResult amortized = inference.Amortized(docs, {});
  const InferenceResult lnvi = inference.LnVi(docs, {});
  RefineOptions newton;
  RefineOptions sgd;
  sgd.algorithm = RefineAlgorithm::kSgd;
  const InferenceResult by_newton = inference.Refined(docs, newton);
  const InferenceResult by_sgd = inference.Refined(docs, sgd);
  double gap = 0, closed_newton = 0, closed_sgd = 0, steps = 0;
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    gap += lnvi.elbo[d] - amortized.elbo[d];
    closed_newton += by_newton.elbo[d] - amortized.elbo[d];
    closed_sgd += by_sgd.elbo[d] - amortized.elbo[d];
    steps += by_newton.iterations[d];
    EXPECT_LE(by_newton.elbo[d], lnvi.elbo[d] + 1e-3) << "doc " << d;  // ln-vi is the optimum
  }
  ASSERT_GT(gap, 0.01);
  EXPECT_GT(closed_newton, closed_sgd);
  EXPECT_GT(closed_newton / gap, 0.5);
  EXPECT_LT(steps / docs.num_docs(), 8.0) << "Newton should stop well before its cap of 20";
}

// A document's Newton refinement is a fixed function of the document: the
// first s steps of a longer run equal a run capped at s steps.
TEST(NewtonRefinementTest, CappedRunsArePrefixesOfLongerRuns) {
  const TopicInference inference(TrainedModel(DecoderKind::kLda));
  const BowView docs = HeldOut().view().rows(0, 10);
  RefineOptions recorded;
  recorded.record_steps = {2, 20};
  RefineOptions two;
  two.num_steps = 2;
  const InferenceResult a = inference.Refined(docs, recorded);
  const InferenceResult b = inference.Refined(docs, two);
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    EXPECT_EQ(a.elbo_at_steps[d * 2], b.elbo[d]) << "doc " << d;
    EXPECT_EQ(a.elbo_at_steps[d * 2 + 1], a.elbo[d]) << "doc " << d;
    EXPECT_LE(b.iterations[d], 2);
  }
}

TEST_P(InferenceTest, ResultsDoNotDependOnTheOtherDocumentsInTheCall) {
  const TopicInference inference(model());
  const BowView all = HeldOut().view();
  const int64_t target = 37;  // in the second encoder block when run with all
  const BowView alone = all.rows(target, target + 1);
  const BowView shifted = all.rows(30, 40);  // target at position 7 instead of 37
  const auto same = [&](const InferenceResult& a, int64_t i, const InferenceResult& b, int64_t j) {
    for (int k = 0; k < kTopics; ++k) {
      EXPECT_EQ(a.theta[i * kTopics + k], b.theta[j * kTopics + k]);
    }
    EXPECT_EQ(a.elbo[i], b.elbo[j]);
  };
  same(inference.Amortized(all, {}), target, inference.Amortized(alone, {}), 0);
  same(inference.Amortized(all, {}), target, inference.Amortized(shifted, {}), 7);
  same(inference.Refined(all, {}), target, inference.Refined(alone, {}), 0);
  same(inference.LnVi(all.rows(0, target + 1), {}), target, inference.LnVi(shifted, {}), 7);
  // And a second call on the same object gives the same answer (no hidden state).
  same(inference.Refined(alone, {}), 0, inference.Refined(alone, {}), 0);
}

INSTANTIATE_TEST_SUITE_P(Decoders, InferenceTest,
                         ::testing::Values(DecoderKind::kLda, DecoderKind::kProdLda),
                         [](const auto& info) { return std::string(DecoderName(info.param)); });

TEST(InferenceOptionsTest, RejectsInvalidOptions) {
  RefineOptions refine;
  refine.record_steps = {25};
  refine.momentum = 1.0;
  EXPECT_THROW(ValidateRefineOptions(refine), ConfigError);
  LnViOptions lnvi;
  lnvi.draws.num_samples = 0;
  EXPECT_THROW(ValidateLnViOptions(lnvi), ConfigError);
  const TopicInference inference(TrainedModel(DecoderKind::kLda));
  EXPECT_THROW(inference.Refined(HeldOut().view(), refine), ConfigError);
}

TEST(InferenceOptionsTest, TopicsAreExposedForLdaOnly) {
  const TopicInference lda(TrainedModel(DecoderKind::kLda));
  EXPECT_EQ(lda.topics().rows(), kTopics);
  EXPECT_NEAR(lda.topics().row(2).sum(), 1.0, 1e-5);
  const TopicInference prodlda(TrainedModel(DecoderKind::kProdLda));
  EXPECT_EQ(prodlda.topics().size(), 0);
}

}  // namespace
}  // namespace ntm
