// Corpora sampled from the LDA generative process, with the true topic
// mixtures kept, so that inference methods can be checked against the truth.
// Every draw comes from a counter-based seed (seed, document index), so one
// document never depends on how many documents were sampled before it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libvi/bow.h"
#include "libvi/inference/classical_vi.h"  // TopicsView

namespace ntm {

// Mixes two 64-bit values into a well-spread seed (SplitMix64 finaliser).
uint64_t MixSeed(uint64_t a, uint64_t b);

// xoshiro256** with portable samplers: the same seed gives the same numbers
// with every compiler and standard library (std:: distributions do not).
class SeededRng {
 public:
  // A generator whose state is expanded from `seed` by SplitMix64.
  explicit SeededRng(uint64_t seed);
  // 64 uniformly random bits.
  uint64_t NextU64();
  // Uniform double in [0, 1) with 53 random bits.
  double Uniform();
  // Uniform integer in [0, n) without modulo bias; n > 0.
  uint64_t UniformInt(uint64_t n);
  // Standard normal draw (Box-Muller).
  double Normal();
  // log of a Gamma(shape, 1) draw; in log space so tiny shapes do not underflow.
  double LogGammaVariate(double shape);
  // Poisson(mean) draw; exact for every mean >= 0.
  int64_t Poisson(double mean);
  // Fills `out` with a Dirichlet(alpha) draw (alpha.size() == out.size()).
  void Dirichlet(std::span<const double> alpha, std::span<double> out);

 private:
  uint64_t s_[4];
};

// K random topics over V terms, rows ~ Dirichlet(eta, ..., eta); K×V row-major.
std::vector<float> SampleDirichletTopics(int32_t num_topics, int32_t vocab_size, double eta,
                                         uint64_t seed);

// How many documents to sample and how long they are.
struct SyntheticCorpusOptions {
  int64_t num_docs = 100;      // documents to sample
  double mean_length = 100.0;  // tokens per document: Poisson(mean_length)
  bool fixed_length = false;   // every document has exactly round(mean_length) tokens
  uint64_t seed = 1;           // documents are deterministic per (seed, index)
};

// A sampled corpus and the hidden variables that generated it.
struct SyntheticCorpus {
  BowMatrix docs;                      // bag of words; key of document d = MixSeed(seed, d)
  std::vector<float> theta;            // D×K true topic mixtures, row-major
  std::vector<uint32_t> topic_counts;  // D×K tokens drawn from each topic
};

// Samples documents: θ_d ~ Dirichlet(alpha), N_d ~ length distribution, each
// token's topic z ~ θ_d and term w ~ β_z. Throws ConfigError on bad arguments.
SyntheticCorpus SampleLdaCorpus(const TopicsView& topics, std::span<const double> alpha,
                                const SyntheticCorpusOptions& options);

}  // namespace ntm
