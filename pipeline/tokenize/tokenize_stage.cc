// `ntm tokenize`: raw notes -> vocabulary and checksummed bag-of-words shards.
// Each rank reads its share of the inputs (whole files, or line-aligned byte
// ranges of one big file) in three streaming passes:
//   1. ids only (and, for SentencePiece, a bottom-k sample of normalized text
//      by id hash): duplicate ids are resolved over all ranks and the piece
//      model is trained on rank 0 from the merged sample, then broadcast;
//   2. tokenize, count document frequencies, spill documents to a local file;
//   3. after the vocabulary is agreed (counts gathered from every rank and
//      merged in a fixed order), map the spilled documents to term ids (in
//      words mode, words outside the vocabulary through SentencePiece pieces
//      when vocab.oov says so: pipeline/corpus/term_resolver.h) and write
//      this rank's shards.
// Memory is bounded by the sample, the term tables and one shard, never by
// the corpus. The same input, config and P give byte-identical files; the
// vocabulary is the same for any P.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "libvi/base/errors.h"
#include "pipeline/config/tokenizer_options.h"
#include "pipeline/corpus/term_resolver.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/shard.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/run_info.h"
#include "pipeline/stages.h"
#include "pipeline/tokenize/support.h"
#include "tokenizer/piece_display.h"
#include "tokenizer/piece_model.h"
#include "tokenizer/readers/source_reader.h"
#include "tokenizer/sampling.h"
#include "tokenizer/string_table.h"
#include "tokenizer/vocabulary.h"
#include "tokenizer/work_assignment.h"

namespace ntm {
namespace {

// Turns a document's term ids into (id, count) pairs, in order of first
// occurrence, without sorting: a slot per id seen so far remembers where its
// pair is while the document is counted.
class BagOfIds {
 public:
  void Count(std::span<const int32_t> ids, std::vector<std::pair<int32_t, uint32_t>>& row) {
    row.clear();
    for (const int32_t id : ids) {
      if (static_cast<size_t>(id) >= slot_.size()) slot_.resize(static_cast<size_t>(id) + 1, -1);
      int32_t& slot = slot_[static_cast<size_t>(id)];
      if (slot < 0) {
        slot = static_cast<int32_t>(row.size());
        row.emplace_back(id, 1u);
      } else {
        ++row[static_cast<size_t>(slot)].second;
      }
    }
    for (const auto& pair : row) slot_[static_cast<size_t>(pair.first)] = -1;
  }

