// The nightly drift verdict of `ntm score --incremental`: the amortization gap
// of a seeded sample of the night's new notes against the gap_reference.json
// of the model (pipeline/io/gap_reference.h), by the two-sample
// Kolmogorov–Smirnov test at score.drift_level. See docs/run-files.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "libvi/base/communicator.h"
#include "libvi/model.h"
#include "pipeline/config/config.h"
#include "pipeline/io/gap_reference.h"
#include "pipeline/score/documents.h"

namespace ntm {

// Exit code of a drifting night with score.drift_exit: ntm's own, just past
// sysexits' 64-78 (libvi/base/errors.h), so it never reads as a failure:
// every output of the night is complete.
inline constexpr int kExitDrift = 79;

// One night's verdict.
struct DriftVerdict {
  bool computed = false;  // false: no test (the key is 0, no reference, ...)
  std::string reason;     // why not, when not computed
  KsTest ks;
  double level = 0.01;
  int64_t reference_n = 0;
  int64_t night_n = 0;        // new notes in the sample
  int64_t new_documents = 0;  // new notes the sample was drawn from
  int64_t requested = 0;      // score.drift_sample_docs
  bool drift = false;         // ks.p_value < level
};

// Computes the verdict over every rank's new documents (collective; the same
// on every rank, and the same at any rank count).
DriftVerdict NightlyDrift(Communicator& comm, const Model& model, const LocalDocuments& docs,
                          const std::filesystem::path& model_dir, const ScoreConfig& config);

// summary.json's `drift` object (and the warehouse's runs.drift_verdict).
nlohmann::json DriftJson(const DriftVerdict& verdict);

}  // namespace ntm
