#include "libvi/metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>
#include <numeric>
#include <string>
#include <unordered_set>

#include "libvi/base/errors.h"
#include "libvi/claim_models/synthetic.h"  // SeededRng, MixSeed

namespace ntm {
namespace {

// Bits per topic mask in the co-occurrence count: caps top terms per topic.
constexpr int32_t kMaxTermsPerTopic = 64;

// Position of pair (i, j), i < j, in the row-by-row upper triangle of an N×N matrix.
size_t PairIndex(int64_t i, int64_t j, int64_t n) {
  return static_cast<size_t>(i * n - i * (i + 1) / 2 + (j - i - 1));
}

size_t TopicBlockSize(int64_t n) { return static_cast<size_t>(n + n * (n - 1) / 2); }

// Selection sampling (Knuth's Algorithm S): each token goes to the first half
// with probability (still needed)/(still unseen), giving a uniform subset of size m.
void SplitDocument(const DocView& doc, SeededRng& rng, BowMatrix& first, BowMatrix& second,
                   std::vector<int32_t> (&terms)[2], std::vector<uint32_t> (&counts)[2]) {
  int64_t unseen = 0;
  for (uint32_t c : doc.counts) unseen += c;
  int64_t needed = unseen / 2;
  for (auto& t : terms) t.clear();
  for (auto& c : counts) c.clear();
  for (size_t i = 0; i < doc.terms.size(); ++i) {
    uint32_t in_first = 0;
    for (uint32_t r = 0; r < doc.counts[i]; ++r, --unseen) {
      if (needed > 0 &&
          rng.UniformInt(static_cast<uint64_t>(unseen)) < static_cast<uint64_t>(needed)) {
        ++in_first;
        --needed;
      }
    }
    const uint32_t part[2] = {in_first, doc.counts[i] - in_first};
    for (int h = 0; h < 2; ++h) {
      if (part[h] == 0) continue;
      terms[h].push_back(doc.terms[i]);
      counts[h].push_back(part[h]);
    }
  }
  first.AddDocument(terms[0], counts[0], doc.key);
  second.AddDocument(terms[1], counts[1], doc.key);
}

// log Σ_k θ_k β_kw summed over the document's tokens.
double DocumentLogLikelihood(const DocView& doc, const TopicsView& topics,
                             std::span<const float> theta, int64_t d) {
  double total = 0.0;
  for (size_t i = 0; i < doc.terms.size(); ++i) {
    const int32_t w = doc.terms[i];
    if (w < 0 || w >= topics.vocab_size) {
      throw InputError("document " + std::to_string(d) + ": term id " + std::to_string(w) +
                       " outside the vocabulary");
    }
    double p = 0.0;
    for (int32_t k = 0; k < topics.num_topics; ++k) p += double{theta[k]} * topics.at(k, w);
    if (!(p > 0.0) || !std::isfinite(p)) {
      throw NumericalError("document " + std::to_string(d) + ": term id " + std::to_string(w) +
                           " has probability " + std::to_string(p));
    }
    total += doc.counts[i] * std::log(p);
  }
  return total;
}

// Term → (topic, position) memberships of the top-term lists, in CSR form.
struct TopTermIndex {
  std::vector<int32_t> offsets;  // V + 1
  std::vector<int32_t> topic, position;

