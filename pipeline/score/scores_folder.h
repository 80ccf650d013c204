// A scores folder holds one run: scores of one model over one set of
// documents under one configuration. `source.json` records which; a later
// `ntm score` into the folder with another model, other documents or another
// configuration is refused (exit 73), so theta files of two models never lie
// side by side. A rerun of the same scoring replaces the folder's scores whole.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/config/config.h"

namespace ntm {

// What a scores folder's scores were computed from.
struct ScoresSource {
  std::string model;               // --model folder, as given
  std::string model_checksum;      // XXH3 of model.bin
  std::string documents;           // "corpus DIR" or "input PATH,..."
  std::string documents_checksum;  // of manifest.json, or of the inputs' paths, sizes and times
  std::string config_checksum;     // of the effective config, less score.methods and log.*
};

// The source of this run.
ScoresSource DescribeScoresSource(const std::string& model_dir, const std::string& corpus_dir,
                                  const std::vector<std::string>& inputs, const Config& config);

// Checks that `dir` is empty of scores or holds scores of `source`; OutputError
// naming what differs otherwise. Then removes the theta-/elbo- files of methods
// not in `methods` (a rerun replaces the folder whole) and writes source.json.
void ClaimScoresFolder(const std::filesystem::path& dir, const ScoresSource& source,
                       const std::vector<std::string>& methods);

}  // namespace ntm
