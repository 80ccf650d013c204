// Method-agnostic quality figures: document-completion perplexity of any
// θ-inference method against fixed topics, and topic quality (NPMI, diversity).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "libvi/bow.h"
#include "libvi/inference/classical_vi.h"  // TopicsView

namespace ntm {

// Each document's tokens split in two random halves of token occurrences.
struct DocumentHalves {
  BowMatrix first;   // ⌊n/2⌋ tokens of each document: θ is inferred from these
  BowMatrix second;  // the other ⌈n/2⌉ tokens: these are scored
};

// Splits every document's tokens (occurrences, not distinct terms) uniformly at
// random; deterministic per (document key, seed). Keys are kept in both halves.
DocumentHalves SplitDocumentHalves(const BowView& docs, uint64_t seed);

// Fills theta_out (num_docs × K, row-major, rows sum to 1) from `docs`.
using ThetaInference = std::function<void(const BowView& docs, std::span<float> theta_out)>;

// Result of document completion.
struct CompletionPerplexity {
  double perplexity = 0.0;                 // exp(-Σ log p / Σ tokens) over second halves
  double total_log_likelihood = 0.0;       // Σ over documents, nats
  int64_t total_tokens = 0;                // tokens in all second halves
  std::vector<double> doc_log_likelihood;  // per document: Σ_w n_w log Σ_k θ_k β_kw, nats
  std::vector<int64_t> doc_tokens;         // per document: second-half tokens
};

// Document-completion perplexity: infer θ from the first half of each held-out
// document with `infer`, score the second half with log Σ_k θ_k β_kw.
// Throws InputError if no second-half tokens, NumericalError naming the
// document if a scored term gets zero or non-finite probability.
CompletionPerplexity DocumentCompletionPerplexity(const BowView& held_out, const TopicsView& topics,
                                                  const ThetaInference& infer, uint64_t seed);

// Log-likelihood Σ_w n_w log Σ_k θ_k β_kw of each document under given θ (D×K).
std::vector<double> MixtureLogLikelihoods(const BowView& docs, const TopicsView& topics,
                                          std::span<const float> theta);

// The `n` most probable term ids of each topic, most probable first (ties: lower id).
std::vector<std::vector<int32_t>> TopTerms(const TopicsView& topics, int32_t n);

// Document frequencies among each topic's top terms, as one flat int64 buffer
// so counts from several ranks can be summed with one all-reduce.
struct CoOccurrenceCounts {
  int32_t num_topics = 0;
  int32_t terms_per_topic = 0;  // N
  // [num_docs, then per topic: N single-term document frequencies, then the
  //  N(N-1)/2 pair frequencies (i < j, row by row)].
  std::vector<int64_t> values;
};

// Counts, over the reference documents, how many documents contain each top
// term and each within-topic pair. Cost per document: its distinct terms plus
// the pairs of top terms it contains; memory: O(V + K N²). N <= 64.
CoOccurrenceCounts CountTopTermCoOccurrence(const std::vector<std::vector<int32_t>>& top_terms,
                                            const BowView& reference);

// Mean NPMI over each topic's term pairs; a pair that never co-occurs scores 0.
std::vector<double> TopicNpmi(const CoOccurrenceCounts& counts);

// Convenience: TopicNpmi(CountTopTermCoOccurrence(TopTerms(topics, n), reference)).
std::vector<double> TopicNpmi(const TopicsView& topics, const BowView& reference, int32_t n = 10);

// Share of distinct terms among all topics' top terms (1 = no term repeats).
double TopicDiversity(const std::vector<std::vector<int32_t>>& top_terms);

// Convenience: TopicDiversity(TopTerms(topics, n)).
double TopicDiversity(const TopicsView& topics, int32_t n = 25);

// Near-duplicate topics: pairs (i < j) whose top-term lists share at least
// half of their terms (the visible symptom of topic collapse).
std::vector<std::array<int32_t, 2>> DuplicateTopicPairs(
    const std::vector<std::vector<int32_t>>& top_terms);

// A topic is rare when its prevalence (mean θ_k) is below this share of 1/K.
inline constexpr double kRareTopicShareOfUniform = 0.1;

// Topics (ascending) whose prevalence is below kRareTopicShareOfUniform / K:
// topics almost no document uses.
std::vector<int32_t> RareTopics(std::span<const double> prevalence);

}  // namespace ntm
