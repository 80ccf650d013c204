#include "pipeline/train/support.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libvi/base/errors.h"
#include "libvi/inference/logistic_normal.h"
#include "pipeline/config/libvi_options.h"
#include "pipeline/corpus/batch_plan.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/gap_reference.h"
#include "pipeline/runtime/log.h"

namespace ntm {

TrainLog::TrainLog(const std::filesystem::path& path, bool enabled)
    : path_(enabled ? RegularOutputTarget(path) : path), enabled_(enabled) {}

void TrainLog::StartFresh() {
  if (enabled_ && std::filesystem::exists(path_)) WriteFileAtomically(path_, "");
}

namespace {

// Whether a line of a log being resumed at `step` was written before the checkpoint.
bool WrittenBeforeCheckpoint(const std::string& line, int64_t step, bool at_epoch_start) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) return false;
  const int64_t at = j["step"].get<int64_t>();
  // Epoch and validation lines of the checkpoint's own step follow the
  // checkpoint unless it was written at the end of training.
  if (at == step && j.value("type", "") != "step") return at_epoch_start;
  return at <= step;
}

}  // namespace

void TrainLog::TruncateToCheckpoint(int64_t step, bool at_epoch_start) {
  if (!enabled_ || !std::filesystem::exists(path_)) return;
  const std::string log = ReadFileToString(path_);
  std::istringstream in(log);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (WrittenBeforeCheckpoint(line, step, at_epoch_start)) kept += line + "\n";
  }
  if (kept != log) WriteFileAtomically(path_, kept);  // nothing to cut: no write
}

void TrainLog::Append(const std::string& json_line) {
  if (!enabled_) return;
  std::ofstream out(path_, std::ios::app);
  errno = 0;
  out << json_line << '\n';
  out.flush();
  if (!out) {
    throw IoError("writing " + path_.string() + ": " +
                  (errno != 0 ? std::strerror(errno) : "append failed"));
  }
}

void TrainLog::Step(const StepReport& r, int64_t epoch, double docs_per_second, double elapsed) {
  const double per_token = r.tokens > 0 ? -(r.loss * r.documents) / r.tokens : 0;
  const double rec_per_token = r.tokens > 0 ? r.reconstruction * r.documents / r.tokens : 0;
  Append(nlohmann::json{{"type", "step"},
                        {"step", r.step},
                        {"epoch", epoch + 1},
                        {"elbo_per_token", per_token},
                        {"reconstruction_per_token", rec_per_token},
                        {"kl_per_doc", r.kl},
                        {"gradient_norm", r.gradient_norm},
                        {"documents_per_second", docs_per_second},
                        {"learning_rate", r.learning_rate},
                        {"elapsed_seconds", elapsed}}
             .dump());
  NTM_LOG(kDebug) << "step " << r.step << " ELBO/token " << per_token;
}

void TrainLog::Validation(const ValidationResult& v, int64_t step, int64_t epoch) {
  Append(nlohmann::json{{"type", "validation"},
                        {"step", step},
                        {"epoch", epoch + 1},
                        {"validation_elbo_per_token", v.elbo_per_token},
                        {"validation_mean_elbo", v.mean_elbo},
                        {"topic_change", v.topic_change},
                        {"documents", v.documents}}
             .dump());
  NTM_LOG(kInfo) << "epoch " << epoch + 1 << ": validation ELBO/token " << v.elbo_per_token
                 << " over " << v.documents << " documents";
}

void TrainLog::Epoch(int64_t epoch, int64_t step, double seconds, int64_t documents) {
  Append(nlohmann::json{{"type", "epoch"},
                        {"epoch", epoch + 1},
                        {"step", step},
                        {"seconds", seconds},
                        {"documents", documents}}
             .dump());
}

void TrainLog::TopicsConverged(int64_t step, double change_per_100_steps) {
  Append(nlohmann::json{{"type", "topics_converged"},
                        {"step", step},
                        {"topic_change_per_100_steps", change_per_100_steps}}
             .dump());
}

void TrainLog::Stop(const std::string& reason, int64_t step, int64_t epochs) {
  Append(nlohmann::json{{"type", "stop"}, {"step", step}, {"epochs", epochs}, {"reason", reason}}
             .dump());
}

std::vector<int64_t> ValidationDocuments(const DocumentRange& range, const TrainConfig& config) {
  std::vector<int64_t> docs;
  for (int64_t g = range.begin(); g < range.end(); ++g) {
    if (IsValidationDocument(range.doc(g).key, config.validation_fraction, config.seed)) {
      docs.push_back(g);
    }
  }
  return docs;
}

