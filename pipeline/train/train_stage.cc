// `ntm train`: data-parallel training of the neural-encoder topic model.
// Each rank maps only its contiguous share of the corpus's global document
// order; every global minibatch is a slice of a (seed, epoch)-keyed
// permutation, so the batches — and therefore the parameters, up to float
// summation order — do not depend on the number of ranks. Per step each rank
// accumulates its part of the batch into one buffer (gradients, batch-norm
// statistics, loss terms). One rank applies the Adam step to it; several ranks
// take the sharded step (libvi/sharded_step.h): reduce-scatter the gradient,
// each rank checks and updates its shard of the parameters, all-gather them.
// Batch norm is exact over the global batch: its statistics need two tiny extra
// reductions inside the pass. Rank 0 writes checkpoints atomically, after every
// rank has agreed to write one; SIGTERM makes every rank finish its step,
// checkpoint, exit 75.
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "libvi/base/errors.h"
#include "libvi/inference/logistic_normal.h"
#include "libvi/sharded_step.h"
#include "libvi/thinning.h"
#include "pipeline/config/libvi_options.h"
#include "pipeline/corpus/batch_plan.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/model_file.h"
#include "pipeline/io/npy.h"
#include "pipeline/runtime/folder_lock.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/run_info.h"
#include "pipeline/runtime/signals.h"
#include "pipeline/stages.h"
#include "pipeline/train/support.h"

namespace ntm {
namespace {

using Clock = std::chrono::steady_clock;

class TrainingRun {
 public:
  TrainingRun(StageContext& ctx, const TrainArgs& args);
  // Trains to the configured number of epochs; returns the exit code.
  int Run();

 private:
  void StartOrResume();
  int64_t TrainingDocuments();
  void RefuseChangedModel(const std::filesystem::path& model_path) const;
  std::vector<int64_t> LocalBatch(const Permutation& perm, int64_t batch) const;
  std::optional<StepReport> Step(const Permutation& perm, int64_t batch);
  std::string ValidateAndCheckPlateau();
  double TopicChange();
  void MaybeFreezeTopics(double topic_change);
  void MaybeThinBatch();
  std::string AfterStepChecks();
  std::string RunEpoch();
  void AfterStep(const StepReport& report);
  bool CheckpointDue(int64_t step) const;
  std::string ProgressDetail(const StepReport& report) const;
  void Checkpoint(bool complete);
  void WriteFinalOutputs();

