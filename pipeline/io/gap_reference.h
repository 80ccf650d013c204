// The amortization gap a model carries with it, and the drift test against it.
//
// `ntm train` ends by computing the gap — ELBO(ln-vi) − ELBO(amortized), nats
// per document, the same difference `ntm score` reports as `gap` — on a seeded
// sample of its held-out notes, and stores the sorted values in the model
// folder as gap_reference.json. `ntm score --incremental` computes the same
// gap, with the inference settings the reference recorded, on a seeded sample
// of the night's new notes and compares the two samples with the two-sample
// Kolmogorov–Smirnov test (docs/run-files.md).
//
// Samples are chosen by document key alone (the `kSample` smallest values of
// SampleOrder over all candidates), and a document's gap does not depend on
// the other documents, so a sample and its gaps are the same at any rank count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/bow.h"
#include "libvi/inference/logistic_normal.h"
#include "pipeline/config/config.h"

namespace ntm {

// The inference settings a gap is computed with (both samples must share them).
struct GapSettings {
  int32_t mc_samples = 20;  // score.mc_samples: draws per document
  uint64_t draw_seed = 1;   // score.seed: mixed with the document key
  int32_t lnvi_max_iter = 500;
  double lnvi_tol = 1e-6;
};

// The settings of `config`'s score section.
GapSettings GapSettingsFrom(const Config& config);

// gap_reference.json of a model folder.
struct GapReference {
  std::string model_checksum;      // XXH3 of the model.bin it was computed with
  std::string corpus_manifest;     // XXH3 of the training corpus's manifest.json
  double validation_fraction = 0;  // the held-out split: train.validation_fraction ...
  uint64_t split_seed = 0;         // ... and train.seed (IsValidationDocument)
  int64_t requested = 0;           // train.drift_reference_docs
  int64_t held_out_documents = 0;  // candidates the sample was drawn from
  uint64_t sample_seed = 0;        // train.seed
  GapSettings settings;            // how each gap was computed
  std::vector<double> gaps;        // ascending, nats per document
};

inline constexpr const char* kGapReferenceFile = "gap_reference.json";

// The file's text.
std::string GapReferenceJson(const GapReference& reference);

// Reads `path`: InputError naming the file and field if malformed,
// MissingInputError if absent.
GapReference ReadGapReference(const std::filesystem::path& path);

// A document's place in the sampling order under `seed`.
uint64_t SampleOrder(uint64_t doc_key, uint64_t seed);

// Which of this rank's `local_keys` are in the sample: the `size` smallest
// SampleOrder values over every rank's keys (all of them when fewer).
// `total` receives the number of keys over all ranks. Collective.
std::vector<uint8_t> SelectSample(Communicator& comm, std::span<const uint64_t> local_keys,
                                  int64_t size, uint64_t seed, int64_t* total);

// Per-document gaps of `docs`, nats.
std::vector<double> DocumentGaps(const TopicInference& inference, const BowView& docs,
                                 const GapSettings& settings);

// Every rank's values, sorted ascending (the same on every rank). Collective.
std::vector<double> GatherSorted(Communicator& comm, const std::vector<double>& local);

// A gap sample's figures: documents, mean_nats, median_nats, quantiles
// (p10, p25, p50, p75, p90: order statistics at ⌊q·(n−1)⌉), min, max and a
// histogram on quality.json's gap edges.
nlohmann::json GapDistributionJson(std::vector<double> gaps);

// quality.json's gap_by_split: the distribution on the training notes and on
// the held-out notes (IsValidationDocument(key, validation_fraction, seed)),
// over every rank's `gaps` and their document `keys`. Collective.
nlohmann::json GapByTrainingSplit(Communicator& comm, const std::vector<double>& gaps,
                                  const std::vector<uint64_t>& keys, double validation_fraction,
                                  uint64_t seed);

// The two-sample Kolmogorov–Smirnov test.
struct KsTest {
  double statistic = 0;    // D = sup |F_a − F_b|
  double effective_n = 0;  // n_a n_b / (n_a + n_b)
  double p_value = 1;      // Q_KS(√effective_n · D), the asymptotic Kolmogorov tail
};

// Both samples ascending and non-empty.
KsTest TwoSampleKs(std::span<const double> a, std::span<const double> b);

// Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2 j² λ²) = P(K > λ) for the Kolmogorov distribution.
double KolmogorovTail(double lambda);

// The λ with KolmogorovTail(λ) = level (1.628 for 0.01): a sample pair drifts
// at `level` when D exceeds λ / √effective_n.
double KolmogorovCritical(double level);

}  // namespace ntm
