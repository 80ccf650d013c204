#include "libvi/claim_models/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Marsaglia & Tsang (2000) for shape >= 1; returns log of the draw.
double LogGammaShapeAtLeastOne(SeededRng& rng, double shape) {
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = rng.Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.Uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return std::log(d * v);
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return std::log(d * v);
  }
}

// Knuth's multiplication method: exact, O(mean) uniforms, fine for small means.
int64_t PoissonSmall(SeededRng& rng, double mean) {
  const double limit = std::exp(-mean);
  double product = rng.Uniform();
  int64_t k = 0;
  while (product > limit) {
    product *= rng.Uniform();
    ++k;
  }
  return k;
}

// Hörmann's (1993) PTRS transformed rejection, exact for mean >= 10 (as in NumPy).
int64_t PoissonLarge(SeededRng& rng, double mean) {
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const double u = rng.Uniform() - 0.5, v = rng.Uniform(), us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<int64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + 1)) {
      return static_cast<int64_t>(k);
    }
  }
}

// Cumulative term probabilities of each topic, for sampling terms by bisection.
std::vector<double> TopicCdfs(const TopicsView& topics) {
  std::vector<double> cdf(topics.beta.size());
  const size_t v = topics.vocab_size;
  for (int32_t k = 0; k < topics.num_topics; ++k) {
    double running = 0.0;
    for (size_t w = 0; w < v; ++w) cdf[k * v + w] = running += topics.at(k, w);
    for (size_t w = 0; w < v; ++w) cdf[k * v + w] /= running;  // exact 1 at the end
  }
  return cdf;
}

// Index of the first cumulative value above u.
int32_t SampleFromCdf(std::span<const double> cdf, double u) {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return static_cast<int32_t>(std::min<ptrdiff_t>(it - cdf.begin(), cdf.size() - 1));
}

void CheckCorpusArguments(const TopicsView& topics, std::span<const double> alpha,
                          const SyntheticCorpusOptions& options) {
  if (alpha.size() != static_cast<size_t>(topics.num_topics)) {
    throw ConfigError("synthetic corpus: alpha needs " + std::to_string(topics.num_topics) +
                      " entries");
  }
  for (double a : alpha) {
    if (!(a > 0.0) || !std::isfinite(a)) throw ConfigError("synthetic corpus: alpha must be > 0");
  }
  if (options.num_docs < 0 || !(options.mean_length >= 0.0) ||
      !std::isfinite(options.mean_length)) {
    throw ConfigError("synthetic corpus: num_docs and mean_length must be >= 0");
  }
}

}  // namespace

uint64_t MixSeed(uint64_t a, uint64_t b) {
  uint64_t state = a;
  uint64_t first = SplitMix64(state);
  state = first ^ b;
  return SplitMix64(state);
}

SeededRng::SeededRng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

