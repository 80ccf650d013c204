// `ntm score`: topic mixtures of every document with each inference method,
// against the same trained topics. Ranks score their share chunk by chunk and
// write their rows in place (shared_output.h), so outputs are in input order
// whatever P is, and memory is bounded by a chunk. A document's result does
// not depend on P: all randomness is seeded by its id. Timings cover
// inference only (not I/O) and are reported per method and per rank.
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/gap_reference.h"
#include "pipeline/io/model_file.h"
#include "pipeline/io/shard.h"
#include "pipeline/io/shared_output.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/runtime/folder_lock.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/run_info.h"
#include "pipeline/runtime/signals.h"
#include "pipeline/score/documents.h"
#include "pipeline/score/drift.h"
#include "pipeline/score/incremental.h"
#include "pipeline/score/methods.h"
#include "pipeline/score/quality.h"
#include "pipeline/score/results_tables.h"
#include "pipeline/score/scores_folder.h"
#include "pipeline/stages.h"
#include "tokenizer/readers/postgres_connection.h"

namespace ntm {
namespace {

// Documents scored per chunk: bounds memory and keeps chunks cache-friendly.
constexpr int64_t kChunkDocs = 2048;

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

class ScoreRun {
 public:
  ScoreRun(StageContext& ctx, const ScoreArgs& args);
  int Run();

 private:
  void LoadModel();
  void OpenDocuments();
  void PrepareOutput();
  void ScoreChunk(int64_t begin, int64_t end);
  void StopIfSignalled() const;
  void WriteTimings();
  ScoredLedger PrepareIncremental();
  void FinishIncremental();
  void CheckResultsTarget() const;
  void WriteResultsBack();
  void TestForDrift();
  void SplitGapIfTrainingCorpus();