ValidationResult Validate(Communicator& comm, const Trainer& trainer, const DocumentRange& range,
                          const std::vector<int64_t>& docs, const Config& config) {
  std::vector<double> sums(3, 0.0);  // ELBO, tokens, documents
  const TopicInference inference(trainer.model());
  const AmortizedOptions options = AmortizedOptionsFrom(config);
  constexpr size_t kChunk = 2000;
  BowMatrix chunk;
  for (size_t begin = 0; begin < docs.size(); begin += kChunk) {
    const std::vector<int64_t> part(docs.begin() + begin,
                                    docs.begin() + std::min(docs.size(), begin + kChunk));
    GatherDocuments(range, part, chunk);
    const InferenceResult r = inference.Amortized(chunk.view(), options);
    for (double e : r.elbo) sums[0] += e;
    for (uint32_t c : chunk.view().counts) sums[1] += c;
    sums[2] += static_cast<double>(part.size());
  }
  comm.AllReduceSum(sums);
  ValidationResult v;
  v.documents = static_cast<int64_t>(sums[2]);
  if (sums[1] > 0) v.elbo_per_token = sums[0] / sums[1];
  if (sums[2] > 0) v.mean_elbo = sums[0] / sums[2];
  if (!std::isfinite(v.elbo_per_token)) {
    throw NumericalError("validation ELBO is not finite at step " + std::to_string(trainer.step()));
  }
  return v;
}

std::string CheckpointMetadata(const TrainProgress& state, const Trainer& trainer,
                               const CorpusLayout& layout, const StageContext& ctx, bool complete) {
  const ModelOptions& m = trainer.model().options();
  return nlohmann::json{
      {"complete", complete},
      {"step", trainer.step()},
      {"epoch", state.epoch},
      {"next_batch", state.next_batch},
      {"best_validation", std::isfinite(state.best_validation) ? state.best_validation : -1e300},
      {"epochs_without_improvement", state.epochs_without_improvement},
      {"last_validation_step", state.last_validation_step},
      {"learning_rate", trainer.learning_rate()},
      {"vocab_checksum", ChecksumHex(layout.vocab.checksum)},
      {"vocab_size", m.vocab_size},
      {"num_topics", m.num_topics},
      {"decoder", m.decoder == DecoderKind::kLda ? "lda" : "prodlda"},
      {"corpus_documents", layout.total_docs},
      {"batch_size", ctx.config.train.batch_size},
      {"seed", ctx.config.train.seed},
      {"ranks", ctx.comm.size()}}
      .dump(2);
}

TrainProgress ResumeState(const std::string& metadata_json, const std::string& file,
                          const CorpusLayout& layout, const Config& config) {
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(metadata_json);
    TrainProgress s;
    s.epoch = meta.at("epoch");
    s.next_batch = meta.at("next_batch");
    s.best_validation = meta.at("best_validation");
    s.epochs_without_improvement = meta.at("epochs_without_improvement");
    s.last_validation_step = meta.value("last_validation_step", int64_t{0});
    s.learning_rate = meta.at("learning_rate");
    if (meta.at("vocab_checksum") != ChecksumHex(layout.vocab.checksum)) {
      throw InputError(file + ": checkpoint was trained on a different vocabulary than " +
                       layout.dir.string());
    }
    if (meta.at("corpus_documents") != layout.total_docs ||
        meta.at("batch_size") != config.train.batch_size || meta.at("seed") != config.train.seed) {
      throw InputError(file +
                       ": the corpus, train.batch_size or train.seed changed since the "
                       "checkpoint; the batch plan would differ");
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file + ": checkpoint metadata is invalid (" + std::string(e.what()) + ")");
  }
}

namespace {

template <typename T>
void NoteChange(std::vector<std::string>& changed, const char* key, const T& checkpoint,
                const T& config) {
  if (checkpoint == config) return;
  std::ostringstream text;
  text << key << " (checkpoint " << checkpoint << ", config " << config << ")";
  changed.push_back(text.str());
}

}  // namespace

