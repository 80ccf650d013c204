#include "libvi/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "libvi/base/errors.h"
#include "libvi/claim_models/synthetic.h"

namespace ntm {
namespace {

// Documents given as lists of distinct ascending term ids, each with count 1.
BowMatrix Sets(int32_t vocab_size, const std::vector<std::vector<int32_t>>& docs) {
  BowMatrix bow(vocab_size);
  for (size_t d = 0; d < docs.size(); ++d) {
    const std::vector<uint32_t> ones(docs[d].size(), 1);
    bow.AddDocument(docs[d], ones, d);
  }
  return bow;
}

TEST(NpmiTest, HandComputedPair) {
  // 4 documents: p(0) = 3/4, p(1) = 1/2, p(0,1) = 1/2, term 2 never with 0 or 1.
  const BowMatrix ref = Sets(4, {{0, 1}, {0, 1}, {0}, {2, 3}});
  const std::vector<std::vector<int32_t>> top = {{0, 1}, {0, 2}, {2, 3}};
  const std::vector<double> npmi = TopicNpmi(CountTopTermCoOccurrence(top, ref.view()));
  EXPECT_NEAR(npmi[0], std::log((0.5) / (0.75 * 0.5)) / -std::log(0.5), 1e-12);  // 0.415
  EXPECT_EQ(npmi[1], 0.0);                                                       // never co-occur
  // Terms 2 and 3 always occur together: p(i,j) = p(i) = p(j) = 1/4, NPMI = 1.
  EXPECT_NEAR(npmi[2], 1.0, 1e-12);
}

TEST(NpmiTest, MeanOverPairsAndCountsMatchBruteForce) {
  const std::vector<float> beta = SampleDirichletTopics(6, 80, 0.1, 4);
  const TopicsView topics{6, 80, beta};
  const SyntheticCorpus corpus =
      SampleLdaCorpus(topics, std::vector<double>(6, 0.2), {300, 40.0, false, 8});
  const BowView ref = corpus.docs.view();
  const auto top = TopTerms(topics, 10);
  const std::vector<double> npmi = TopicNpmi(CountTopTermCoOccurrence(top, ref));
  for (size_t t = 0; t < top.size(); ++t) {
    auto has = [&](int64_t d, int32_t w) {
      const auto terms = ref.doc(d).terms;
      return std::binary_search(terms.begin(), terms.end(), w);
    };
    double sum = 0;
    for (int i = 0; i < 10; ++i) {
      for (int j = i + 1; j < 10; ++j) {
        double ni = 0, nj = 0, nij = 0;
        for (int64_t d = 0; d < ref.num_docs(); ++d) {
          ni += has(d, top[t][i]);
          nj += has(d, top[t][j]);
          nij += has(d, top[t][i]) && has(d, top[t][j]);
        }
        const double n = ref.num_docs();
        if (nij > 0) sum += std::log(nij * n / (ni * nj)) / -std::log(nij / n);
      }
    }
    EXPECT_NEAR(npmi[t], sum / 45, 1e-12) << "topic " << t;
  }
  EXPECT_EQ(npmi, TopicNpmi(topics, ref, 10));
}

TEST(TopTermsTest, OrdersByProbabilityThenId) {
  const std::vector<float> beta = {0.1f, 0.4f, 0.1f, 0.4f,  //
                                   0.7f, 0.1f, 0.1f, 0.1f};
  const auto top = TopTerms(TopicsView{2, 4, beta}, 3);
  EXPECT_EQ(top[0], (std::vector<int32_t>{1, 3, 0}));
  EXPECT_EQ(top[1], (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(TopTerms(TopicsView{2, 4, beta}, 99)[0].size(), 4u);
}

TEST(TopicDiversityTest, HandBuiltTopics) {
  EXPECT_DOUBLE_EQ(TopicDiversity({{0, 1, 2}, {2, 3, 4}}), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(TopicDiversity({{0, 1}, {2, 3}}), 1.0);
  EXPECT_DOUBLE_EQ(TopicDiversity({{0, 1}, {1, 0}}), 0.5);
}

TEST(SplitHalvesTest, SplitsTokenOccurrencesDeterministically) {
  BowMatrix bow(10);
  const std::vector<int32_t> terms = {1, 4, 7};
  const std::vector<uint32_t> counts = {6, 1, 4};  // 11 tokens
  bow.AddDocument(terms, counts, 99);
  const DocumentHalves h = SplitDocumentHalves(bow.view(), 5);
  const DocView first = h.first.view().doc(0), second = h.second.view().doc(0);
  EXPECT_EQ(std::accumulate(first.counts.begin(), first.counts.end(), 0u), 5u);
  EXPECT_EQ(std::accumulate(second.counts.begin(), second.counts.end(), 0u), 6u);
  std::vector<uint32_t> total(10, 0);
  for (const DocView& half : {first, second}) {
    for (size_t i = 0; i < half.terms.size(); ++i) total[half.terms[i]] += half.counts[i];
  }
  EXPECT_EQ(total[1], 6u);
  EXPECT_EQ(total[4], 1u);
  EXPECT_EQ(total[7], 4u);
  EXPECT_EQ(first.key, 99u);
  const DocumentHalves again = SplitDocumentHalves(bow.view(), 5);
  EXPECT_TRUE(std::ranges::equal(again.first.view().doc(0).counts, first.counts));
}

TEST(SplitHalvesTest, EachTokenLandsInTheFirstHalfHalfTheTime) {
  BowMatrix bow(3);
  const std::vector<int32_t> terms = {0, 1, 2};
  const std::vector<uint32_t> counts = {1, 5, 14};  // 20 tokens, 10 per half
  for (uint64_t key = 0; key < 2000; ++key) bow.AddDocument(terms, counts, key);
  const DocumentHalves h = SplitDocumentHalves(bow.view(), 1);
  double term0 = 0, term2 = 0;
  for (int64_t d = 0; d < 2000; ++d) {
    const DocView doc = h.first.view().doc(d);
    for (size_t i = 0; i < doc.terms.size(); ++i) {
      if (doc.terms[i] == 0) term0 += doc.counts[i];
      if (doc.terms[i] == 2) term2 += doc.counts[i];
    }
  }
  // Term 0: Bernoulli(1/2) per document, sd of the mean 0.011. Term 2: 14 * 1/2.
  EXPECT_NEAR(term0 / 2000, 0.5, 0.06);
  EXPECT_NEAR(term2 / 2000, 7.0, 0.1);
}

TEST(PerplexityTest, UniformTopicsGivePerplexityV) {
  const int32_t v = 37;
  const std::vector<float> beta(2 * v, 1.0f / v);
  const TopicsView topics{2, v, beta};
  const SyntheticCorpus corpus =
      SampleLdaCorpus(topics, std::vector<double>{1.0, 1.0}, {50, 20.0, false, 3});
  int calls = 0;
  const CompletionPerplexity p = DocumentCompletionPerplexity(
      corpus.docs.view(), topics,
      [&](const BowView& first, std::span<float> theta) {
        ++calls;
        EXPECT_EQ(first.num_docs(), 50);
        for (size_t i = 0; i < theta.size(); ++i) theta[i] = (i % 2 == 0) ? 0.9f : 0.1f;
      },
      7);
  EXPECT_EQ(calls, 1);
  EXPECT_NEAR(p.perplexity, v, 1e-4);
  EXPECT_EQ(p.doc_log_likelihood.size(), 50u);
  EXPECT_EQ(std::accumulate(p.doc_tokens.begin(), p.doc_tokens.end(), int64_t{0}), p.total_tokens);
  EXPECT_NEAR(p.doc_log_likelihood[3], -p.doc_tokens[3] * std::log(double{v}), 1e-3);
}

TEST(PerplexityTest, ScoresTheSecondHalfUnderTheMixture) {
  // One document "0 0 1 1": halves of 2 tokens; θ = (1, 0) picks topic 0.
  const std::vector<float> beta = {0.5f, 0.25f, 0.25f, 0.1f, 0.1f, 0.8f};
  const TopicsView topics{2, 3, beta};
  BowMatrix bow(3);
  const std::vector<int32_t> terms = {0, 1};
  const std::vector<uint32_t> counts = {2, 2};
  bow.AddDocument(terms, counts, 1);
  const DocumentHalves halves = SplitDocumentHalves(bow.view(), 2);
  double expected = 0;
  const DocView second = halves.second.view().doc(0);
  for (size_t i = 0; i < second.terms.size(); ++i) {
    expected += second.counts[i] * std::log(double{beta[second.terms[i]]});
  }
  const CompletionPerplexity p = DocumentCompletionPerplexity(
      bow.view(), topics,
      [](const BowView&, std::span<float> theta) { theta[0] = 1, theta[1] = 0; }, 2);
  EXPECT_NEAR(p.total_log_likelihood, expected, 1e-7);
  EXPECT_NEAR(p.perplexity, std::exp(-expected / 2), 1e-6);
}

TEST(PerplexityTest, ZeroProbabilityNamesTheDocument) {
  const std::vector<float> beta = {0.5f, 0.5f, 0.0f, 0.0f, 0.0f, 1.0f};
  BowMatrix bow(3);
  const std::vector<int32_t> ok_terms = {0, 1}, bad_terms = {2};
  const std::vector<uint32_t> ok_counts = {2, 2}, bad_counts = {4};
  bow.AddDocument(ok_terms, ok_counts, 1);
  bow.AddDocument(bad_terms, bad_counts, 2);
  try {
    DocumentCompletionPerplexity(
        bow.view(), TopicsView{2, 3, beta},
        [](const BowView&, std::span<float> theta) {
          for (size_t i = 0; i < theta.size(); i += 2) theta[i] = 1, theta[i + 1] = 0;
        },
        1);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("document 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ntm
