#include "pipeline/score/drift.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "pipeline/io/checksum.h"
#include "pipeline/io/shard.h"
#include "pipeline/runtime/log.h"

namespace ntm {
namespace {

DriftVerdict NotComputed(std::string reason) {
  DriftVerdict v;
  v.reason = std::move(reason);
  return v;
}

// The reference of `model_dir`, or why there is none to compare with.
std::optional<GapReference> UsableReference(const std::filesystem::path& model_dir,
                                            std::string* why_not) {
  const auto path = model_dir / kGapReferenceFile;
  if (!std::filesystem::exists(path)) {
    *why_not = "the model folder has no " + std::string(kGapReferenceFile);
    return std::nullopt;
  }
  GapReference reference = ReadGapReference(path);
  if (reference.model_checksum != ChecksumHex(ChecksumFile(model_dir / "model.bin"))) {
    *why_not = path.string() + " was computed with another model.bin";
    return std::nullopt;
  }
  if (reference.gaps.empty()) {
    *why_not = path.string() + " holds no gaps";
    return std::nullopt;
  }
  return reference;
}

// The gaps of this rank's sampled documents.
std::vector<double> LocalSampleGaps(const Model& model, const LocalDocuments& docs,
                                    const std::vector<uint8_t>& chosen,
                                    const GapSettings& settings) {
  const TopicInference inference(model);
  std::vector<double> gaps;
  BowMatrix one, sample(model.options().vocab_size);
  auto flush = [&] {
    const std::vector<double> part = DocumentGaps(inference, sample.view(), settings);
    gaps.insert(gaps.end(), part.begin(), part.end());
    sample = BowMatrix(model.options().vocab_size);
  };
  for (int64_t i = 0; i < docs.size(); ++i) {
    if (!chosen[static_cast<size_t>(i)]) continue;
    docs.Chunk(i, i + 1, one);
    const DocView d = one.view().doc(0);
    sample.AddDocument(d.terms, d.counts, d.key);
    if (sample.num_docs() == 256) flush();
  }
  if (sample.num_docs() > 0) flush();
  return gaps;
}

}  // namespace

DriftVerdict NightlyDrift(Communicator& comm, const Model& model, const LocalDocuments& docs,
                          const std::filesystem::path& model_dir, const ScoreConfig& config) {
  if (config.drift_sample_docs <= 0) return NotComputed("score.drift_sample_docs is 0");
  std::string why_not;
  const std::optional<GapReference> reference = UsableReference(model_dir, &why_not);
  if (!reference) return NotComputed(why_not);  // every rank reads the same files
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < docs.size(); ++i) keys.push_back(DocumentKey(docs.id(i)));
  DriftVerdict v;
  v.requested = config.drift_sample_docs;
  v.level = config.drift_level;
  const std::vector<uint8_t> chosen =
      SelectSample(comm, keys, config.drift_sample_docs, config.seed, &v.new_documents);
  const std::vector<double> night =
      GatherSorted(comm, LocalSampleGaps(model, docs, chosen, reference->settings));
  if (night.empty()) return NotComputed("no new notes");
  v.computed = true;
  v.reference_n = static_cast<int64_t>(reference->gaps.size());
  v.night_n = static_cast<int64_t>(night.size());
  v.ks = TwoSampleKs(reference->gaps, night);
  v.drift = v.ks.p_value < v.level;
  return v;
}

nlohmann::json DriftJson(const DriftVerdict& v) {
  if (!v.computed) return {{"computed", false}, {"reason", v.reason}};
  return {{"computed", true},
          {"test", "two-sample Kolmogorov-Smirnov on the amortization gap (nats per note)"},
          {"statistic", v.ks.statistic},
          {"p_value", v.ks.p_value},
          {"effective_n", v.ks.effective_n},
          {"level", v.level},
          {"critical_statistic", KolmogorovCritical(v.level) / std::sqrt(v.ks.effective_n)},
          {"reference_n", v.reference_n},
          {"night_n", v.night_n},
          {"new_documents", v.new_documents},
          {"sample_requested", v.requested},
          {"all_new_documents", v.night_n == v.new_documents},
          {"drift", v.drift}};
}

}  // namespace ntm