  StageContext& ctx_;
  const ScoreArgs& args_;
  std::filesystem::path out_;
  RunRecorder recorder_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<ScoringMethods> methods_;
  std::unique_ptr<LocalDocuments> docs_;
  RawInputCounts input_;  // raw --input only
  std::unique_ptr<FolderLock> lock_;
  std::unique_ptr<SharedTextFile> ledger_file_;
  std::string dated_folder_;
  std::vector<std::unique_ptr<SharedNpyFile>> theta_files_, elbo_files_;
  std::unique_ptr<SharedTextFile> ids_file_, csv_file_;
  std::unique_ptr<QualityAccumulator> quality_;
  std::vector<double> method_seconds_;
  DriftVerdict drift_;  // --incremental only
};

ScoreRun::ScoreRun(StageContext& ctx, const ScoreArgs& args)
    : ctx_(ctx), args_(args), out_(args.out_dir), recorder_("score", args.out_dir) {}

void ScoreRun::LoadModel() {
  const std::filesystem::path dir(args_.model_dir);
  const ModelFileContents file = ReadModelFile(dir / "model.bin");
  model_ = std::make_unique<Model>(Model::Deserialize(file.state));
  CheckModelMatchesVocabulary(file, *model_, dir / "model.bin", dir / "vocab.tsv");
  const auto names = args_.methods.empty() ? ctx_.config.score.methods : args_.methods;
  methods_ = std::make_unique<ScoringMethods>(*model_, names, ctx_.config);
}

void ScoreRun::OpenDocuments() {
  const uint64_t vocab_checksum = ReadVocabFile(args_.model_dir + "/vocab.tsv").checksum;
  if (!args_.corpus_dir.empty()) {
    docs_ = CorpusDocuments(ctx_.comm, args_.corpus_dir, vocab_checksum);
  } else if (args_.incremental) {
    const ScoredLedger ledger = PrepareIncremental();
    docs_ =
        RawInputDocuments(ctx_.comm, ctx_.config, args_.inputs, args_.model_dir, &ledger, &input_);
  } else {
    docs_ =
        RawInputDocuments(ctx_.comm, ctx_.config, args_.inputs, args_.model_dir, nullptr, &input_);
  }
  if (!args_.inputs.empty()) {
    NTM_LOG(kInfo) << "score: " << input_.term_tokens.Summary();
  }
  if (docs_->total() == 0 && !args_.incremental) throw InputError("no documents to score");
}

// Takes the lock on the scores root, clears what killed runs left, reads the
// ledger and picks the folder this run will write (under a temporary name).
ScoredLedger ScoreRun::PrepareIncremental() {
  const std::filesystem::path root(args_.out_dir);
  std::vector<char> name;
  if (ctx_.comm.is_root()) {
    CreateDirectories(root);
    lock_ = std::make_unique<FolderLock>(root);
    RemoveIncompleteRuns(root);
    const std::string dated = NextDatedFolder(root);
    name.assign(dated.begin(), dated.end());
  }
  ctx_.comm.Broadcast(name, 0);
  dated_folder_.assign(name.begin(), name.end());
  out_ = root / (".incoming-" + dated_folder_);
  return ScoredLedger::Load(root);
}

// Writes the summary and makes the dated folder appear, complete, in one rename.
void ScoreRun::FinishIncremental() {
  if (!ctx_.comm.is_root()) return;
  const nlohmann::json summary = {{"folder", dated_folder_},
                                  {"new_documents", docs_->total()},
                                  {"already_scored", input_.repeated},
                                  {"skipped_without_terms", input_.skipped},
                                  {"term_tokens", input_.term_tokens.Json()},
                                  {"methods", methods_->size()},
                                  {"drift", DriftJson(drift_)}};
  AtomicFileWriter out(out_ / "summary.json");
  out.Write(summary.dump(2) + "\n");
  out.Commit();
  const auto final_dir = std::filesystem::path(args_.out_dir) / dated_folder_;
  std::filesystem::rename(out_, final_dir);
  out_ = final_dir;
}

// Results go back into the database the notes came from.
void ScoreRun::CheckResultsTarget() const {
  if (!ctx_.config.database.write_results) return;
  if (args_.inputs.size() != 1 || !IsPostgresUri(args_.inputs[0])) {
    throw ConfigError("database.write_results needs a database input (--input postgresql://...)");
  }
}

// Rank 0 copies the complete outputs into the tables, in one transaction;
// the other ranks wait, so a failure there ends the whole job.
void ScoreRun::WriteResultsBack() {
  if (ctx_.comm.is_root()) {
    ResultsRun run{args_.inputs[0],
                   args_.model_dir,
                   out_,
                   {},
                   "",
                   ConfigToYaml(ctx_.config, false),
                   recorder_.elapsed_seconds(),
                   ""};
    for (size_t m = 0; m < methods_->size(); ++m) run.methods.push_back(methods_->name(m));
    run.run_id = args_.incremental ? dated_folder_ : std::filesystem::absolute(out_).string();
    if (args_.incremental) run.drift_verdict = DriftJson(drift_).dump();
    const ResultsWritten w = WriteResultsTables(ctx_.config.database, run);
    NTM_LOG(kInfo) << "score: wrote " << w.note_topics << " note mixtures, " << w.topics
                   << " topic terms and " << w.runs << " run row(s) to "
                   << RedactPostgresUri(args_.inputs[0]);
  }
  ctx_.comm.Barrier();
}

// Scoring the corpus the model was trained on (the manifest its gap_reference.json
// names): quality.json splits the gap into training and held-out notes.
void ScoreRun::SplitGapIfTrainingCorpus() {
  const auto reference_path = std::filesystem::path(args_.model_dir) / kGapReferenceFile;
  if (args_.corpus_dir.empty() || !std::filesystem::exists(reference_path)) return;
  const GapReference reference = ReadGapReference(reference_path);
  const auto manifest = std::filesystem::path(args_.corpus_dir) / "manifest.json";
  if (reference.corpus_manifest != ChecksumHex(ChecksumFile(manifest))) return;
  quality_->SplitGapByTraining(reference.validation_fraction, reference.split_seed);
}

// The night's drift verdict (collective); one warning line on a drifting night.
void ScoreRun::TestForDrift() {
  drift_ = NightlyDrift(ctx_.comm, *model_, *docs_, args_.model_dir, ctx_.config.score);
  if (!ctx_.comm.is_root()) return;
  if (!drift_.computed) {
    NTM_LOG(kInfo) << "score: no drift test: " << drift_.reason;
    return;
  }
  if (drift_.night_n == drift_.new_documents && drift_.night_n < drift_.requested) {
    NTM_LOG(kInfo) << "score: drift sample: all " << drift_.night_n
                   << " new notes (fewer than score.drift_sample_docs " << drift_.requested << ")";
  }
  char text[240];
  std::snprintf(text, sizeof text,
                "KS statistic %.4f, p-value %.3g (level %g) over %lld new notes against %lld "
                "held-out notes of the model",
                drift_.ks.statistic, drift_.ks.p_value, drift_.level,
                static_cast<long long>(drift_.night_n), static_cast<long long>(drift_.reference_n));
  if (drift_.drift) {
    NTM_LOG(kWarn) << "score: drift: the amortization gap of tonight's notes differs from the "
                      "model's reference: "
                   << text;
  } else {
    NTM_LOG(kInfo) << "score: no drift: " << text;
  }
}

// Creates the folder; a plain (not incremental) run claims it: a folder
// holding another model's or corpus's scores is refused.
void ScoreRun::PrepareOutput() {
  if (ctx_.comm.is_root()) {
    CreateDirectories(out_);
    if (!args_.incremental) {
      std::vector<std::string> names;
      for (size_t m = 0; m < methods_->size(); ++m) names.push_back(methods_->name(m));
      ClaimScoresFolder(
          out_, DescribeScoresSource(args_.model_dir, args_.corpus_dir, args_.inputs, ctx_.config),
          names);
    }
  }
  ctx_.comm.Barrier();
}

// SIGTERM (a batch job's time limit) ends scoring between chunks with exit 75;
// nothing incomplete is left under a final name.
void ScoreRun::StopIfSignalled() const {
  if (!StopRequested()) return;
  throw TemporaryError(
      "stopped by a signal before the scores were complete; nothing of this run is under a "
      "final name: rerun ntm score");
}

void ScoreRun::ScoreChunk(int64_t begin, int64_t end) {
  BowMatrix chunk;
  docs_->Chunk(begin, end, chunk);
  const BowView view = chunk.view();
  const int64_t row = docs_->first_row() + begin;
  std::vector<MethodResult> results;
  for (size_t m = 0; m < methods_->size(); ++m) {
    StopIfSignalled();
    results.push_back(methods_->Run(m, view, &method_seconds_[m]));
    theta_files_[m]->WriteRows(row, std::as_bytes(std::span(results.back().theta)));
    elbo_files_[m]->WriteRows(row, std::as_bytes(std::span(results.back().elbo)));
  }
  quality_->AddChunk(view, results);
  std::string ids, csv;
  const int32_t k = model_->options().num_topics;
  for (int64_t d = 0; d < view.num_docs(); ++d) {
    const std::string_view id = docs_->id(begin + d);
    (ids += id) += '\n';
    uint64_t tokens = 0;
    for (uint32_t c : view.doc(d).counts) tokens += c;
    csv += CsvField(id) + "," + std::to_string(tokens);
    for (const auto& r : results) {
      const float* theta = r.theta.data() + d * k;
      const int32_t top = static_cast<int32_t>(std::max_element(theta, theta + k) - theta);
      char fields[96];
      std::snprintf(fields, sizeof fields, ",%d,%.4f,%.3f", top, theta[top], r.elbo[d]);
      csv += fields;
    }
    csv += '\n';
  }
  ids_file_->Append(ids);
  csv_file_->Append(csv);
  if (ledger_file_) {
    std::string lines;
    for (int64_t d = 0; d < view.num_docs(); ++d) {
      lines += LedgerLine(DocumentKey(docs_->id(begin + d)), docs_->content_hash(begin + d));
    }
    ledger_file_->Append(lines);
  }
}

void ScoreRun::WriteTimings() {
  const int p = ctx_.comm.size(), r = ctx_.comm.rank();
  nlohmann::json methods = nlohmann::json::object();
  for (size_t m = 0; m < methods_->size(); ++m) {
    std::vector<double> per_rank(2 * p, 0.0);  // seconds, documents
    per_rank[2 * r] = method_seconds_[m];
    per_rank[2 * r + 1] = static_cast<double>(docs_->size());
    ctx_.comm.AllReduceSum(per_rank);
    double wall = 0;
    std::vector<double> rates;
    for (int q = 0; q < p; ++q) {
      wall = std::max(wall, per_rank[2 * q]);
      rates.push_back(per_rank[2 * q] > 0 ? per_rank[2 * q + 1] / per_rank[2 * q] : 0.0);
    }
    const double docs = static_cast<double>(docs_->total());
    methods[methods_->name(m)] = {{"documents", docs_->total()},
                                  {"wall_seconds", wall},
                                  {"documents_per_second", wall > 0 ? docs / wall : 0.0},
                                  {"ranks", p},
                                  {"per_rank_documents_per_second", rates}};
  }
  if (!ctx_.comm.is_root()) return;
  AtomicFileWriter out(out_ / "timings.json");
  out.Write(nlohmann::json{{"methods", methods}}.dump(2) + "\n");
  out.Commit();
}

int ScoreRun::Run() {
  if (args_.incremental && args_.inputs.empty()) {
    throw ConfigError("--incremental scores raw notes: give --input, not --corpus");
  }
  CheckResultsTarget();
  InstallStopHandlers();
  LoadModel();
  OpenDocuments();
  if (args_.incremental && docs_->total() == 0) {
    NTM_LOG(kInfo) << "score --incremental: nothing new (" << input_.repeated
                   << " documents already scored)";
    return 0;
  }
  PrepareOutput();
  if (args_.incremental || ctx_.config.database.write_results) {
    ledger_file_ = std::make_unique<SharedTextFile>(ctx_.comm, out_ / "scored.tsv", "");
  }
  const int64_t total = docs_->total(), k = model_->options().num_topics;
  for (size_t m = 0; m < methods_->size(); ++m) {
    const std::string name = methods_->name(m);
    theta_files_.push_back(std::make_unique<SharedNpyFile>(
        ctx_.comm, out_ / ("theta-" + name + ".npy"), "<f4", total, k));
    elbo_files_.push_back(std::make_unique<SharedNpyFile>(
        ctx_.comm, out_ / ("elbo-" + name + ".npy"), "<f8", total, 0));
  }
  std::string header = "doc_id,tokens";
  for (size_t m = 0; m < methods_->size(); ++m) {
    const std::string& n = methods_->name(m);
    header += "," + n + "_top_topic," + n + "_top_weight," + n + "_elbo";
  }
  ids_file_ = std::make_unique<SharedTextFile>(ctx_.comm, out_ / "doc_ids.txt", "");
  csv_file_ = std::make_unique<SharedTextFile>(ctx_.comm, out_ / "scores.csv", header + "\n");
  quality_ = std::make_unique<QualityAccumulator>(*methods_, *model_, ctx_.config);
  SplitGapIfTrainingCorpus();
  method_seconds_.assign(methods_->size(), 0.0);
  ProgressReporter progress("scoring", docs_->size(), "docs", ctx_.comm.is_root(),
                            ctx_.config.log.progress_seconds);
  for (int64_t begin = 0; begin < docs_->size(); begin += kChunkDocs) {
    ScoreChunk(begin, std::min(docs_->size(), begin + kChunkDocs));
    progress.Update(std::min(docs_->size(), begin + kChunkDocs));
  }
  progress.Finish();
  StopIfSignalled();  // a signal during the last method
  for (auto& f : theta_files_) f->Commit();
  for (auto& f : elbo_files_) f->Commit();
  ids_file_->Commit();
  csv_file_->Commit();
  if (ledger_file_) ledger_file_->Commit();
  WriteTimings();
  nlohmann::json quality =
      quality_->Finish(ctx_.comm, ReadVocabFile(args_.model_dir + "/vocab.tsv"));
  if (!args_.inputs.empty()) quality["input_term_tokens"] = input_.term_tokens.Json();
  if (ctx_.comm.is_root()) {
    AtomicFileWriter out(out_ / "quality.json");
    out.Write(quality.dump(2) + "\n");
    out.Commit();
    recorder_.set_out_dir(out_);
    recorder_.Write(ctx_,
                    {args_.model_dir, args_.corpus_dir.empty() ? "raw input" : args_.corpus_dir});
  }
  if (args_.incremental) TestForDrift();
  if (ctx_.config.database.write_results) WriteResultsBack();
  if (args_.incremental) FinishIncremental();
  NTM_LOG(kInfo) << "score: " << total << " documents with " << methods_->size()
                 << " method(s) into " << out_.string()
                 << (input_.repeated ? "; already scored before: " + std::to_string(input_.repeated)
                                     : "")
                 << (input_.skipped
                         ? "; skipped without vocabulary terms: " + std::to_string(input_.skipped)
                         : "");
  return drift_.drift && ctx_.config.score.drift_exit ? kExitDrift : 0;
}

}  // namespace

int RunScore(StageContext& ctx, const ScoreArgs& args) {
  ScoreRun run(ctx, args);
  return run.Run();
}

}  // namespace ntm
