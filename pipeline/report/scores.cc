// Reading a scores folder for `ntm report`: timings.json, quality.json, and
// the theta-/elbo-*.npy files for the figures quality.json does not hold.
// doc_ids.txt and scores.csv are never opened: the report needs no ids.
#include <algorithm>
#include <numeric>

#include "libvi/base/errors.h"
#include "pipeline/config/config.h"
#include "pipeline/config/method_names.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/npy.h"
#include "pipeline/report/compute.h"
#include "pipeline/report/data.h"
#include "pipeline/report/format.h"
#include "pipeline/report/json_read.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using namespace report_json;  // NOLINT: the JSON field readers

void ReadTimings(const fs::path& file, ScoresRun& run) {
  const Json root = ReadJsonObject(file);
  if (Find(root, "methods") == nullptr) Malformed(file, "missing \"methods\"");
  const Json& methods = Object(root, "methods", file);
  for (const auto& [method, entry] : methods.items()) {
    if (!entry.is_object()) Malformed(file, "\"" + method + "\" is not an object");
    MethodTiming t;
    t.documents = Count(entry, "documents", file);
    t.wall_seconds = Number(entry, "wall_seconds", file);
    t.documents_per_second = Number(entry, "documents_per_second", file);
    t.ranks = static_cast<int>(OptCount(entry, "ranks", file).value_or(0));
    t.per_rank_documents_per_second = Numbers(entry, "per_rank_documents_per_second", file);
    run.timings[method] = std::move(t);
  }
}

MethodQuality ReadMethodQuality(const Json& entry, const fs::path& file) {
  MethodQuality q;
  q.mean_elbo = OptNumber(entry, "mean_elbo", file);
  q.elbo_per_token = OptNumber(entry, "elbo_per_token", file);
  q.completion_perplexity = OptNumber(entry, "completion_perplexity", file);
  q.completion_documents = OptCount(entry, "completion_documents", file);
  q.mean_l1_to_classical = OptNumber(entry, "mean_l1_to_classical", file);
  if (q.mean_elbo) q.mean_elbo_source = "quality.json";
  if (q.mean_l1_to_classical) q.l1_source = "quality.json";
  return q;
}

std::vector<std::pair<int, double>> ReadClosedShares(const Json& obj, const fs::path& file) {
  std::vector<std::pair<int, double>> shares;
  for (const auto& [steps, share] : obj.items()) {
    if (steps.empty() || steps.find_first_not_of("0123456789") != std::string::npos) {
      Malformed(file, "closed_share_by_steps key \"" + steps + "\" is not a step count");
    }
    shares.emplace_back(std::stoi(steps), Number(obj, steps, file));
  }
  std::sort(shares.begin(), shares.end());  // JSON objects may come in key order: "1", "20", "5"
  return shares;
}

// The histogram of quality.json's gap: edges one more than counts, or as many
// when the last bin is open ("last_bin_open": true, as `ntm score` writes it).
void ReadGapHistogram(const Json& histogram, const fs::path& file, GapFigures& gap) {
  gap.edges = Numbers(histogram, "edges", file);
  for (double c : Numbers(histogram, "counts", file)) gap.counts.push_back(static_cast<int64_t>(c));
  const Json* open = Find(histogram, "last_bin_open");
  gap.last_bin_open = open != nullptr && open->is_boolean() && open->get<bool>();
  const size_t expected = gap.counts.size() + (gap.last_bin_open ? 0 : 1);
  if (!gap.counts.empty() && gap.edges.size() != expected) {
    Malformed(file, gap.last_bin_open
                        ? "gap histogram with an open last bin needs one edge per count"
                        : "gap histogram needs one more edge than counts");
  }
}

// quality.json's gap; nullopt when it covers no documents (ln-vi did not run).
std::optional<GapFigures> ReadGap(const Json& gap_json, const fs::path& file) {
  GapFigures gap;
  gap.documents = OptCount(gap_json, "documents", file).value_or(0);
  const auto mean = OptNumber(gap_json, "mean_nats", file);
  if (gap.documents == 0 || !mean) return std::nullopt;
  gap.mean_nats = *mean;
  gap.median_nats = OptNumber(gap_json, "median_nats", file).value_or(NAN);
  gap.mean_per_token = OptNumber(gap_json, "mean_per_token", file);
  ReadGapHistogram(Object(gap_json, "histogram", file), file, gap);
  gap.closed_share_by_steps =
      ReadClosedShares(Object(gap_json, "closed_share_by_steps", file), file);
  gap.source = "quality.json";
  return gap;
}

