// Reading run folders for `ntm report`. JSON is parsed with ordered keys so
// reject and change reasons keep the order the tokenizer wrote them in.
// Parse errors name the file and byte offset only: never echo file contents.
#include "pipeline/report/data.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "libvi/base/errors.h"
#include "pipeline/config/config.h"
#include "pipeline/config/method_names.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/npy.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/report/compute.h"
#include "pipeline/report/format.h"
#include "pipeline/report/json_read.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;
using namespace report_json;  // NOLINT: the JSON field readers

constexpr int kTopTerms = 10;

void ReadFolderBasics(const fs::path& dir, RunFolder& folder) {
  folder.dir = dir;
  folder.name = dir.filename().string();
  folder.info = ReadRunInfo(dir);
}

CorpusRun ReadCorpus(const fs::path& dir) {
  CorpusRun corpus;
  ReadFolderBasics(dir, corpus);
  const fs::path file = dir / "manifest.json";
  const Json root = ReadJsonObject(file);
  const Json& documents = Object(root, "documents", file);
  corpus.documents_read = Count(documents, "read", file);
  corpus.documents_written = Count(documents, "written", file);
  corpus.tokens = Count(root, "tokens", file);
  corpus.vocab_size = Count(root, "vocab_size", file);
  const Json& inputs = Array(root, "inputs", file);
  corpus.input_files = static_cast<int64_t>(inputs.size());
  for (const Json& input : inputs) corpus.input_bytes += OptCount(input, "bytes", file).value_or(0);
  corpus.shards = static_cast<int64_t>(Array(root, "shards", file).size());
  corpus.rejected = Counts(Object(root, "rejected", file), file);
  corpus.changed = Counts(Object(root, "changed", file), file);
  const Json* counters = Find(root, "counters");
  corpus.malformed_by_cause = IntegerFields(counters ? Find(*counters, "malformed") : nullptr);
  corpus.vocabulary_pruning = IntegerFields(Find(root, "vocabulary_pruning"));
  return corpus;
}

// Adds one train_log.jsonl record to the model's curves.
void AddTrainRecord(const Json& record, const fs::path& file, ModelRun& model) {
  const std::string type = Text(record, "type", file);
  if (type == "step") {
    const int64_t step = Count(record, "step", file);
    if (auto v = OptNumber(record, "elbo_per_token", file))
      model.elbo_per_token.push_back({step, *v});
    if (auto v = OptNumber(record, "documents_per_second", file)) {
      model.documents_per_second.push_back({step, *v});
    }
  } else if (type == "validation") {
    const int64_t step = Count(record, "step", file);
    const double v = Number(record, "validation_elbo_per_token", file);
    model.validation_elbo_per_token.push_back({step, v});
  } else if (type == "epoch") {
    model.epochs.push_back({Count(record, "epoch", file),
                            OptCount(record, "step", file).value_or(0),
                            Number(record, "seconds", file), Count(record, "documents", file)});
  } else if (type == "stop") {
    model.stop_reason = Text(record, "reason", file);
    model.stop_step = Count(record, "step", file);
  }
}

void ReadTrainLog(const fs::path& file, ModelRun& model) {
  std::istringstream lines(ReadFileToString(file));
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(number) + ": ";
    const Json record = ParseJson(line, file, where);
    if (!record.is_object()) Malformed(file, where + "expected a JSON object");
    AddTrainRecord(record, file, model);
  }
  model.has_train_log = true;
}

ModelRun ReadModel(const fs::path& dir) {
  ModelRun model;
  ReadFolderBasics(dir, model);
  if (fs::exists(dir / "train_log.jsonl")) ReadTrainLog(dir / "train_log.jsonl", model);
  if (fs::exists(dir / "topics.npy") && fs::exists(dir / "vocab.tsv")) {
    const NpyMatrix topics = ReadNpyMatrix(dir / "topics.npy");
    const VocabFile vocab = ReadVocabFile(dir / "vocab.tsv");
    if (topics.cols != static_cast<int64_t>(vocab.pieces.size())) {
      Malformed(dir / "topics.npy", std::to_string(topics.cols) + " columns but vocab.tsv has " +
                                        std::to_string(vocab.pieces.size()) + " terms");
    }
    model.top_terms = TopTerms(topics, vocab.words.empty() ? vocab.pieces : vocab.words, kTopTerms);
  }
  return model;
}

// The same folder, however it was spelled (relative, trailing slash, symlink).
bool SameFolder(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec) && !ec;
}

