// What `ntm report` knows about the run folders it is given: the figures read
// from each corpus, model and scores folder (docs/run-files.md) plus those
// computed from the .npy files when the JSON summaries lack them. Only counts,
// timings and model figures are read: never document text, never document ids.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ntm {

// run.json of one folder (the fields a report shows).
struct RunInfo {
  bool present = false;  // false: the folder has no run.json
  std::string stage;
  std::string ntm_version;
  std::string git_commit;
  std::string host;
  std::string cpu;
  std::string started_utc;
  std::string config_checksum;
  int ranks = 0;  // 0: unknown
  int cores = 0;
  std::optional<double> wall_seconds;
  std::vector<std::pair<std::string, std::string>> libraries;  // name, version
  std::vector<std::string> inputs;  // for linking folders only; never shown
};

// What every recognised folder has.
struct RunFolder {
  std::filesystem::path dir;
  std::string name;  // the folder's last path component, e.g. "scores-p2"
  RunInfo info;
};

// A corpus folder: manifest.json.
struct CorpusRun : RunFolder {
  int64_t documents_read = 0;
  int64_t documents_written = 0;
  int64_t tokens = 0;
  int64_t vocab_size = 0;
  int64_t input_files = 0;
  int64_t input_bytes = 0;
  int64_t shards = 0;
  std::vector<std::pair<std::string, int64_t>> rejected;  // reason, documents
  std::vector<std::pair<std::string, int64_t>> changed;   // reason, documents
  // Beyond the contract, when the tokenizer writes them: malformed records by
  // cause (counters.malformed) and vocabulary pruning (vocabulary_pruning).
  std::vector<std::pair<std::string, int64_t>> malformed_by_cause;
  std::vector<std::pair<std::string, int64_t>> vocabulary_pruning;
};

// One point of a training curve.
struct CurvePoint {
  int64_t step = 0;
  double value = 0;
};

// One "epoch" record of train_log.jsonl.
struct EpochRecord {
  int64_t epoch = 0;
  int64_t step = 0;
  double seconds = 0;
  int64_t documents = 0;
};

// A model folder: train_log.jsonl, topics.npy and vocab.tsv.
struct ModelRun : RunFolder {
  std::vector<CurvePoint> elbo_per_token;             // "step" records
  std::vector<CurvePoint> validation_elbo_per_token;  // "validation" records
  std::vector<CurvePoint> documents_per_second;       // "step" records
  std::vector<EpochRecord> epochs;
  std::string stop_reason;  // the "stop" record: why training stopped
  int64_t stop_step = 0;    // and at which step
  bool has_train_log = false;
  std::vector<std::vector<std::string>> top_terms;  // from topics.npy + vocab.tsv, decoded
};

// timings.json entry of one method.
struct MethodTiming {
  int64_t documents = 0;
  double wall_seconds = 0;
  double documents_per_second = 0;
  int ranks = 0;
  std::vector<double> per_rank_documents_per_second;
};

// quality.json entry of one method, completed from the .npy files.
struct MethodQuality {
  std::optional<double> mean_elbo;
  std::optional<double> elbo_per_token;
  std::optional<double> completion_perplexity;
  std::optional<int64_t> completion_documents;
  std::optional<double> mean_l1_to_classical;
  std::string mean_elbo_source;  // "quality.json" or "elbo-<m>.npy"
  std::string l1_source;         // "quality.json" or "theta-<m>.npy"
};

// The amortization gap ELBO(ln-vi) − ELBO(amortized) over documents.
struct GapFigures {
  int64_t documents = 0;
  double mean_nats = 0;
  double median_nats = 0;
  std::optional<double> mean_per_token;
  std::vector<double> edges;    // histogram bin edges: counts.size() + 1, or counts.size() if open
  bool last_bin_open = false;   // the last bin is ">= edges.back()"
  std::vector<int64_t> counts;  // documents per bin
  int64_t above_last_edge = 0;  // outliers beyond the last edge, not in any bin
  std::vector<std::pair<int, double>> closed_share_by_steps;  // refined steps, share
  std::string source;  // "elbo-ln-vi.npy − elbo-amortized.npy" or "quality.json"
};

// Per-topic figures of one model as scored in one scores folder.
struct TopicFigures {
  std::vector<std::vector<std::string>> top_terms;  // decoded words
  std::vector<double> npmi;                         // empty: not available
  std::vector<double> prevalence;                   // empty: not available
  std::optional<double> mean_npmi;
  std::optional<double> diversity;
  std::optional<int64_t> duplicate_pairs;  // quality.json: near-duplicate topic pairs
  std::optional<int64_t> rare_topics;      // quality.json: topics almost no document uses
  std::string top_terms_source;
  std::string prevalence_source;
};

// A scores folder: timings.json, quality.json, theta-*.npy, elbo-*.npy.
struct ScoresRun : RunFolder {
  int ranks = 0;                     // run.json ranks, else the timings' ranks
  std::vector<std::string> methods;  // in display order (amortized, refined, classical, ln-vi, …)
  std::map<std::string, MethodTiming> timings;
  std::map<std::string, MethodQuality> quality;
  bool has_quality_json = false;
  std::optional<GapFigures> gap;
  TopicFigures topics;
  std::optional<int> refine_steps;  // from the folder's config.yaml
  int model_index = -1;             // index into ReportData::models, -1: none given
};

// Everything the report shows, folders in the order given.
struct ReportData {
  std::vector<CorpusRun> corpora;
  std::vector<ModelRun> models;
  std::vector<ScoresRun> scores;
};

// run.json of `dir` (present == false when the folder has none).
RunInfo ReadRunInfo(const std::filesystem::path& dir);
// A scores folder: timings.json (required), quality.json and the .npy files
// (optional), with figures quality.json lacks computed from the .npy files.
ScoresRun ReadScoresFolder(const std::filesystem::path& dir);

// Reads every folder in `dirs`, recognising each by its files (manifest.json:
// corpus; model.bin or train_log.jsonl: model; timings.json: scores).
// MissingInputError for a folder that does not exist, InputError for one that
// is none of these or holds a malformed JSON or .npy file (naming the file).
ReportData ReadReportData(const std::vector<std::filesystem::path>& dirs);

// "P=2 · scores-p2": how a scores folder is labelled in tables and charts.
std::string ScoresLabel(const ScoresRun& run);

// The inference methods in the order the report lists them.
std::vector<std::string> OrderMethods(std::vector<std::string> methods);

}  // namespace ntm