  TopTermIndex(const std::vector<std::vector<int32_t>>& top_terms, int32_t vocab_size)
      : offsets(static_cast<size_t>(vocab_size) + 1, 0) {
    for (const auto& list : top_terms) {
      for (int32_t w : list) {
        if (w < 0 || w >= vocab_size) {
          throw InputError("NPMI: top term id " + std::to_string(w) + " outside the vocabulary");
        }
        ++offsets[w + 1];
      }
    }
    std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
    topic.resize(offsets.back());
    position.resize(offsets.back());
    std::vector<int32_t> fill(offsets.begin(), offsets.end() - 1);
    for (size_t t = 0; t < top_terms.size(); ++t) {
      for (size_t i = 0; i < top_terms[t].size(); ++i) {
        const int32_t slot = fill[top_terms[t][i]]++;
        topic[slot] = static_cast<int32_t>(t);
        position[slot] = static_cast<int32_t>(i);
      }
    }
  }
};

// Adds one document's single and pair counts for a topic whose present top terms are `mask`.
void CountTopicMask(uint64_t mask, int64_t n, int64_t* block) {
  for (uint64_t a = mask; a != 0; a &= a - 1) {
    const int i = std::countr_zero(a);
    ++block[i];
    for (uint64_t b = a & (a - 1); b != 0; b &= b - 1) {
      ++block[n + PairIndex(i, std::countr_zero(b), n)];
    }
  }
}

int32_t CheckTopTermLists(const std::vector<std::vector<int32_t>>& top_terms) {
  if (top_terms.empty()) throw ConfigError("NPMI: no topics");
  const size_t n = top_terms[0].size();
  for (const auto& list : top_terms) {
    if (list.size() != n) throw ConfigError("NPMI: topics have different numbers of top terms");
  }
  if (n < 2 || n > static_cast<size_t>(kMaxTermsPerTopic)) {
    throw ConfigError("NPMI: top terms per topic must be in [2, 64], got " + std::to_string(n));
  }
  return static_cast<int32_t>(n);
}

double PairNpmi(int64_t joint, int64_t single_i, int64_t single_j, int64_t num_docs) {
  if (joint == 0) return 0.0;
  if (joint == num_docs) return 1.0;  // limit of NPMI as p(i, j) -> 1
  const double d = static_cast<double>(num_docs);
  const double p_ij = joint / d, p_i = single_i / d, p_j = single_j / d;
  return std::log(p_ij / (p_i * p_j)) / -std::log(p_ij);
}

}  // namespace

DocumentHalves SplitDocumentHalves(const BowView& docs, uint64_t seed) {
  DocumentHalves halves{BowMatrix(docs.vocab_size), BowMatrix(docs.vocab_size)};
  std::vector<int32_t> terms[2];
  std::vector<uint32_t> counts[2];
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    const DocView doc = docs.doc(d);
    SeededRng rng(MixSeed(doc.key, seed));
    SplitDocument(doc, rng, halves.first, halves.second, terms, counts);
  }
  return halves;
}

std::vector<double> MixtureLogLikelihoods(const BowView& docs, const TopicsView& topics,
                                          std::span<const float> theta) {
  ValidateTopics(topics);
  const size_t k = topics.num_topics;
  if (theta.size() != static_cast<size_t>(docs.num_docs()) * k) {
    throw InputError("log-likelihood: theta has " + std::to_string(theta.size()) +
                     " values, expected documents x topics");
  }
  std::vector<double> loglik(docs.num_docs());
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    loglik[d] = DocumentLogLikelihood(docs.doc(d), topics, theta.subspan(d * k, k), d);
  }
  return loglik;
}

CompletionPerplexity DocumentCompletionPerplexity(const BowView& held_out, const TopicsView& topics,
                                                  const ThetaInference& infer, uint64_t seed) {
  const DocumentHalves halves = SplitDocumentHalves(held_out, seed);
  std::vector<float> theta(static_cast<size_t>(held_out.num_docs()) * topics.num_topics);
  infer(halves.first.view(), theta);
  CompletionPerplexity result;
  result.doc_log_likelihood = MixtureLogLikelihoods(halves.second.view(), topics, theta);
  const BowView second = halves.second.view();
  result.doc_tokens.resize(second.num_docs());
  for (int64_t d = 0; d < second.num_docs(); ++d) {
    for (uint32_t c : second.doc(d).counts) result.doc_tokens[d] += c;
    result.total_tokens += result.doc_tokens[d];
    result.total_log_likelihood += result.doc_log_likelihood[d];
  }
  if (result.total_tokens == 0) throw InputError("perplexity: held-out documents have no tokens");
  result.perplexity = std::exp(-result.total_log_likelihood / result.total_tokens);
  return result;
}

std::vector<std::vector<int32_t>> TopTerms(const TopicsView& topics, int32_t n) {
  ValidateTopics(topics);
  if (n < 1) throw ConfigError("top terms: n must be >= 1");
  n = std::min(n, topics.vocab_size);
  std::vector<std::vector<int32_t>> top(topics.num_topics);
  std::vector<int32_t> ids(topics.vocab_size);
  for (int32_t k = 0; k < topics.num_topics; ++k) {
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](int32_t a, int32_t b) {
      const float pa = topics.at(k, a), pb = topics.at(k, b);
      return pa > pb || (pa == pb && a < b);
    });
    top[k].assign(ids.begin(), ids.begin() + n);
  }
  return top;
}

