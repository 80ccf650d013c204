#include "pipeline/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include "libvi/base/errors.h"
#include "pipeline/config/method_names.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/mpi_communicator.h"
#include "pipeline/stages.h"
#include "tokenizer/readers/readers.h"

namespace ntm {
namespace {

// Flags shared by every stage that reads a configuration.
struct CommonFlags {
  std::string config_path;
  std::vector<std::string> overrides;
  // Checks, before MPI starts, that the inputs exist: a missing one is then
  // one line from rank 0, not one per rank plus the launcher's abort noise.
  std::function<void()> check_inputs;
};

void CheckCorpusFolder(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    throw MissingInputError(dir + ": not a corpus folder (run ntm tokenize first)");
  }
}

// A parsed subcommand: how to run it once the communicator exists.
using StageRunner = std::function<int(StageContext&)>;

void AddConfigFlags(CLI::App* cmd, CommonFlags& flags, bool required) {
  auto* opt = cmd->add_option("--config", flags.config_path, "YAML configuration file");
  if (required) opt->required();
  cmd->add_option("--set", flags.overrides, "override a config key: section.key=value")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

void AddTokenize(CLI::App& app, CommonFlags& flags, StageRunner& run) {
  static TokenizeArgs a;
  auto* cmd = app.add_subcommand("tokenize", "raw notes -> vocabulary and bag-of-words shards");
  AddConfigFlags(cmd, flags, true);
  cmd->add_option("--input", a.inputs,
                  "JSONL, CSV, folder of .txt, or .gz of these; or a postgresql:// URI")
      ->required();
  cmd->add_option("--out", a.out_dir, "corpus folder to create")->required();
  cmd->callback([&run, &flags] {
    flags.check_inputs = [] { CheckInputsReadable(a.inputs); };
    run = [](StageContext& c) { return RunTokenize(c, a); };
  });
}

void AddTrain(CLI::App& app, CommonFlags& flags, StageRunner& run) {
  static TrainArgs a;
  auto* cmd = app.add_subcommand("train", "corpus -> trained neural-encoder topic model");
  AddConfigFlags(cmd, flags, true);
  cmd->add_option("--corpus", a.corpus_dir, "corpus folder written by tokenize")->required();
  cmd->add_option("--out", a.out_dir, "model folder to create")->required();
  cmd->add_flag("--resume", a.resume, "continue from the last checkpoint in --out");
  cmd->callback([&run, &flags] {
    flags.check_inputs = [] { CheckCorpusFolder(a.corpus_dir); };
    run = [](StageContext& c) { return RunTrain(c, a); };
  });
}

void AddScore(CLI::App& app, CommonFlags& flags, StageRunner& run) {
  static ScoreArgs a;
  auto* cmd = app.add_subcommand("score", "documents -> topic mixtures with each method");
  AddConfigFlags(cmd, flags, false);
  cmd->add_option("--model", a.model_dir, "model folder written by train")->required();
  auto* corpus = cmd->add_option("--corpus", a.corpus_dir, "corpus folder to score");
  auto* input = cmd->add_option("--input", a.inputs,
                                "raw files to tokenize and score, or a postgresql:// URI");
  corpus->excludes(input);
  cmd->add_option("--out", a.out_dir, "scores folder to create")->required();
  cmd->add_option("--methods", a.methods, "amortized,refined,classical,ln-vi")
      ->delimiter(',')
      ->check(CLI::IsMember(std::vector<std::string>(kAllMethods.begin(), kAllMethods.end())));
  cmd->add_flag("--incremental", a.incremental, "score only documents not scored before");
  cmd->callback([&run, &flags, corpus, input] {
    if (corpus->count() + input->count() == 0) {
      throw CLI::ValidationError("score", "one of --corpus or --input is required");
    }
    flags.check_inputs = [] {
      if (!a.corpus_dir.empty()) CheckCorpusFolder(a.corpus_dir);
      CheckInputsReadable(a.inputs);
    };
    run = [](StageContext& c) { return RunScore(c, a); };
  });
}

void AddReport(CLI::App& app, StageRunner& run) {
  static ReportArgs a;
  auto* cmd = app.add_subcommand("report", "runs -> report.html, report.json, report.md");
  cmd->add_option("--out", a.out_dir, "report folder to create")->required();
  cmd->add_option("run_dirs", a.run_dirs, "folders written by score (and train)")->required();
  cmd->callback([&run] { run = [](StageContext& c) { return RunReport(c, a); }; });
}

void AddExportBow(CLI::App& app, CommonFlags& flags, StageRunner& run) {
  static ExportBowArgs a;
  auto* cmd = app.add_subcommand("export-bow", "corpus -> bow.mtx, vocab.txt, doc_ids.txt");
  cmd->add_option("--corpus", a.corpus_dir, "corpus folder written by tokenize")->required();
  cmd->add_option("--out", a.out_dir, "folder to write")->required();
  cmd->add_flag("--completion-split", a.completion_split,
                "also write completion-{observed,heldout}.mtx: the documents `ntm score` holds out "
                "(score.heldout_fraction, score.seed of --config) split as it splits them");
  AddConfigFlags(cmd, flags, false);
  cmd->callback([&run] { run = [](StageContext& c) { return RunExportBow(c, a); }; });
}

// CLI::PositiveNumber's message spells out the 309-digit largest double.
CLI::Validator AtLeastOne() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        try {
          if (std::stoll(value) >= 1) return "";
        } catch (const std::exception&) {
        }
        return "must be a whole number of at least 1, got '" + value + "'";
      },
      "INT>=1");
}

