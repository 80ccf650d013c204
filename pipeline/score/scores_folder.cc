#include "pipeline/score/scores_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/runtime/log.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;

// Raw inputs are identified by path, size and modification time: reading
// them all again only to name them would double the I/O of a big input.
std::string InputsChecksum(const std::vector<std::string>& inputs) {
  std::string text;
  for (const auto& path : inputs) {
    struct stat st = {};
    ::stat(path.c_str(), &st);
    text += path + "\t" + std::to_string(st.st_size) + "\t" + std::to_string(st.st_mtim.tv_sec) +
            "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return ChecksumHex(ChecksumBytes(text));
}

std::string ScoringConfigChecksum(Config config) {
  config.score.methods.clear();  // each method's scores are files of their own
  config.log = LogConfig{};      // logging changes no score
  return ChecksumHex(ChecksumBytes(ConfigToYaml(config, false)));
}

// Files a score run writes; a folder holding none of them holds no scores.
bool IsScoreOutput(const std::string& name) {
  return name.starts_with("theta-") || name.starts_with("elbo-") || name == "doc_ids.txt" ||
         name == "scores.csv" || name == "timings.json" || name == "quality.json";
}

bool HoldsScores(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    // A special file under such a name is refused later, by its writer.
    if (entry.is_regular_file(ec) && IsScoreOutput(entry.path().filename().string())) return true;
  }
  return false;
}

nlohmann::json ToJson(const ScoresSource& s) {
  return {{"model", s.model},
          {"model_checksum", s.model_checksum},
          {"documents", s.documents},
          {"documents_checksum", s.documents_checksum},
          {"config_checksum", s.config_checksum}};
}

// "" when `recorded` (source.json) describes `source`, else what differs.
std::string Difference(const nlohmann::json& recorded, const ScoresSource& source) {
  const auto field = [&](const char* key) { return recorded.value(key, std::string()); };
  if (field("model_checksum") != source.model_checksum) {
    return "another model (" + field("model") + ")";
  }
  if (field("documents_checksum") != source.documents_checksum) {
    return "other documents (" + field("documents") + ")";
  }
  if (field("config_checksum") != source.config_checksum) return "another configuration";
  return "";
}

void CheckSameSource(const fs::path& dir, const ScoresSource& source) {
  const fs::path file = dir / "source.json";
  if (!fs::exists(file)) {
    if (!HoldsScores(dir)) return;
    throw OutputError(dir.string() +
                      " holds scores of an unknown run (no source.json): score into an empty "
                      "--out or remove the folder");
  }
  const nlohmann::json recorded = nlohmann::json::parse(ReadFileToString(file), nullptr, false);
  const std::string why = recorded.is_object() ? Difference(recorded, source) : "an unknown run";
  if (why.empty()) return;
  throw OutputError(dir.string() + " holds scores of " + why +
                    "; a scores folder holds one run: choose another --out or remove it");
}

void RemoveOtherMethods(const fs::path& dir, const std::vector<std::string>& methods) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const std::string prefix : {"theta-", "elbo-"}) {
      if (!name.starts_with(prefix) || !name.ends_with(".npy")) continue;
      const std::string method = name.substr(prefix.size(), name.size() - prefix.size() - 4);
      if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
        stale.push_back(entry.path());
      }
    }
  }
  for (const auto& path : stale) {
    NTM_LOG(kInfo) << "removing " << path.string() << ": not a method of this run";
    fs::remove(path);
  }
}

}  // namespace

ScoresSource DescribeScoresSource(const std::string& model_dir, const std::string& corpus_dir,
                                  const std::vector<std::string>& inputs, const Config& config) {
  ScoresSource s;
  s.model = model_dir;
  s.model_checksum = ChecksumHex(ChecksumFile(fs::path(model_dir) / "model.bin"));
  if (!corpus_dir.empty()) {
    s.documents = "corpus " + corpus_dir;
    s.documents_checksum = ChecksumHex(ChecksumFile(fs::path(corpus_dir) / "manifest.json"));
  } else {
    s.documents = "input";
    for (const auto& path : inputs) s.documents += " " + path;
    s.documents_checksum = InputsChecksum(inputs);
  }
  s.config_checksum = ScoringConfigChecksum(config);
  return s;
}

void ClaimScoresFolder(const fs::path& dir, const ScoresSource& source,
                       const std::vector<std::string>& methods) {
  CheckSameSource(dir, source);
  RemoveOtherMethods(dir, methods);
  WriteFileAtomically(dir / "source.json", ToJson(source).dump(2) + "\n");
}

}  // namespace ntm