uint64_t SeededRng::NextU64() {
  const uint64_t result = RotateLeft(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = RotateLeft(s_[3], 45);
  return result;
}

double SeededRng::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

uint64_t SeededRng::UniformInt(uint64_t n) {
  // Lemire (2019): multiply-shift with rejection of the biased low range.
  unsigned __int128 m = static_cast<unsigned __int128>(NextU64()) * n;
  if (static_cast<uint64_t>(m) < n) {
    const uint64_t threshold = -n % n;
    while (static_cast<uint64_t>(m) < threshold) {
      m = static_cast<unsigned __int128>(NextU64()) * n;
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double SeededRng::Normal() {
  const double u1 = 1.0 - Uniform();  // in (0, 1]: log stays finite
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double SeededRng::LogGammaVariate(double shape) {
  if (shape >= 1.0) return LogGammaShapeAtLeastOne(*this, shape);
  // Gamma(a) = Gamma(a + 1) * U^(1/a); U^(1/a) underflows for small a, its log does not.
  const double u = 1.0 - Uniform();
  return LogGammaShapeAtLeastOne(*this, shape + 1.0) + std::log(u) / shape;
}

int64_t SeededRng::Poisson(double mean) {
  if (mean <= 0.0) return 0;
  return mean < 10.0 ? PoissonSmall(*this, mean) : PoissonLarge(*this, mean);
}

void SeededRng::Dirichlet(std::span<const double> alpha, std::span<double> out) {
  double max_log = -INFINITY;
  for (size_t k = 0; k < alpha.size(); ++k) {
    out[k] = LogGammaVariate(alpha[k]);
    max_log = std::max(max_log, out[k]);
  }
  double sum = 0.0;
  for (double& x : out) sum += x = std::exp(x - max_log);
  for (double& x : out) x /= sum;
}

std::vector<float> SampleDirichletTopics(int32_t num_topics, int32_t vocab_size, double eta,
                                         uint64_t seed) {
  if (num_topics <= 0 || vocab_size <= 0 || !(eta > 0.0)) {
    throw ConfigError("synthetic topics: need num_topics > 0, vocab_size > 0, eta > 0");
  }
  const std::vector<double> concentration(vocab_size, eta);
  std::vector<double> row(vocab_size);
  std::vector<float> beta(static_cast<size_t>(num_topics) * vocab_size);
  for (int32_t k = 0; k < num_topics; ++k) {
    SeededRng rng(MixSeed(seed, k));
    rng.Dirichlet(concentration, row);
    std::copy(row.begin(), row.end(), beta.begin() + static_cast<size_t>(k) * vocab_size);
  }
  return beta;
}

namespace {

// Reusable buffers for sampling one document.
struct DocumentSampler {
  const TopicsView& topics;
  std::span<const double> alpha;
  const std::vector<double>& topic_cdfs;
  std::vector<double> theta, theta_cdf;
  std::vector<int32_t> tokens, terms;
  std::vector<uint32_t> counts;

  // Samples document `key` into the buffers; writes θ and topic counts.
  void Sample(uint64_t key, const SyntheticCorpusOptions& options, std::span<float> theta_out,
              std::span<uint32_t> topic_counts) {
    SeededRng rng(key);
    rng.Dirichlet(alpha, theta);
    double running = 0.0;
    for (size_t k = 0; k < theta.size(); ++k) theta_cdf[k] = running += theta[k];
    const int64_t length =
        options.fixed_length ? std::llround(options.mean_length) : rng.Poisson(options.mean_length);
    const size_t v = topics.vocab_size;
    tokens.clear();
    std::fill(topic_counts.begin(), topic_counts.end(), 0u);
    for (int64_t i = 0; i < length; ++i) {
      const int32_t z = SampleFromCdf(theta_cdf, rng.Uniform() * running);
      ++topic_counts[z];
      tokens.push_back(SampleFromCdf(std::span(topic_cdfs).subspan(z * v, v), rng.Uniform()));
    }
    for (size_t k = 0; k < theta.size(); ++k) theta_out[k] = static_cast<float>(theta[k]);
    CountTokens();
  }

  // Turns the token list into ascending distinct terms with counts.
  void CountTokens() {
    std::sort(tokens.begin(), tokens.end());
    terms.clear();
    counts.clear();
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i == 0 || tokens[i] != tokens[i - 1]) {
        terms.push_back(tokens[i]);
        counts.push_back(0);
      }
      ++counts.back();
    }
  }
};

}  // namespace

SyntheticCorpus SampleLdaCorpus(const TopicsView& topics, std::span<const double> alpha,
                                const SyntheticCorpusOptions& options) {
  ValidateTopics(topics);
  CheckCorpusArguments(topics, alpha, options);
  const size_t k = topics.num_topics;
  const std::vector<double> cdfs = TopicCdfs(topics);
  SyntheticCorpus corpus{BowMatrix(topics.vocab_size), {}, {}};
  corpus.theta.resize(options.num_docs * k);
  corpus.topic_counts.resize(options.num_docs * k);
  DocumentSampler sampler{topics, alpha, cdfs, std::vector<double>(k), std::vector<double>(k),
                          {},     {},    {}};
  for (int64_t d = 0; d < options.num_docs; ++d) {
    const uint64_t key = MixSeed(options.seed, static_cast<uint64_t>(d));
    sampler.Sample(key, options, std::span(corpus.theta).subspan(d * k, k),
                   std::span(corpus.topic_counts).subspan(d * k, k));
    corpus.docs.AddDocument(sampler.terms, sampler.counts, key);
  }
  return corpus;
}

}  // namespace ntm