 private:
  std::vector<int32_t> slot_;  // id -> index in the row being built, or -1
};

// True for a term worth a topic: at least `min_chars` characters besides the
// SentencePiece word-start mark, and a letter or digit among them (class
// tokens such as <num> qualify).
bool IsTopicalTerm(std::string_view term, int min_chars) {
  int chars = 0;
  bool alnum = false;
  for (size_t i = 0; i < term.size(); ++i) {
    const auto c = static_cast<unsigned char>(term[i]);
    if (term.compare(i, 3, "\xE2\x96\x81") == 0) {
      i += 2;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++chars;  // count code points, not bytes
    alnum = alnum || c >= 0x80 || std::isalnum(c);
  }
  return chars >= min_chars && alnum;
}

// One shard file this rank wrote, for the manifest.
struct ShardRecord {
  std::string file;
  int64_t documents = 0;
  int64_t tokens = 0;
  uint64_t checksum = 0;
  int64_t bytes = 0;
};

class TokenizeRun {
 public:
  TokenizeRun(StageContext& ctx, const TokenizeArgs& args);
  int Run();

 private:
  bool TrainsPieces() const;
  void PrepareOutput();
  void RemoveLeftoverShards() const;
  void ReadIdsAndSample();
  std::string TrainPieces(const std::vector<std::string>& sentences) const;
  void TrainOrSkipPieceModel(SampleReservoir& reservoir);
  void TokenizeAndSpill();
  void BuildVocabulary();
  void WriteVocabulary();
  void WriteShards();
  void WriteManifest();
  [[noreturn]] void ThrowEmptyVocabulary(const TermCounter& merged);
  std::unique_ptr<DocumentReader> OpenShare() const;

  StageContext& ctx_;
  const TokenizeArgs& args_;
  const std::filesystem::path out_;
  RunRecorder recorder_;
  std::vector<InputSource> sources_;
  std::vector<WorkItem> items_;
  ReaderOptions reader_options_;
  DocumentTokenizer tokenizer_;
  std::string piece_model_;
  PieceDisplayTable display_;    // rank 0, pieces mode: readable form of each piece
  std::vector<bool> duplicate_;  // by position in this rank's read order
  int64_t duplicates_total_ = 0;
  ReaderStats reader_stats_;
  TermCounter counter_;
  std::filesystem::path spill_path_;
  std::optional<CreatedFolder> out_folder_;  // rank 0
  std::optional<Vocabulary> vocabulary_;
  PruneStats prune_stats_;
  int64_t dropped_fragments_ = 0;
  uint64_t vocab_checksum_ = 0;
  int64_t no_terms_ = 0, oov_only_ = 0, docs_spilled_ = 0;
  TermTokenCounts term_tokens_;  // this rank's spilled tokens by what the vocabulary made of them
  std::vector<ShardRecord> shards_;
};

TokenizeRun::TokenizeRun(StageContext& ctx, const TokenizeArgs& args)
    : ctx_(ctx),
      args_(args),
      out_(args.out_dir),
      recorder_("tokenize", args.out_dir),
      reader_options_(ReaderOptionsFrom(ctx.config)),
      tokenizer_(TokenizerOptionsFrom(ctx.config)),
      spill_path_(out_ / (".spill-rank" + std::to_string(ctx.comm.rank()) + ".tmp")) {}

std::unique_ptr<DocumentReader> TokenizeRun::OpenShare() const {
  return OpenReader(sources_, items_, reader_options_);
}

// Inputs are checked before anything is created, so a typo in a path leaves no output.
void TokenizeRun::PrepareOutput() {
  CheckInputsReadable(args_.inputs);
  sources_ = ExpandInputs(args_.inputs, reader_options_.format);
  OpenDatabaseInputs(ctx_.comm, sources_, reader_options_);
  items_ = AssignWork(sources_, ctx_.comm.rank(), ctx_.comm.size());
  if (ctx_.comm.is_root()) {
    if (std::filesystem::exists(out_ / "manifest.json")) {
      throw OutputError(out_.string() +
                        " already holds a corpus (manifest.json): choose "
                        "another --out or remove it");
    }
    out_folder_.emplace(out_);
    RemoveLeftoverShards();
  }
  ctx_.comm.Barrier();
}

// SentencePiece is trained for pieces mode and, in words mode, for mapping
// out-of-vocabulary words through pieces.
bool TokenizeRun::TrainsPieces() const {
  return ctx_.config.vocab.mode == "pieces" || MapsOovThroughPieces(ctx_.config);
}

// A folder without manifest.json holds no corpus: shards in it are what a
// failed run left (perhaps with another tokenize.docs_per_shard).
void TokenizeRun::RemoveLeftoverShards() const {
  for (const auto& path : ListShards(out_)) {
    NTM_LOG(kWarn) << "removing " << path.string()
                   << ", left by an earlier run that did not finish";
    std::filesystem::remove(path);
  }
}

// "file:line", or "file (byte offset N)" inside a byte range.
std::string DocumentLocation(const RawDocument& doc) {
  return RecordLocation(doc.file, doc.line, doc.offset);
}

void TokenizeRun::ReadIdsAndSample() {
  const bool pieces = TrainsPieces();
  SampleReservoir reservoir(pieces ? static_cast<size_t>(ctx_.config.vocab.sample_docs) : 0);
  std::vector<uint64_t> hashes;
  std::vector<std::string> ids, places;  // only to name a duplicate under "fail"
  const bool keep_ids = ctx_.config.tokenize.duplicate_ids == "fail";
  auto reader = OpenShare();
  std::string sentence;
  for (RawDocument doc; reader->Next(doc);) {
    hashes.push_back(HashId(doc.id));
    if (keep_ids) {
      ids.push_back(doc.id);
      places.push_back(DocumentLocation(doc));
    }
    const uint64_t key = SampleKey(doc.id, ctx_.config.vocab.seed);
    if (pieces && reservoir.WouldAccept(key)) {
      tokenizer_.TrainingSentence(doc.text, sentence);
      reservoir.Offer(key, doc.id, sentence);
    }
  }
  duplicate_ = DuplicateMask(ctx_.comm, hashes, ids, places, ctx_.config.tokenize.duplicate_ids,
                             &duplicates_total_);
  if (pieces) TrainOrSkipPieceModel(reservoir);
}

// Rank 0: the piece model of the merged sample. In words mode a sample
// SentencePiece rejects (e.g. no word in any sampled note) is no reason to
// fail: the words outside the vocabulary are then dropped (vocab_oov "drop").
std::string TokenizeRun::TrainPieces(const std::vector<std::string>& sentences) const {
  const PieceTrainerOptions options = PieceTrainerOptionsFrom(ctx_.config);
  NTM_LOG(kInfo) << "training SentencePiece (" << options.model_type << ", " << options.vocab_size
                 << " pieces) on " << sentences.size() << " documents";
  const auto start = std::chrono::steady_clock::now();
  std::string trained;
  try {
    trained = TrainPieceModel(sentences, options);
  } catch (const InputError& e) {
    if (ctx_.config.vocab.mode == "pieces") throw;
    NTM_LOG(kWarn) << e.what() << ": words outside the vocabulary will be dropped";
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  NTM_LOG(kDebug) << "SentencePiece training took " << took.count() << " s";
  return trained;
}

void TokenizeRun::TrainOrSkipPieceModel(SampleReservoir& reservoir) {
  const std::string mine = reservoir.Serialize();
  const auto all = ctx_.comm.AllGather(std::span<const char>(mine.data(), mine.size()));
  std::vector<char> model;
  if (ctx_.comm.is_root()) {
    SampleReservoir merged(static_cast<size_t>(ctx_.config.vocab.sample_docs));
    for (const auto& part : all) merged.MergeSerialized(std::string_view(part.data(), part.size()));
    std::vector<std::string> sentences;
    for (auto& entry : merged.SortedEntries()) sentences.push_back(std::move(entry.sentence));
    const std::string trained = TrainPieces(sentences);
    model.assign(trained.begin(), trained.end());
    if (ctx_.config.vocab.mode == "pieces") {
      PieceModel trained_model(trained);
      display_ = BuildPieceDisplayTable(sentences, trained_model,
                                        PieceDisplayOptions{ctx_.config.vocab.min_df, 0.5});
    }
  }
  ctx_.comm.Barrier();  // the other ranks wait here idle (not spinning) while rank 0 trains
  ctx_.comm.Broadcast(model, 0);
  piece_model_.assign(model.begin(), model.end());
  if (ctx_.config.vocab.mode == "pieces") tokenizer_.SetPieceModel(piece_model_);
}

void TokenizeRun::TokenizeAndSpill() {
  const bool pieces = ctx_.config.vocab.mode == "pieces";
  auto reader = OpenShare();
  SpillWriter spill(spill_path_);
  std::vector<int32_t> term_ids;
  BagOfIds bag;
  std::vector<std::pair<int32_t, uint32_t>> row;
  ProgressReporter progress("tokenizing", 0, "docs", ctx_.comm.is_root(),
                            ctx_.config.log.progress_seconds);
  size_t position = 0;
  for (RawDocument doc; reader->Next(doc); ++position) {
    if (duplicate_[position]) continue;
    const auto terms = pieces ? tokenizer_.Pieces(doc.text) : tokenizer_.Words(doc.text);
    if (terms.empty()) {
      ++no_terms_;
      continue;
    }
    term_ids.clear();
    counter_.AddDocument(terms, &term_ids);
    bag.Count(term_ids, row);
    spill.Add(doc.id, row);
    ++docs_spilled_;
    if (position % 1024 == 0) progress.Update(static_cast<int64_t>(position));
  }
  spill.Close();
  progress.Finish();
  reader_stats_ = reader->stats();
}

void TokenizeRun::BuildVocabulary() {
  const std::string mine = counter_.Serialize();
  const auto all = ctx_.comm.AllGather(std::span<const char>(mine.data(), mine.size()));
  TermCounter merged;
  for (const auto& part : all) merged.MergeSerialized(std::string_view(part.data(), part.size()));
  PruneOptions prune = PruneOptionsFrom(ctx_.config);
  prune.max_size = 0;  // the size limit applies after dropping fragments, below
  const Vocabulary candidates = Vocabulary::Build(merged, prune);
  prune_stats_ = candidates.prune_stats();
  std::vector<TermStats> kept;
  for (const TermStats& t : candidates.terms()) {
    if (!IsTopicalTerm(t.term, ctx_.config.vocab.min_piece_length)) {
      ++dropped_fragments_;
    } else if (std::ssize(kept) >= ctx_.config.vocab.max_size) {
      ++prune_stats_.dropped_max_size;
    } else {
      kept.push_back(t);
    }
  }
  vocabulary_ = Vocabulary::FromTerms(std::move(kept));
  if (vocabulary_->size() == 0) ThrowEmptyVocabulary(merged);
  WriteVocabulary();
}

// Rank 0 writes vocab.tsv (with readable words in pieces mode: only rank 0
// has the sample they come from) and tells every rank its checksum.
void TokenizeRun::WriteVocabulary() {
  VocabFile file;
  const bool pieces = ctx_.config.vocab.mode == "pieces";
  for (const auto& t : vocabulary_->terms()) {
    file.pieces.push_back(t.term);
    file.df.push_back(static_cast<uint64_t>(t.df));
    file.cf.push_back(static_cast<uint64_t>(t.cf));
    if (pieces && ctx_.comm.is_root()) file.words.push_back(DisplayPiece(t.term, display_));
  }
  std::vector<char> checksum(sizeof vocab_checksum_);
  if (ctx_.comm.is_root()) {
    vocab_checksum_ = WriteVocabFile(out_ / "vocab.tsv", file);
    std::memcpy(checksum.data(), &vocab_checksum_, sizeof vocab_checksum_);
  }
  ctx_.comm.Broadcast(checksum, 0);
  std::memcpy(&vocab_checksum_, checksum.data(), sizeof vocab_checksum_);
  display_.clear();
}

namespace {

// Local term id (this rank's TermCounter index) -> vocabulary id (-1:
// dropped) and what became of the term: its own id, or in words mode with
// vocab.oov "pieces" the vocabulary word it maps to through SentencePiece.
struct LocalTermMap {
  std::vector<int32_t> to_global;
  std::vector<TermFate> fate;
};

LocalTermMap LocalToGlobal(const TermCounter& local, const Vocabulary& vocabulary,
                           const std::string& piece_model, const Config& config) {
  TermResolver resolver(vocabulary, MapsOovThroughPieces(config) ? piece_model : "",
                        OovMapperOptionsFrom(config));
  LocalTermMap map{std::vector<int32_t>(static_cast<size_t>(local.size())),
                   std::vector<TermFate>(static_cast<size_t>(local.size()))};
  for (int64_t i = 0; i < local.size(); ++i) {
    map.to_global[i] = resolver.Resolve(local.Term(i), &map.fate[i]);
  }
  return map;
}

// Maps a spilled row to ascending vocabulary ids, dropping what resolves to
// none and adding up terms mapped onto the same word; counts the tokens by
// fate into `counts` when given.
void MapRow(const std::vector<std::pair<int32_t, uint32_t>>& local, const LocalTermMap& map,
            std::vector<std::pair<int32_t, uint32_t>>& out, TermTokenCounts* counts) {
  out.clear();
  for (const auto& [id, count] : local) {
    if (counts != nullptr) counts->Add(map.fate[id], count);
    if (map.to_global[id] >= 0) out.emplace_back(map.to_global[id], count);
  }
  std::sort(out.begin(), out.end());
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (kept > 0 && out[kept - 1].first == out[i].first) {
      out[kept - 1].second += out[i].second;
    } else {
      out[kept++] = out[i];
    }
  }
  out.resize(kept);
}

// The index of this rank's first shard: shards are numbered in rank order.
int64_t FirstShardIndex(Communicator& comm, int64_t my_docs, int64_t docs_per_shard) {
  std::vector<int64_t> docs(comm.size(), 0);
  docs[comm.rank()] = my_docs;
  comm.AllReduceSum(docs);
  int64_t first = 0;
  for (int r = 0; r < comm.rank(); ++r) first += (docs[r] + docs_per_shard - 1) / docs_per_shard;
  return first;
}

}  // namespace

void TokenizeRun::WriteShards() {
  const LocalTermMap to_global = LocalToGlobal(counter_, *vocabulary_, piece_model_, ctx_.config);
  std::string id;
  std::vector<std::pair<int32_t, uint32_t>> local, row;
  int64_t survivors = 0;
  for (SpillReader count_pass(spill_path_); count_pass.Next(id, local);) {
    MapRow(local, to_global, row, nullptr);
    survivors += !row.empty();
  }
  const int64_t per_shard = ctx_.config.tokenize.docs_per_shard;
  int64_t next_index = FirstShardIndex(ctx_.comm, survivors, per_shard);
  std::optional<ShardWriter> writer;
  std::vector<int32_t> terms;
  std::vector<uint32_t> counts;
  auto finish = [&] {
    writer->Finish();
    shards_.back().checksum = ChecksumFile(writer->path());
    shards_.back().bytes = static_cast<int64_t>(std::filesystem::file_size(writer->path()));
    writer.reset();
  };
  for (SpillReader reader(spill_path_); reader.Next(id, local);) {
    MapRow(local, to_global, row, &term_tokens_);
    if (row.empty()) {
      ++oov_only_;
      continue;
    }
    if (!writer) {
      writer.emplace(out_ / ShardFileName(next_index++), vocabulary_->size(), vocab_checksum_);
      shards_.push_back({writer->path().filename().string(), 0, 0, 0});
    }
    terms.clear();
    counts.clear();
    for (const auto& [t, c] : row)
      terms.push_back(t), counts.push_back(c), shards_.back().tokens += c;
    writer->Add(id, terms, counts);
    if (++shards_.back().documents == per_shard) finish();
  }
  if (writer) finish();
  std::filesystem::remove(spill_path_);
}

namespace {

nlohmann::json CountersJson(const InputCounters& c) {
  nlohmann::json malformed = nlohmann::json::object();
  for (size_t r = 0; r < kMalformedReasonCount; ++r) {
    malformed[std::string(MalformedReasonName(static_cast<MalformedReason>(r)))] = c.malformed[r];
  }
  return {{"records", c.records},
          {"bytes_read", c.bytes_read},
          {"truncated", c.truncated},
          {"empty", c.empty_skipped},
          {"invalid_utf8_replaced", c.invalid_utf8_replaced},
          {"malformed", malformed}};
}

InputCounters SumCounters(Communicator& comm, const InputCounters& local) {
  auto flat = local.Flatten();
  comm.AllReduceSum(flat);
  return InputCounters::Unflatten(flat);
}

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "xxh3:%016llx", static_cast<unsigned long long>(value));
  return text;
}

// A database input has no file to checksum: its bytes are the ids and texts read.
nlohmann::json InputJson(const InputSource& source, const InputCounters& c) {
  if (source.format == InputFormat::kDatabase) {
    return {{"path", source.path}, {"bytes", c.bytes_read}, {"counters", CountersJson(c)}};
  }
  return {{"path", source.path},
          {"bytes", source.size_bytes},
          {"checksum", Hex(ChecksumFile(source.path))},
          {"counters", CountersJson(c)}};
}

nlohmann::json GatherShards(Communicator& comm, const std::vector<ShardRecord>& mine) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : mine) {
    list.push_back({{"file", s.file},
                    {"documents", s.documents},
                    {"tokens", s.tokens},
                    {"bytes", s.bytes},
                    {"checksum", Hex(s.checksum)}});
  }
  const std::string text = list.dump();
  nlohmann::json all = nlohmann::json::array();
  for (const auto& part : comm.AllGather(std::span<const char>(text.data(), text.size()))) {
    for (auto& s : nlohmann::json::parse(part.begin(), part.end())) all.push_back(s);
  }
  return all;
}

}  // namespace