// Each topic's terms from `key` ("top_words": readable words, kept as they
// are; "top_terms": pieces, decoded).
std::vector<std::vector<std::string>> ReadTopicTerms(const Json& topics, const std::string& key,
                                                     const fs::path& file) {
  std::vector<std::vector<std::string>> topic_terms;
  for (const Json& terms : Array(topics, key, file)) {
    if (!terms.is_array()) Malformed(file, "\"" + key + "\" holds a value that is not an array");
    std::vector<std::string> words;
    for (const Json& term : terms) {
      if (!term.is_string()) Malformed(file, "\"" + key + "\" holds a term that is not a string");
      const std::string text = term.get<std::string>();
      words.push_back(key == "top_words" ? text : DecodePiece(text));
    }
    topic_terms.push_back(std::move(words));
  }
  return topic_terms;
}

TopicFigures ReadTopics(const Json& topics, const fs::path& file) {
  TopicFigures t;
  t.top_terms =
      ReadTopicTerms(topics, topics.contains("top_words") ? "top_words" : "top_terms", file);
  if (!t.top_terms.empty()) t.top_terms_source = "quality.json";
  t.npmi = Numbers(topics, "npmi", file);
  t.prevalence = Numbers(topics, "prevalence", file);
  const std::string method = Text(topics, "prevalence_method", file);
  if (!t.prevalence.empty()) {
    t.prevalence_source =
        method.empty() ? "quality.json" : "quality.json (mean θ of " + method + ")";
  }
  t.mean_npmi = OptNumber(topics, "mean_npmi", file);
  t.diversity = OptNumber(topics, "diversity", file);
  if (topics.contains("duplicate_topic_pairs") && topics["duplicate_topic_pairs"].is_array()) {
    t.duplicate_pairs = static_cast<int64_t>(topics["duplicate_topic_pairs"].size());
  }
  if (topics.contains("rare_topics") && topics["rare_topics"].is_array()) {
    t.rare_topics = static_cast<int64_t>(topics["rare_topics"].size());
  }
  return t;
}

void ReadQuality(const fs::path& file, ScoresRun& run) {
  const Json root = ReadJsonObject(file);
  run.has_quality_json = true;
  const Json& methods = Object(root, "methods", file);
  for (const auto& [method, entry] : methods.items()) {
    if (!entry.is_object()) Malformed(file, "\"" + method + "\" is not an object");
    run.quality[method] = ReadMethodQuality(entry, file);
  }
  if (Find(root, "gap") != nullptr) run.gap = ReadGap(Object(root, "gap", file), file);
  run.topics = ReadTopics(Object(root, "topics", file), file);
}

// refine_steps from the folder's effective config.yaml, if it is there and parses.
std::optional<int> ReadRefineSteps(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  try {
    return ParseConfig(ReadFileToString(file), file.string(), {}).score.refine_steps;
  } catch (const Error&) {
    return std::nullopt;  // a config from another ntm version: the steps stay unknown
  }
}

// Methods that left a `<prefix><method>.npy` file in `dir`.
std::vector<std::string> MethodsWithFile(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> methods;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() + 4 && name.starts_with(prefix) && name.ends_with(".npy")) {
      methods.push_back(name.substr(prefix.size(), name.size() - prefix.size() - 4));
    }
  }
  return OrderMethods(methods);
}

fs::path ThetaFile(const fs::path& dir, const std::string& m) {
  return dir / ("theta-" + m + ".npy");
}
fs::path ElboFile(const fs::path& dir, const std::string& m) {
  return dir / ("elbo-" + m + ".npy");
}

// Mean L1 to classical for every method quality.json gives none for.
void CompleteL1(ScoresRun& run, const std::vector<std::string>& theta_methods) {
  if (std::find(theta_methods.begin(), theta_methods.end(), kMethodClassical) ==
      theta_methods.end()) {
    return;
  }
  std::optional<NpyMatrix> classical;
  for (const auto& m : theta_methods) {
    MethodQuality& q = run.quality[m];
    if (m == kMethodClassical || q.mean_l1_to_classical) continue;
    if (!classical) classical = ReadNpyMatrix(ThetaFile(run.dir, kMethodClassical));
    const fs::path file = ThetaFile(run.dir, m);
    q.mean_l1_to_classical = MeanRowL1(ReadNpyMatrix(file), *classical, file.string());
    q.l1_source = file.filename().string();
  }
}