void AddSynth(CLI::App& app, StageRunner& run) {
  static SynthArgs a;
  auto* cmd = app.add_subcommand("synth", "synthetic notes from the LDA generative process");
  cmd->add_option("--out", a.out_file, "JSONL file to write")->required();
  cmd->add_option("--docs", a.docs, "number of documents")->required()->check(AtLeastOne());
  auto* model = cmd->add_option("--model", a.model_dir, "take topics from this model folder");
  auto* topics = cmd->add_option("--topics", a.topics, "random topics: how many")
                     ->check(CLI::Range(2, 100000));
  model->excludes(topics);
  cmd->add_option("--vocab-size", a.vocab_size, "random topics: vocabulary size")
      ->check(CLI::Range(10, 10000000));
  cmd->add_option("--mean-length", a.mean_doc_length, "mean tokens per document")
      ->check(CLI::Range(1.0, 1e7));
  cmd->add_option("--seed", a.seed, "random seed")->required();
  cmd->callback([&run, model, topics] {
    if (model->count() + topics->count() == 0) {
      throw CLI::ValidationError("synth", "one of --model or --topics is required");
    }
    run = [](StageContext& c) { return RunSynth(c, a); };
  });
}

void AddVersion(CLI::App& app, StageRunner& run) {
  auto* cmd = app.add_subcommand("version", "versions of ntm and its libraries");
  cmd->callback([&run] {
    run = [](StageContext& c) {
      if (c.comm.is_root()) std::cout << VersionText() << std::flush;
      return 0;
    };
  });
}

// The launcher's rank before MPI is initialised (0 when not under MPI), so
// errors found while parsing are printed once, not once per rank.
bool IsLauncherRankZero() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* v = std::getenv(name)) return std::string(v) == "0";
  }
  return true;
}

void PrintError(const std::string& stage, const std::string& message) {
  std::fprintf(stderr, "ntm%s%s: error: %s\n", stage.empty() ? "" : " ", stage.c_str(),
               message.c_str());
}

// Fault injection for tests (see tests/pipeline/cli_e2e.cc): NTM_FAIL_RANK=r
// makes rank r fail while every other rank waits in a barrier, which would hang
// forever unless the failure ends the whole job.
void InjectRankFailure(Communicator& comm) {
  const char* fail_rank = std::getenv("NTM_FAIL_RANK");
  if (fail_rank == nullptr) return;
  if (comm.rank() == std::atoi(fail_rank)) throw IoError("injected failure (NTM_FAIL_RANK)");
  comm.Barrier();
}

int RunStage(const std::string& stage, const CommonFlags& flags, const StageRunner& run) {
  Config config;
  try {
    config = LoadConfig(flags.config_path, flags.overrides);
    if (flags.check_inputs) flags.check_inputs();
  } catch (const Error& e) {
    if (IsLauncherRankZero()) PrintError(stage, e.what());
    return e.exit_code();
  }
  std::unique_ptr<Communicator> comm = CreateCommunicator();
  InitLogging(comm->rank(), ParseLogLevel(config.log.level));
  StageContext ctx{*comm, config, flags.config_path};
  int code = kExitSoftware;
  bool failed = true;
  try {
    if (stage == "tokenize" || stage == "train" || stage == "score") {
      NTM_LOG(kInfo) << "ntm " << stage << " on " << comm->size() << " rank(s); effective config:\n"
                     << ConfigToYaml(config, false);
    } else if (stage != "version") {
      NTM_LOG(kInfo) << "ntm " << stage << " on " << comm->size() << " rank(s)";
    }
    InjectRankFailure(*comm);
    code = run(ctx);
    failed = false;
  } catch (const CollectiveStopError& e) {
    if (comm->is_root()) PrintError(stage, e.what());
    FinalizeCommunicator(comm);
    return e.exit_code();
  } catch (const Error& e) {
    PrintError(stage, e.what());
    code = e.exit_code();
  } catch (const std::exception& e) {
    PrintError(stage, std::string("internal error: ") + e.what());
    code = kExitSoftware;
  }
  // A failure on one rank must not leave the others waiting in a collective.
  if (failed && comm->size() > 1) comm->Abort(code);
  FinalizeCommunicator(comm);
  return code;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"ntm: neural topic models for clinical notes, on one machine or an HPC cluster"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ntm ") + "see `ntm version`");
  CommonFlags flags;
  StageRunner run;
  AddTokenize(app, flags, run);
  AddTrain(app, flags, run);
  AddScore(app, flags, run);
  AddReport(app, run);
  AddExportBow(app, flags, run);
  AddSynth(app, run);
  AddVersion(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (!IsLauncherRankZero()) return kExitUsage;
    if (e.get_exit_code() == 0) return app.exit(e);
    app.exit(e);
    return kExitUsage;
  }
  const std::string stage = app.get_subcommands().front()->get_name();
  return RunStage(stage, flags, run);
}

}  // namespace ntm