// Collective (every rank finds the vocabulary empty together): names the
// inputs and what was skipped, so a mistyped text_field or an empty file shows.
void TokenizeRun::ThrowEmptyVocabulary(const TermCounter& merged) {
  const InputCounters total = SumCounters(ctx_.comm, reader_stats_.total);
  std::string inputs, skipped;
  for (const auto& path : args_.inputs) inputs += (inputs.empty() ? "" : ", ") + path;
  for (size_t r = 0; r < kMalformedReasonCount; ++r) {
    if (total.malformed[r] == 0) continue;
    skipped += ", " + std::to_string(total.malformed[r]) + " " +
               std::string(MalformedReasonName(static_cast<MalformedReason>(r)));
  }
  if (total.empty_skipped > 0) skipped += ", " + std::to_string(total.empty_skipped) + " empty";
  throw CollectiveStopError(
      "the vocabulary is empty after pruning (" + std::to_string(merged.size()) +
          " candidate terms over " + std::to_string(merged.documents()) + " documents of " +
          inputs + "; " + std::to_string(total.records) +
          " records read, skipped: " + (skipped.empty() ? "none" : skipped.substr(2)) +
          "): check the inputs and tokenize.text_field, or lower vocab.min_df or raise "
          "vocab.max_df",
      kExitDataErr);
}