std::vector<std::string> ChangedSinceCheckpoint(const Trainer& trainer, const Config& config) {
  const ModelOptions& m = trainer.model().options();
  const TrainOptions& t = trainer.options();
  const auto& c = config.model;
  std::vector<std::string> changed;
  NoteChange(changed, "model.num_topics", m.num_topics, c.num_topics);
  NoteChange(changed, "model.hidden", m.hidden_units, c.hidden);
  NoteChange<std::string>(changed, "model.decoder",
                          m.decoder == DecoderKind::kLda ? "lda" : "prodlda", c.decoder);
  NoteChange(changed, "model.dropout", m.dropout, c.dropout);
  NoteChange(changed, "model.alpha", m.alpha, c.alpha);
  NoteChange(changed, "model.decoder_init_scale", m.decoder_init_scale, c.decoder_init_scale);
  NoteChange(changed, "train.learning_rate", t.adam.learning_rate, config.train.learning_rate);
  NoteChange(changed, "train.beta1", t.adam.beta1, config.train.beta1);
  NoteChange(changed, "train.beta2", t.adam.beta2, config.train.beta2);
  NoteChange(changed, "train.clip_norm", t.clip_norm, config.train.clip_norm);
  return changed;
}

void CompareParameterChecksums(Communicator& comm, std::span<const float> params, int64_t step) {
  const uint64_t h = ChecksumBytes(std::as_bytes(params));
  const auto hi = static_cast<int64_t>(h >> 32), lo = static_cast<int64_t>(h & 0xFFFFFFFFu);
  std::vector<int64_t> v = {hi, lo, -hi, -lo};
  comm.AllReduceMax(v);
  if (v[0] != -v[2] || v[1] != -v[3]) {
    throw NumericalError("parameters differ between ranks at step " + std::to_string(step) +
                         " (checksum mismatch): the ranks no longer train the same model");
  }
}

StepAgreement AgreeAfterStep(Communicator& comm, bool wants_to_stop, bool wants_checkpoint) {
  std::vector<int64_t> flags = {wants_to_stop ? 1 : 0, wants_checkpoint ? 1 : 0};
  comm.AllReduceMax(flags);
  return {flags[0] != 0, flags[1] != 0};
}

void WriteGapReference(Communicator& comm, const Model& model, const DocumentRange& range,
                       const std::vector<int64_t>& docs, const CorpusLayout& layout,
                       const Config& config, const std::filesystem::path& model_dir) {
  const TrainConfig& t = config.train;
  if (t.drift_reference_docs <= 0) return;
  std::vector<uint64_t> keys;
  for (int64_t g : docs) keys.push_back(range.doc(g).key);
  GapReference reference;
  const std::vector<uint8_t> chosen =
      SelectSample(comm, keys, t.drift_reference_docs, t.seed, &reference.held_out_documents);
  if (reference.held_out_documents == 0) return;
  std::vector<int64_t> sample;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (chosen[i]) sample.push_back(docs[i]);
  }
  reference.settings = GapSettingsFrom(config);
  const TopicInference inference(model);
  std::vector<double> local;
  constexpr size_t kChunk = 256;
  BowMatrix chunk;
  for (size_t begin = 0; begin < sample.size(); begin += kChunk) {
    GatherDocuments(
        range, {sample.begin() + begin, sample.begin() + std::min(sample.size(), begin + kChunk)},
        chunk);
    const std::vector<double> gaps = DocumentGaps(inference, chunk.view(), reference.settings);
    local.insert(local.end(), gaps.begin(), gaps.end());
  }
  reference.gaps = GatherSorted(comm, local);
  if (!comm.is_root()) return;
  reference.model_checksum = ChecksumHex(ChecksumFile(model_dir / "model.bin"));
  reference.corpus_manifest = ChecksumHex(ChecksumFile(layout.dir / "manifest.json"));
  reference.validation_fraction = t.validation_fraction;
  reference.split_seed = t.seed;
  reference.requested = t.drift_reference_docs;
  reference.sample_seed = t.seed;
  AtomicFileWriter out(model_dir / kGapReferenceFile);
  out.Write(GapReferenceJson(reference));
  out.Commit();
  NTM_LOG(kInfo) << "train: gap reference of " << reference.gaps.size() << " of "
                 << reference.held_out_documents << " held-out documents in "
                 << (model_dir / kGapReferenceFile).string();
}

void CopyModelBundleFiles(const std::filesystem::path& corpus_dir,
                          const std::filesystem::path& model_dir) {
  // The corpus's config.yaml holds the tokenize and vocab settings that raw
  // text must be scored with; it becomes tokenizer_config.yaml in the bundle.
  for (auto [name, target] :
       {std::pair{"vocab.tsv", "vocab.tsv"}, std::pair{"tokenizer.model", "tokenizer.model"},
        std::pair{"config.yaml", "tokenizer_config.yaml"}}) {
    const auto from = corpus_dir / name;
    if (!std::filesystem::exists(from)) continue;
    std::ifstream in(from, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw IoError("reading " + from.string());
    AtomicFileWriter out(model_dir / target);
    out.Write(bytes);
    out.Commit();
  }
}

}  // namespace ntm
