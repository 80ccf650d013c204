// The stages of the command-line contract (see docs and DESIGN.md). Each takes
// its parsed flags, the effective configuration and the job's communicator,
// and returns the process exit code; errors are thrown as ntm::Error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"
#include "pipeline/config/config.h"

namespace ntm {

// What every stage receives besides its own flags.
struct StageContext {
  Communicator& comm;
  Config config;
  std::string config_path;  // the --config file, empty for defaults only
};

// `ntm tokenize --config C --input PATH... --out CORPUS_DIR`
struct TokenizeArgs {
  std::vector<std::string> inputs;
  std::string out_dir;
};
int RunTokenize(StageContext& ctx, const TokenizeArgs& args);

// `ntm train --config C --corpus CORPUS_DIR --out MODEL_DIR [--resume]`
struct TrainArgs {
  std::string corpus_dir;
  std::string out_dir;
  bool resume = false;
};
int RunTrain(StageContext& ctx, const TrainArgs& args);

// `ntm score --model M (--corpus C | --input PATH...) --out DIR [--methods ...] [--incremental]`
struct ScoreArgs {
  std::string model_dir;
  std::string corpus_dir;
  std::vector<std::string> inputs;
  std::string out_dir;
  std::vector<std::string> methods;  // empty: score.methods from the config
  bool incremental = false;
};
int RunScore(StageContext& ctx, const ScoreArgs& args);

// `ntm report --out REPORT_DIR RUN_DIR...`
struct ReportArgs {
  std::string out_dir;
  std::vector<std::string> run_dirs;
};
int RunReport(StageContext& ctx, const ReportArgs& args);

// `ntm export-bow --corpus CORPUS_DIR --out DIR
//    [--completion-split [--config C.yaml] [--set score.seed=S]]`
struct ExportBowArgs {
  std::string corpus_dir;
  std::string out_dir;
  bool completion_split = false;  // also write score's completion documents, split in halves
};
int RunExportBow(StageContext& ctx, const ExportBowArgs& args);

// `ntm synth --out FILE.jsonl --docs N [--model MODEL_DIR | --topics K] --seed S`
struct SynthArgs {
  std::string out_file;
  int64_t docs = 0;
  std::string model_dir;
  int topics = 0;
  int vocab_size = 5000;
  double mean_doc_length = 200;
  uint64_t seed = 1;
};
int RunSynth(StageContext& ctx, const SynthArgs& args);

// `ntm version`: versions of ntm and every library it was built with.
std::string VersionText();

}  // namespace ntm
