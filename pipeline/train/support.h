// The pieces of `ntm train` around the step loop: resume state, the training
// log, validation, cross-rank agreement checks and the model bundle files.
#pragma once

#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/trainer.h"
#include "pipeline/config/config.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/stages.h"

namespace ntm {

// Where training is in its schedule; saved in every checkpoint.
struct TrainProgress {
  int64_t epoch = 0;       // current epoch (0-based)
  int64_t next_batch = 0;  // next global batch of the epoch
  double best_validation = -std::numeric_limits<double>::infinity();  // ELBO per token
  int64_t epochs_without_improvement = 0;  // validations (not epochs) since the last gain
  int64_t last_validation_step = 0;        // step of the last validation
  double learning_rate = 0;                // 0: take the configured one
};

// Validation ELBO summed over all ranks.
struct ValidationResult {
  double topic_change = -1;  // lda: mean total variation of β since the last validation; -1 none
  double elbo_per_token = 0;
  double mean_elbo = 0;
  int64_t documents = 0;
};

// Appends train_log.jsonl lines (rank 0 only; other ranks write nothing).
class TrainLog {
 public:
  // OutputError if `path` exists and is not a regular file (written through a link).
  TrainLog(const std::filesystem::path& path, bool enabled);
  // A fresh run: drops whatever a failed run left in the log.
  void StartFresh();
  // A resume from the checkpoint at `step`: drops the lines written after it
  // (they are written again), so each step appears once. `at_epoch_start`:
  // the checkpoint is the end of training, its epoch and validation lines kept.
  void TruncateToCheckpoint(int64_t step, bool at_epoch_start);
  // A training-step line.
  void Step(const StepReport& report, int64_t epoch, double docs_per_second, double elapsed);
  // A validation line.
  void Validation(const ValidationResult& v, int64_t step, int64_t epoch);
  // An end-of-epoch line.
  void Epoch(int64_t epoch, int64_t step, double seconds, int64_t documents);
  // Online VB's topics stopped updating at `step`.
  void TopicsConverged(int64_t step, double change_per_100_steps);
  // The last line: why training stopped.
  void Stop(const std::string& reason, int64_t step, int64_t epochs);

 private:
  void Append(const std::string& json_line);
  std::filesystem::path path_;
  bool enabled_;
};

// Global indices of this rank's held-out documents.
std::vector<int64_t> ValidationDocuments(const DocumentRange& range, const TrainConfig& config);

// Amortized ELBO of the held-out documents, summed over ranks.
ValidationResult Validate(Communicator& comm, const Trainer& trainer, const DocumentRange& range,
                          const std::vector<int64_t>& docs, const Config& config);

// The checkpoint metadata JSON.
std::string CheckpointMetadata(const TrainProgress& state, const Trainer& trainer,
                               const CorpusLayout& layout, const StageContext& ctx, bool complete);

// Reads checkpoint metadata and checks it matches this corpus and config;
// InputError naming `file` if the corpus or vocabulary changed.
TrainProgress ResumeState(const std::string& metadata_json, const std::string& file,
                          const CorpusLayout& layout, const Config& config);

// The model and optimiser keys of `config` that differ from what the resumed
// checkpoint was built with ("model.num_topics (checkpoint 20, config 5)", ...).
// A resume trains the checkpoint's model: these must not change. It honours
// the schedule keys (train.epochs, lr_decay, lr_decay_patience,
// early_stopping_patience, checkpoint_every_*, checksum_every_steps,
// log_every_steps) and log.*.
std::vector<std::string> ChangedSinceCheckpoint(const Trainer& trainer, const Config& config);

// Stops every rank if the parameters differ between ranks (they must not).
void CompareParameterChecksums(Communicator& comm, std::span<const float> params, int64_t step);

// What every rank does after a step, agreed over the ranks.
struct StepAgreement {
  bool stop = false;        // some rank asks to stop (e.g. received SIGTERM)
  bool checkpoint = false;  // some rank's schedule (step count or its clock) asks for one
};

// One small all-reduce, so that collective work (stopping, checkpoints that
// gather the sharded optimiser state) starts on every rank together.
StepAgreement AgreeAfterStep(Communicator& comm, bool wants_to_stop, bool wants_checkpoint);

// Computes the amortization gap on a seeded sample of the held-out documents
// (`docs`: this rank's, as global indices; train.drift_reference_docs of them
// over all ranks) and writes gap_reference.json into `model_dir` on rank 0
// (pipeline/io/gap_reference.h); nothing when the key is 0 or nothing is held
// out. The same file at any rank count. Collective; call after model.bin is final.
void WriteGapReference(Communicator& comm, const Model& model, const DocumentRange& range,
                       const std::vector<int64_t>& docs, const CorpusLayout& layout,
                       const Config& config, const std::filesystem::path& model_dir);

// Copies vocab.tsv and tokenizer.model (if any) from the corpus into the model bundle.
void CopyModelBundleFiles(const std::filesystem::path& corpus_dir,
                          const std::filesystem::path& model_dir);

}  // namespace ntm
