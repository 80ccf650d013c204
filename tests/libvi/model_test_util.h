// Small corpora for the model, trainer and inference tests.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "libvi/bow.h"
#include "libvi/model.h"
#include "libvi/rng.h"

namespace ntm::testing {

// Model options for a small test model with K = 4 topics.
inline ModelOptions SmallModelOptions(DecoderKind decoder, int32_t vocab_size, int32_t hidden) {
  ModelOptions o;
  o.vocab_size = vocab_size;
  o.num_topics = 4;
  o.hidden_units = hidden;
  o.decoder = decoder;
  return o;
}

// A corpus sampled from LDA and the topics that generated it.
struct LdaTestCorpus {
  BowMatrix docs;
  std::vector<std::vector<double>> topics;  // K rows over V terms, rows sum to 1
};

// K topics, each putting 90% of its mass uniformly on its own block of V/K
// terms and 10% on all terms; θ ~ Dirichlet(alpha); `length` tokens per doc.
inline LdaTestCorpus MakeLdaCorpus(int64_t num_docs, int32_t vocab, int32_t k, int length,
                                   double alpha, uint64_t seed) {
  LdaTestCorpus c{BowMatrix(vocab), {}};
  const int32_t block = vocab / k;
  for (int32_t t = 0; t < k; ++t) {
    std::vector<double> row(vocab, 0.1 / vocab);
    for (int32_t w = t * block; w < (t + 1) * block; ++w) row[w] += 0.9 / block;
    c.topics.push_back(row);
  }
  std::mt19937_64 gen(seed);
  std::gamma_distribution<double> gamma(alpha, 1.0);
  std::vector<std::discrete_distribution<int32_t>> word_of_topic;
  for (const auto& row : c.topics) word_of_topic.emplace_back(row.begin(), row.end());
  for (int64_t d = 0; d < num_docs; ++d) {
    std::vector<double> theta(k);
    for (double& x : theta) x = gamma(gen) + 1e-12;
    std::discrete_distribution<int32_t> topic_of_token(theta.begin(), theta.end());
    std::map<int32_t, uint32_t> counts;
    for (int i = 0; i < length; ++i) ++counts[word_of_topic[topic_of_token(gen)](gen)];
    std::vector<int32_t> terms;
    std::vector<uint32_t> values;
    for (const auto& [w, n] : counts) terms.push_back(w), values.push_back(n);
    c.docs.AddDocument(terms, values, Mix64(seed * 1000003 + d));
  }
  return c;
}

// Documents with random distinct terms and counts in [1, 4], for gradient checks.
inline BowMatrix RandomDocs(int64_t num_docs, int32_t vocab, int max_terms, uint64_t seed) {
  BowMatrix m(vocab);
  std::mt19937_64 gen(seed);
  for (int64_t d = 0; d < num_docs; ++d) {
    std::map<int32_t, uint32_t> counts;
    const int n = 1 + static_cast<int>(gen() % max_terms);
    for (int i = 0; i < n; ++i) counts[static_cast<int32_t>(gen() % vocab)] = 1 + gen() % 4;
    std::vector<int32_t> terms;
    std::vector<uint32_t> values;
    for (const auto& [w, c] : counts) terms.push_back(w), values.push_back(c);
    m.AddDocument(terms, values, Mix64(seed + 17 * d));
  }
  return m;
}

}  // namespace ntm::testing