// Topic prevalence as mean θ of amortized (else the first method with a θ file).
void CompletePrevalence(ScoresRun& run, const std::vector<std::string>& theta_methods) {
  if (!run.topics.prevalence.empty() || theta_methods.empty()) return;
  const fs::path file = ThetaFile(run.dir, theta_methods.front());
  run.topics.prevalence = ColumnMeans(ReadNpyMatrix(file));
  run.topics.prevalence_source = "mean of " + file.filename().string();
}

double Mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

void CompleteMeanElbo(ScoresRun& run, const std::vector<std::string>& elbo_methods) {
  for (const auto& m : elbo_methods) {
    MethodQuality& q = run.quality[m];
    if (q.mean_elbo) continue;
    const std::vector<double> elbo = ReadNpyFloat64Vector(ElboFile(run.dir, m));
    if (elbo.empty()) continue;
    q.mean_elbo = Mean(elbo);
    q.mean_elbo_source = ElboFile(run.dir, m).filename().string();
  }
}

// The gap from the per-document ELBOs, keeping what only quality.json knows.
void CompleteGap(ScoresRun& run, const std::vector<std::string>& elbo_methods) {
  auto has = [&](const char* m) {
    return std::find(elbo_methods.begin(), elbo_methods.end(), m) != elbo_methods.end();
  };
  if (!has(kMethodLnVi) || !has(kMethodAmortized)) return;
  const std::vector<double> lnvi = ReadNpyFloat64Vector(ElboFile(run.dir, kMethodLnVi));
  const std::vector<double> amortized = ReadNpyFloat64Vector(ElboFile(run.dir, kMethodAmortized));
  GapFigures gap = ComputeGap(lnvi, amortized, ElboFile(run.dir, kMethodLnVi).string());
  if (run.gap) {
    gap.mean_per_token = run.gap->mean_per_token;
    gap.closed_share_by_steps = run.gap->closed_share_by_steps;
  }
  if (gap.closed_share_by_steps.empty() && has(kMethodRefined) && run.refine_steps) {
    const auto share =
        ClosedShare(lnvi, amortized, ReadNpyFloat64Vector(ElboFile(run.dir, kMethodRefined)));
    if (share) gap.closed_share_by_steps.emplace_back(*run.refine_steps, *share);
  }
  run.gap = std::move(gap);
}

// A theta or ELBO file of a method timings.json does not list was left by
// another run (perhaps of another model): comparing it would mix two runs.
void RefuseMixedFolder(const ScoresRun& run, const std::vector<std::string>& file_methods,
                       const std::string& prefix) {
  for (const auto& m : file_methods) {
    if (run.timings.contains(m)) continue;
    std::string listed;
    for (const auto& [method, timing] : run.timings)
      listed += (listed.empty() ? "" : ", ") + method;
    throw InputError((run.dir / (prefix + m + ".npy")).string() +
                     ": not from the run that wrote timings.json (its methods: " + listed +
                     "); the folder mixes two score runs: rescore into an empty folder");
  }
}

}  // namespace

ScoresRun ReadScoresFolder(const fs::path& dir) {
  ScoresRun run;
  run.dir = dir;
  run.name = dir.filename().string();
  run.info = ReadRunInfo(dir);
  ReadTimings(dir / "timings.json", run);
  if (fs::exists(dir / "quality.json")) ReadQuality(dir / "quality.json", run);
  run.refine_steps = ReadRefineSteps(dir / "config.yaml");
  const auto theta_methods = MethodsWithFile(dir, "theta-");
  const auto elbo_methods = MethodsWithFile(dir, "elbo-");
  RefuseMixedFolder(run, theta_methods, "theta-");
  RefuseMixedFolder(run, elbo_methods, "elbo-");
  CompleteL1(run, theta_methods);
  CompletePrevalence(run, theta_methods);
  CompleteMeanElbo(run, elbo_methods);
  CompleteGap(run, elbo_methods);
  run.ranks = run.info.ranks;
  for (const auto& [method, timing] : run.timings) {
    run.methods.push_back(method);
    if (run.ranks <= 0) run.ranks = timing.ranks;
  }
  for (const auto& [method, quality] : run.quality) run.methods.push_back(method);
  run.methods = OrderMethods(run.methods);
  return run;
}

}  // namespace ntm