// The model a scores folder was scored with: the one its run.json names as an
// input (by path, else by folder name), or the only model given.
int LinkedModel(const ScoresRun& run, const std::vector<ModelRun>& models) {
  for (size_t m = 0; m < models.size(); ++m) {
    for (const auto& input : run.info.inputs) {
      if (SameFolder(input, models[m].dir)) return static_cast<int>(m);
    }
  }
  for (size_t m = 0; m < models.size(); ++m) {
    for (const auto& input : run.info.inputs) {
      if (fs::path(input).lexically_normal().filename() == models[m].name)
        return static_cast<int>(m);
    }
  }
  return models.size() == 1 ? 0 : -1;
}

// Top terms from the model folder when quality.json has none.
void LinkModels(ReportData& data) {
  for (auto& run : data.scores) {
    run.model_index = LinkedModel(run, data.models);
    if (run.model_index < 0 || !run.topics.top_terms.empty()) continue;
    const ModelRun& model = data.models[run.model_index];
    if (model.top_terms.empty()) continue;
    run.topics.top_terms = model.top_terms;
    run.topics.top_terms_source = "topics.npy + vocab.tsv of " + model.name;
  }
}

// Folders given as "a/scores" and "b/scores" are told apart as such.
template <typename Run>
void DisambiguateNames(std::vector<Run>& runs) {
  std::map<std::string, int> uses;
  for (const auto& run : runs) ++uses[run.name];
  for (auto& run : runs) {
    if (uses[run.name] > 1) run.name = run.dir.parent_path().filename().string() + "/" + run.name;
  }
}

void ReadFolder(const fs::path& given, ReportData& data) {
  const fs::path dir = given.has_filename() ? given : given.parent_path();  // drop a trailing '/'
  if (!fs::is_directory(dir)) throw MissingInputError(given.string() + ": no such folder");
  bool recognised = false;
  if (fs::exists(dir / "manifest.json")) {
    data.corpora.push_back(ReadCorpus(dir));
    recognised = true;
  }
  if (fs::exists(dir / "model.bin") || fs::exists(dir / "train_log.jsonl")) {
    data.models.push_back(ReadModel(dir));
    recognised = true;
  }
  if (fs::exists(dir / "timings.json")) {
    data.scores.push_back(ReadScoresFolder(dir));
    recognised = true;
  }
  if (!recognised) {
    throw InputError(given.string() +
                     ": not a corpus, model or scores folder (no manifest.json, model.bin, "
                     "train_log.jsonl or timings.json)");
  }
}

}  // namespace

ReportData ReadReportData(const std::vector<fs::path>& dirs) {
  ReportData data;
  for (const auto& dir : dirs) ReadFolder(dir, data);
  DisambiguateNames(data.corpora);
  DisambiguateNames(data.models);
  DisambiguateNames(data.scores);
  LinkModels(data);
  return data;
}

RunInfo ReadRunInfo(const fs::path& dir) {
  RunInfo info;
  const fs::path file = dir / "run.json";
  if (!fs::exists(file)) return info;
  const Json root = ReadJsonObject(file);
  info.present = true;
  info.stage = Text(root, "stage", file);
  info.ntm_version = Text(root, "ntm_version", file);
  info.git_commit = Text(root, "git_commit", file);
  info.host = Text(root, "host", file);
  info.cpu = Text(root, "cpu", file);
  info.started_utc = Text(root, "started_utc", file);
  info.config_checksum = Text(root, "config_checksum", file);
  info.ranks = static_cast<int>(OptCount(root, "ranks", file).value_or(0));
  info.cores = static_cast<int>(OptCount(root, "cores", file).value_or(0));
  info.wall_seconds = OptNumber(root, "wall_seconds", file);
  const Json& libraries = Object(root, "libraries", file);
  for (const auto& [name, version] : libraries.items()) {
    info.libraries.emplace_back(name, Text(libraries, name, file));
  }
  for (const Json& input : Array(root, "inputs", file)) {
    if (input.is_string()) info.inputs.push_back(input.get<std::string>());
  }
  return info;
}

std::vector<std::string> OrderMethods(std::vector<std::string> methods) {
  auto rank = [](const std::string& m) {
    return std::find(kAllMethods.begin(), kAllMethods.end(), m) - kAllMethods.begin();
  };
  std::stable_sort(methods.begin(), methods.end(), [&](const std::string& a, const std::string& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  return methods;
}

std::string ScoresLabel(const ScoresRun& run) {
  if (run.ranks <= 0) return run.name;
  return "P=" + std::to_string(run.ranks) + " \xC2\xB7 " + run.name;
}

}  // namespace ntm