void TokenizeRun::WriteManifest() {
  const InputCounters total = SumCounters(ctx_.comm, reader_stats_.total);
  std::vector<int64_t> per_source = reader_stats_.FlattenPerSource(std::ssize(sources_));
  ctx_.comm.AllReduceSum(per_source);
  std::vector<int64_t> mine = {no_terms_, oov_only_, docs_spilled_};
  ctx_.comm.AllReduceSum(mine);
  std::vector<int64_t> term_flat = term_tokens_.Flatten();
  ctx_.comm.AllReduceSum(term_flat);
  const TermTokenCounts term_tokens = TermTokenCounts::Unflatten(term_flat);
  auto tok_flat = tokenizer_.stats().Flatten();
  ctx_.comm.AllReduceSum(tok_flat);
  const nlohmann::json shards = GatherShards(ctx_.comm, shards_);
  if (!ctx_.comm.is_root()) return;
  int64_t written = 0, tokens = 0;
  for (const auto& s : shards)
    written += s["documents"].get<int64_t>(), tokens += s["tokens"].get<int64_t>();
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < sources_.size(); ++i) {
    InputCounters c;
    std::array<int64_t, InputCounters::kFlatSize> flat;
    std::copy_n(per_source.begin() + i * flat.size(), flat.size(), flat.begin());
    c = InputCounters::Unflatten(flat);
    inputs.push_back(InputJson(sources_[i], c));
  }
  nlohmann::json tokenizer_stats = nlohmann::json::object();
  const auto names = TokenizerStats::FieldNames();
  for (size_t i = 0; i < names.size(); ++i) tokenizer_stats[std::string(names[i])] = tok_flat[i];
  const nlohmann::json manifest = {
      {"format_version", 1},
      {"inputs", inputs},
      {"documents", {{"read", total.records}, {"written", written}}},
      {"tokens", tokens},
      {"vocab_size", vocabulary_->size()},
      {"vocab_checksum", Hex(vocab_checksum_)},
      {"vocab_mode", ctx_.config.vocab.mode},
      {"vocab_oov", MapsOovThroughPieces(ctx_.config) && !piece_model_.empty() ? "pieces" : "drop"},
      {"term_tokens", term_tokens.Json()},
      {"shards", shards},
      {"rejected",
       {{"malformed", total.malformed_total()},
        {"empty", total.empty_skipped},
        {"duplicate_id", ctx_.config.tokenize.duplicate_ids == "first" ? duplicates_total_ : 0},
        {"no_terms", mine[0]},
        {"no_terms_in_vocabulary", mine[1]}}},
      {"changed",
       {{"truncated", total.truncated},
        {"invalid_utf8_replaced", total.invalid_utf8_replaced},
        {"duplicate_id_kept",
         ctx_.config.tokenize.duplicate_ids == "all" ? duplicates_total_ : 0}}},
      {"counters", CountersJson(total)},
      {"tokenizer", tokenizer_stats},
      {"vocabulary_pruning",
       {{"candidates", prune_stats_.candidates},
        {"dropped_min_df", prune_stats_.dropped_min_df},
        {"dropped_max_df", prune_stats_.dropped_max_df},
        {"dropped_fragments", dropped_fragments_},
        {"dropped_max_size", prune_stats_.dropped_max_size}}}};
  if (!piece_model_.empty()) {
    AtomicFileWriter model(out_ / "tokenizer.model");
    model.Write(piece_model_);
    model.Commit();
  }
  recorder_.Write(ctx_, args_.inputs);
  AtomicFileWriter out(out_ / "manifest.json");
  out.Write(manifest.dump(2) + "\n");
  out.Commit();
  NTM_LOG(kInfo) << "tokenize: " << total.records << " documents read, " << written
                 << " written to " << shards.size() << " shard(s) (" << tokens
                 << " tokens, vocabulary " << vocabulary_->size()
                 << "); rejected: " << total.malformed_total() << " malformed, "
                 << total.empty_skipped << " empty, " << duplicates_total_ << " duplicate id, "
                 << mine[0] + mine[1] << " without terms; changed: " << total.truncated
                 << " truncated, " << total.invalid_utf8_replaced << " invalid UTF-8 replaced";
  NTM_LOG(kInfo) << "tokenize: " << term_tokens.Summary();
}

int TokenizeRun::Run() {
  PrepareOutput();
  struct SpillCleanup {
    std::filesystem::path path;
    ~SpillCleanup() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } cleanup{spill_path_};
  // Debug log: how long each pass takes on each rank (load balance, profiling).
  const auto timed = [this](const char* name, void (TokenizeRun::*pass)()) {
    const auto start = std::chrono::steady_clock::now();
    (this->*pass)();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    NTM_LOG(kDebug) << "tokenize pass '" << name << "' took " << took.count() << " s";
  };
  timed("ids and sample", &TokenizeRun::ReadIdsAndSample);
  timed("tokenize and spill", &TokenizeRun::TokenizeAndSpill);
  timed("vocabulary", &TokenizeRun::BuildVocabulary);
  timed("shards", &TokenizeRun::WriteShards);
  WriteManifest();
  if (out_folder_) out_folder_->Keep();
  return 0;
}

}  // namespace

int RunTokenize(StageContext& ctx, const TokenizeArgs& args) {
  TokenizeRun run(ctx, args);
  return run.Run();
}

}  // namespace ntm