  StageContext& ctx_;
  const TrainArgs& args_;
  const std::filesystem::path out_;
  RunRecorder recorder_;
  CorpusLayout layout_;
  DocumentRange range_;
  std::unique_ptr<Trainer> trainer_;
  std::optional<ReduceBuffer> buffer_;
  std::optional<ShardedStep> sharded_;  // with several ranks
  BowMatrix batch_;
  BowMatrix thinned_;  // MaybeThinBatch's scratch
  TrainProgress state_;
  TrainLog log_;
  std::vector<int64_t> validation_docs_;
  int64_t batches_per_epoch_;
  std::optional<ProgressReporter> progress_;
  std::vector<float> last_topics_;  // β at the last validation (lda)
  int64_t last_topics_step_ = 0;    // the step of last_topics_
  Clock::time_point last_checkpoint_ = Clock::now();
  Clock::time_point window_start_ = Clock::now();
  double window_docs_ = 0;
  double docs_this_run_ = 0;
};

TrainingRun::TrainingRun(StageContext& ctx, const TrainArgs& args)
    : ctx_(ctx),
      args_(args),
      out_(args.out_dir),
      recorder_("train", args.out_dir),
      layout_(ReadCorpusLayout(args.corpus_dir)),
      range_(layout_, RankRange(layout_.total_docs, ctx.comm.rank(), ctx.comm.size()).first,
             RankRange(layout_.total_docs, ctx.comm.rank(), ctx.comm.size()).second),
      log_(out_ / "train_log.jsonl", ctx.comm.is_root()),
      batches_per_epoch_((layout_.total_docs + ctx.config.train.batch_size - 1) /
                         ctx.config.train.batch_size) {
  validation_docs_ = ValidationDocuments(range_, ctx.config.train);
}

void TrainingRun::StartOrResume() {
  const auto model_path = out_ / "model.bin";
  if (args_.resume && std::filesystem::exists(model_path)) {
    const ModelFileContents file = ReadModelFile(model_path);
    state_ = ResumeState(file.metadata_json, model_path.string(), layout_, ctx_.config);
    trainer_ = std::make_unique<Trainer>(Trainer::Deserialize(file.state));
    RefuseChangedModel(model_path);
    NTM_LOG(kInfo) << "resuming from " << model_path.string() << " at step " << trainer_->step()
                   << " (epoch " << state_.epoch + 1 << ", batch " << state_.next_batch << ")";
    log_.TruncateToCheckpoint(trainer_->step(), state_.next_batch == 0);
  } else {
    if (!args_.resume && std::filesystem::exists(model_path)) {
      throw OutputError(model_path.string() +
                        " exists: pass --resume to continue, or choose "
                        "another --out");
    }
    log_.StartFresh();
    const int32_t vocab_size = static_cast<int32_t>(layout_.vocab.pieces.size());
    TrainOptions options = TrainOptionsFrom(ctx_.config);
    options.online.corpus_docs = static_cast<double>(TrainingDocuments());
    trainer_ = std::make_unique<Trainer>(ModelOptionsFrom(ctx_.config, vocab_size), options);
  }
  if (!buffer_) buffer_.emplace(trainer_->NewReduceBuffer());
  if (ctx_.comm.size() > 1) sharded_.emplace(trainer_->model().layout(), ctx_.comm);
  if (state_.learning_rate > 0) {
    trainer_->ScaleLearningRate(state_.learning_rate / trainer_->learning_rate());
  }
}

// Documents that train (not held out), over all ranks: online VB's corpus size D.
int64_t TrainingRun::TrainingDocuments() {
  int64_t held_out[1] = {static_cast<int64_t>(validation_docs_.size())};
  ctx_.comm.AllReduceSum(std::span<int64_t>(held_out));
  return std::max<int64_t>(1, layout_.total_docs - held_out[0]);
}

// A resume continues the checkpoint's model: a changed shape or optimiser
// setting would train the old one under a config.yaml that says otherwise.
void TrainingRun::RefuseChangedModel(const std::filesystem::path& model_path) const {
  const std::vector<std::string> changed = ChangedSinceCheckpoint(*trainer_, ctx_.config);
  if (changed.empty()) return;
  std::string keys;
  for (const auto& key : changed) keys += (keys.empty() ? "" : ", ") + key;
  // Every rank reads the same checkpoint and config: they stop together, rank 0 says why.
  throw CollectiveStopError(model_path.string() + ": --resume cannot change " + keys +
                                "; train into another --out, or resume with the checkpoint's "
                                "settings",
                            kExitUsage);
}

std::vector<int64_t> TrainingRun::LocalBatch(const Permutation& perm, int64_t batch) const {
  const int64_t n = layout_.total_docs, size = ctx_.config.train.batch_size;
  std::vector<int64_t> local;
  for (int64_t p = batch * size; p < std::min(n, (batch + 1) * size); ++p) {
    const auto g = static_cast<int64_t>(perm(static_cast<uint64_t>(p)));
    if (g < range_.begin() || g >= range_.end()) continue;
    if (IsValidationDocument(range_.doc(g).key, ctx_.config.train.validation_fraction,
                             ctx_.config.train.seed)) {
      continue;
    }
    local.push_back(g);
  }
  return local;
}

// Once the topics froze, the encoder also learns from shorter notes: a share
// of each batch is thinned (seeded by step and key, so rank-count independent).
void TrainingRun::MaybeThinBatch() {
  const auto& t = ctx_.config.train;
  if (!trainer_->topics_frozen() || t.encoder_thinning <= 0) return;
  ThinDocuments(batch_.view(), t.encoder_thinning, t.thinning_keep, t.seed,
                static_cast<uint64_t>(trainer_->step()), thinned_);
  std::swap(batch_, thinned_);
}

std::optional<StepReport> TrainingRun::Step(const Permutation& perm, int64_t batch) {
  GatherDocuments(range_, LocalBatch(perm, batch), batch_);
  MaybeThinBatch();
  buffer_->Clear();
  // Exact batch norm over the global batch: two tiny reductions of batch
  // statistics inside the pass (at most 4K+1 floats), then the sum of the
  // gradients, statistics and loss terms over ranks.
  trainer_->AccumulateExactGradients(
      batch_.view(), [this](std::span<float> v) { ctx_.comm.AllReduceSum(v); }, *buffer_);
  if (sharded_) {
    sharded_->Reduce(*trainer_, *buffer_);
  } else {
    ctx_.comm.AllReduceSum(buffer_->values());
  }
  if (buffer_->loss(LossTerm::kDocuments) == 0) return std::nullopt;  // all held out
  return sharded_ ? sharded_->Apply(*trainer_, *buffer_) : trainer_->ApplyStep(*buffer_);
}

void TrainingRun::AfterStep(const StepReport& report) {
  window_docs_ += report.documents;
  docs_this_run_ += report.documents;
  const auto& t = ctx_.config.train;
  if (report.step % t.log_every_steps == 0) {
    const double seconds = std::chrono::duration<double>(Clock::now() - window_start_).count();
    log_.Step(report, state_.epoch, window_docs_ / std::max(seconds, 1e-9),
              recorder_.elapsed_seconds());
    window_start_ = Clock::now();
    window_docs_ = 0;
  }
  if (t.checksum_every_steps > 0 && report.step % t.checksum_every_steps == 0) {
    CompareParameterChecksums(ctx_.comm, trainer_->model().parameters(), report.step);
  }
}

// This rank's view; the ranks agree (AgreeAfterStep) before checkpointing.
bool TrainingRun::CheckpointDue(int64_t step) const {
  const auto& t = ctx_.config.train;
  const double since_checkpoint =
      std::chrono::duration<double>(Clock::now() - last_checkpoint_).count();
  return (t.checkpoint_every_steps > 0 && step % t.checkpoint_every_steps == 0) ||
         (t.checkpoint_every_seconds > 0 && since_checkpoint >= t.checkpoint_every_seconds);
}

std::string TrainingRun::ProgressDetail(const StepReport& r) const {
  char text[200];
  std::snprintf(text, sizeof text,
                "epoch %lld/%d, %.0f docs/s, ELBO/token %.4f, best validation %.4f",
                static_cast<long long>(state_.epoch + 1), ctx_.config.train.epochs,
                docs_this_run_ / std::max(recorder_.elapsed_seconds(), 1e-9),
                r.tokens > 0 ? -(r.loss * r.documents) / r.tokens : 0.0, state_.best_validation);
  return text;
}

// Validation, learning-rate decay and early stopping (collective); returns
// why training should stop, or "" to go on.
std::string TrainingRun::ValidateAndCheckPlateau() {
  ValidationResult v = Validate(ctx_.comm, *trainer_, range_, validation_docs_, ctx_.config);
  v.topic_change = TopicChange();
  log_.Validation(v, trainer_->step(), state_.epoch);
  const auto& t = ctx_.config.train;
  MaybeFreezeTopics(v.topic_change);
  if (v.documents == 0) return "";
  if (v.elbo_per_token > state_.best_validation + t.early_stopping_min_delta) {
    state_.best_validation = v.elbo_per_token;
    state_.epochs_without_improvement = 0;
    return "";
  }
  state_.best_validation = std::max(state_.best_validation, v.elbo_per_token);
  ++state_.epochs_without_improvement;
  if (t.lr_decay_patience > 0 && state_.epochs_without_improvement % t.lr_decay_patience == 0) {
    trainer_->ScaleLearningRate(t.lr_decay);
    NTM_LOG(kInfo) << "validation ELBO did not improve: learning rate now "
                   << trainer_->learning_rate();
  }
  // train.early_stopping_patience 0 turns early stopping off in both phases.
  const int patience = trainer_->topics_frozen() && t.early_stopping_patience > 0
                           ? t.encoder_patience
                           : t.early_stopping_patience;
  if (patience == 0 || trainer_->step() < t.min_steps ||
      state_.epochs_without_improvement < patience) {
    return "";
  }
  std::ostringstream reason;
  reason << "validation ELBO/token gained less than " << t.early_stopping_min_delta << " in "
         << patience << " validations (plateau; best " << state_.best_validation << ")";
  return reason.str();
}

// Mean over topics of the total variation ½ Σ_w |β_kw − β'_kw| between β now
// and at the last validation; -1 at the first (or for prodlda).
double TrainingRun::TopicChange() {
  if (trainer_->model().options().decoder != DecoderKind::kLda) return -1;
  std::vector<float> topics = trainer_->model().TopicMatrixRowMajor();
  double change = -1;
  if (last_topics_.size() == topics.size()) {
    double sum = 0;
    for (size_t i = 0; i < topics.size(); ++i) sum += std::abs(topics[i] - last_topics_[i]);
    change = 0.5 * sum / trainer_->model().options().num_topics;
  }
  last_topics_ = std::move(topics);
  return change;
}

// Online VB: once the topics move by less than train.topic_change_tol of
// their mass per 100 steps, they stop updating and the encoder trains on
// alone (no E-steps: far faster) until the validation ELBO plateaus.
void TrainingRun::MaybeFreezeTopics(double topic_change) {
  const auto& t = ctx_.config.train;
  const int64_t step = trainer_->step(), steps = step - last_topics_step_;
  last_topics_step_ = step;
  if (!trainer_->UpdatingTopics() || topic_change < 0 || steps <= 0 || step < t.min_steps) return;
  const double per_100_steps = topic_change * 100.0 / static_cast<double>(steps);
  if (per_100_steps >= t.topic_change_tol) return;
  trainer_->FreezeTopics();
  if (t.fold_head_batch_norm) trainer_->FoldHeadBatchNorm();
  log_.TopicsConverged(step, per_100_steps);
  NTM_LOG(kInfo) << "train: topics converged at step " << step << " (they moved " << per_100_steps
                 << " of their mass per 100 steps, below train.topic_change_tol "
                 << t.topic_change_tol << "); the encoder trains on alone"
                 << (t.fold_head_batch_norm ? ", its heads' batch norm folded away" : "");
}

// After a step: the step budget, or a validation inside a long epoch.
std::string TrainingRun::AfterStepChecks() {
  const auto& t = ctx_.config.train;
  const int64_t step = trainer_->step();
  if (step >= t.max_steps) return "reached train.max_steps (" + std::to_string(t.max_steps) + ")";
  if (step > state_.last_validation_step && step % t.validate_every_steps == 0 &&
      state_.next_batch < batches_per_epoch_) {
    state_.last_validation_step = step;
    return ValidateAndCheckPlateau();
  }
  return "";
}

// Collective: every rank calls it at the same step.
void TrainingRun::Checkpoint(bool complete) {
  last_checkpoint_ = Clock::now();
  state_.learning_rate = trainer_->learning_rate();
  if (sharded_) sharded_->GatherOptimizerState(*trainer_);
  if (!ctx_.comm.is_root()) return;
  WriteModelFile(
      out_ / "model.bin",
      {CheckpointMetadata(state_, *trainer_, layout_, ctx_, complete), trainer_->Serialize()});
  NTM_LOG(kDebug) << "checkpoint at step " << trainer_->step();
}

void TrainingRun::WriteFinalOutputs() {
  Checkpoint(true);
  ctx_.comm.Barrier();  // model.bin is complete before the reference records its checksum
  WriteGapReference(ctx_.comm, trainer_->model(), range_, validation_docs_, layout_, ctx_.config,
                    out_);
  if (!ctx_.comm.is_root()) return;
  const Model& model = trainer_->model();
  WriteNpyMatrix(out_ / "topics.npy", TopicDistributions(model), model.options().num_topics,
                 model.options().vocab_size);
  CopyModelBundleFiles(layout_.dir, out_);
  recorder_.Write(ctx_, {args_.corpus_dir});
}

int TrainingRun::Run() {
  std::optional<CreatedFolder> folder;  // removed again if an early failure leaves it empty
  std::unique_ptr<FolderLock> lock;     // two runs must never train into one folder
  if (ctx_.comm.is_root()) {
    folder.emplace(out_);
    lock = std::make_unique<FolderLock>(out_);
  }
  ctx_.comm.Barrier();
  InstallStopHandlers();
  StartOrResume();
  const auto& t = ctx_.config.train;
  progress_.emplace("training", std::min<int64_t>(t.epochs * batches_per_epoch_, t.max_steps),
                    "steps", ctx_.comm.is_root(), ctx_.config.log.progress_seconds);
  std::string stop_reason;
  while (stop_reason.empty() && state_.epoch < t.epochs) {
    stop_reason = RunEpoch();
    if (state_.next_batch >= batches_per_epoch_) {
      ++state_.epoch;
      state_.next_batch = 0;
    }
  }
  if (stop_reason.empty()) stop_reason = "reached train.epochs (" + std::to_string(t.epochs) + ")";
  progress_->Finish();
  log_.Stop(stop_reason, trainer_->step(), state_.epoch);
  WriteFinalOutputs();
  if (folder) folder->Keep();
  NTM_LOG(kInfo) << "train: stopped after " << trainer_->step() << " steps (" << state_.epoch
                 << " epochs): " << stop_reason;
  NTM_LOG(kInfo) << "train: best validation ELBO/token " << state_.best_validation << "; model in "
                 << out_.string();
  return 0;
}

// The rest of the current epoch (collective); returns why training should
// stop, or "" at the epoch's end.
std::string TrainingRun::RunEpoch() {
  const auto& t = ctx_.config.train;
  const Permutation perm(layout_.total_docs, t.seed, static_cast<uint64_t>(state_.epoch));
  const auto epoch_start = Clock::now();
  while (state_.next_batch < batches_per_epoch_) {
    const std::optional<StepReport> report = Step(perm, state_.next_batch++);
    if (report) {
      AfterStep(*report);
      progress_->set_detail(ProgressDetail(*report));
    }
    progress_->Update(trainer_->step());
    const StepAgreement agreed =
        AgreeAfterStep(ctx_.comm, StopRequested(), report && CheckpointDue(report->step));
    if (agreed.stop) {
      Checkpoint(false);
      ctx_.comm.Barrier();
      throw CollectiveStopError("stopped by a signal at step " + std::to_string(trainer_->step()) +
                                "; checkpoint written: rerun with --resume to continue");
    }
    if (agreed.checkpoint) Checkpoint(false);
    if (std::string reason = AfterStepChecks(); !reason.empty()) return reason;
  }
  log_.Epoch(state_.epoch, trainer_->step(),
             std::chrono::duration<double>(Clock::now() - epoch_start).count(), layout_.total_docs);
  state_.last_validation_step = trainer_->step();
  return ValidateAndCheckPlateau();
}

}  // namespace

int RunTrain(StageContext& ctx, const TrainArgs& args) {
  TrainingRun run(ctx, args);
  return run.Run();
}

}  // namespace ntm