CoOccurrenceCounts CountTopTermCoOccurrence(const std::vector<std::vector<int32_t>>& top_terms,
                                            const BowView& reference) {
  const int32_t n = CheckTopTermLists(top_terms);
  const TopTermIndex index(top_terms, reference.vocab_size);
  CoOccurrenceCounts counts{static_cast<int32_t>(top_terms.size()), n, {}};
  const size_t block = TopicBlockSize(n);
  counts.values.assign(1 + top_terms.size() * block, 0);
  counts.values[0] = reference.num_docs();
  std::vector<uint64_t> mask(top_terms.size(), 0);
  std::vector<int32_t> touched;
  for (int64_t d = 0; d < reference.num_docs(); ++d) {
    for (int32_t w : reference.doc(d).terms) {
      if (w < 0 || w >= reference.vocab_size) throw InputError("NPMI: term id outside vocabulary");
      for (int32_t s = index.offsets[w]; s < index.offsets[w + 1]; ++s) {
        if (mask[index.topic[s]] == 0) touched.push_back(index.topic[s]);
        mask[index.topic[s]] |= uint64_t{1} << index.position[s];
      }
    }
    for (int32_t t : touched) {
      CountTopicMask(mask[t], n, counts.values.data() + 1 + t * block);
      mask[t] = 0;
    }
    touched.clear();
  }
  return counts;
}

std::vector<double> TopicNpmi(const CoOccurrenceCounts& counts) {
  const int64_t n = counts.terms_per_topic, num_docs = counts.values.at(0);
  const size_t block = TopicBlockSize(n);
  if (num_docs <= 0) throw InputError("NPMI: the reference corpus has no documents");
  if (counts.values.size() != 1 + counts.num_topics * block) {
    throw InputError("NPMI: count buffer has the wrong size");
  }
  std::vector<double> npmi(counts.num_topics, 0.0);
  for (int32_t t = 0; t < counts.num_topics; ++t) {
    const int64_t* single = counts.values.data() + 1 + t * block;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j) {
        sum += PairNpmi(single[n + PairIndex(i, j, n)], single[i], single[j], num_docs);
      }
    }
    npmi[t] = sum / static_cast<double>(n * (n - 1) / 2);
  }
  return npmi;
}

std::vector<double> TopicNpmi(const TopicsView& topics, const BowView& reference, int32_t n) {
  return TopicNpmi(CountTopTermCoOccurrence(TopTerms(topics, n), reference));
}

double TopicDiversity(const std::vector<std::vector<int32_t>>& top_terms) {
  std::unordered_set<int32_t> unique;
  size_t total = 0;
  for (const auto& list : top_terms) {
    unique.insert(list.begin(), list.end());
    total += list.size();
  }
  if (total == 0) throw ConfigError("topic diversity: no top terms");
  return static_cast<double>(unique.size()) / static_cast<double>(total);
}

double TopicDiversity(const TopicsView& topics, int32_t n) {
  return TopicDiversity(TopTerms(topics, n));
}

std::vector<std::array<int32_t, 2>> DuplicateTopicPairs(
    const std::vector<std::vector<int32_t>>& top_terms) {
  std::vector<std::array<int32_t, 2>> pairs;
  const auto k = static_cast<int32_t>(top_terms.size());
  for (int32_t i = 0; i < k; ++i) {
    std::vector<int32_t> a = top_terms[i];
    std::sort(a.begin(), a.end());
    for (int32_t j = i + 1; j < k; ++j) {
      std::vector<int32_t> b = top_terms[j];
      std::sort(b.begin(), b.end());
      std::vector<int32_t> shared;
      std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(shared));
      const size_t shorter = std::min(a.size(), b.size());
      if (shorter > 0 && 2 * shared.size() >= shorter) pairs.push_back({i, j});
    }
  }
  return pairs;
}

std::vector<int32_t> RareTopics(std::span<const double> prevalence) {
  std::vector<int32_t> rare;
  if (prevalence.empty()) return rare;
  const double threshold = kRareTopicShareOfUniform / static_cast<double>(prevalence.size());
  for (size_t k = 0; k < prevalence.size(); ++k) {
    if (prevalence[k] < threshold) rare.push_back(static_cast<int32_t>(k));
  }
  return rare;
}

}  // namespace ntm
