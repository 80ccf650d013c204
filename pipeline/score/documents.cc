#include "pipeline/score/documents.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "libvi/base/errors.h"
#include "pipeline/config/tokenizer_options.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/corpus/term_resolver.h"
#include "pipeline/io/shard.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/runtime/log.h"
#include "tokenizer/document_tokenizer.h"
#include "tokenizer/sampling.h"
#include "tokenizer/vocabulary.h"
#include "tokenizer/work_assignment.h"

namespace ntm {

void LocalDocuments::Place(Communicator& comm) {
  std::vector<int64_t> sizes(comm.size(), 0);
  sizes[comm.rank()] = size();
  comm.AllReduceSum(sizes);
  first_row_ = 0;
  for (int r = 0; r < comm.rank(); ++r) first_row_ += sizes[r];
  total_ = 0;
  for (int64_t s : sizes) total_ += s;
}

namespace {

class CorpusRange final : public LocalDocuments {
 public:
  CorpusRange(Communicator& comm, const std::filesystem::path& dir, uint64_t vocab_checksum)
      : layout_(ReadCorpusLayout(dir)),
        range_(layout_, RankRange(layout_.total_docs, comm.rank(), comm.size()).first,
               RankRange(layout_.total_docs, comm.rank(), comm.size()).second) {
    if (layout_.vocab.checksum != vocab_checksum) {
      throw InputError((dir / "vocab.tsv").string() +
                       ": the corpus was built with a different vocabulary than the model");
    }
  }
  int64_t size() const override { return range_.end() - range_.begin(); }
  void Chunk(int64_t begin, int64_t end, BowMatrix& out) const override {
    out = BowMatrix(range_.vocab_size());
    for (int64_t i = begin; i < end; ++i) {
      const DocView d = range_.doc(range_.begin() + i);
      out.AddDocument(d.terms, d.counts, d.key);
    }
  }
  std::string_view id(int64_t i) const override { return range_.doc_id(range_.begin() + i); }

 private:
  CorpusLayout layout_;
  DocumentRange range_;
};

class TokenizedInput final : public LocalDocuments {
 public:
  explicit TokenizedInput(int32_t vocab_size) : docs_(vocab_size) {}
  void Add(std::string_view id, uint64_t content_hash, const std::vector<TermCount>& row) {
    content_hashes_.push_back(content_hash);
    terms_.clear();
    counts_.clear();
    for (const auto& t : row) terms_.push_back(t.id), counts_.push_back(t.count);
    docs_.AddDocument(terms_, counts_, DocumentKey(id));
    ids_.emplace_back(id);
  }
  int64_t size() const override { return docs_.num_docs(); }
  void Chunk(int64_t begin, int64_t end, BowMatrix& out) const override {
    const BowView all = docs_.view();
    out = BowMatrix(all.vocab_size);
    for (int64_t i = begin; i < end; ++i) {
      const DocView d = all.doc(i);
      out.AddDocument(d.terms, d.counts, d.key);
    }
  }
  std::string_view id(int64_t i) const override { return ids_[i]; }
  uint64_t content_hash(int64_t i) const override { return content_hashes_[i]; }

 private:
  BowMatrix docs_;
  std::vector<uint64_t> content_hashes_;
  std::vector<std::string> ids_;
  std::vector<int32_t> terms_;
  std::vector<uint32_t> counts_;
};

std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(path.string() + ": missing from the model bundle");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::unique_ptr<LocalDocuments> CorpusDocuments(Communicator& comm,
                                                const std::filesystem::path& corpus_dir,
                                                uint64_t model_vocab_checksum) {
  auto docs = std::make_unique<CorpusRange>(comm, corpus_dir, model_vocab_checksum);
  docs->Place(comm);
  return docs;
}

namespace {

Vocabulary BundleVocabulary(const std::filesystem::path& model_dir) {
  const VocabFile vocab_file = ReadVocabFile(model_dir / "vocab.tsv");
  std::vector<TermStats> terms;
  for (size_t i = 0; i < vocab_file.pieces.size(); ++i) {
    terms.push_back({vocab_file.pieces[i], static_cast<int64_t>(vocab_file.df[i]),
                     static_cast<int64_t>(vocab_file.cf[i])});
  }
  return Vocabulary::FromTerms(std::move(terms));
}

// Ascending (id, count) pairs of a document's term ids.
void CountIds(std::vector<int32_t>& ids, std::vector<TermCount>& row) {
  std::sort(ids.begin(), ids.end());
  row.clear();
  for (const int32_t id : ids) {
    if (!row.empty() && row.back().id == id) {
      ++row.back().count;
    } else {
      row.push_back({id, 1});
    }
  }
}

// The SentencePiece model that maps words outside the vocabulary, or "" to
// drop them. A words-mode bundle from before vocab.oov has no tokenizer.model:
// its words outside the vocabulary are dropped, as they were when it was trained.
std::string OovModel(const std::filesystem::path& model_dir, const Config& config) {
  if (!MapsOovThroughPieces(config)) return "";
  if (!std::filesystem::exists(model_dir / "tokenizer.model")) {
    NTM_LOG(kWarn) << (model_dir / "tokenizer.model").string()
                   << " is missing: words outside the vocabulary are dropped";
    return "";
  }
  return ReadBytes(model_dir / "tokenizer.model");
}

// Tokenizes with the bundle's settings: pieces mode encodes every word,
// words mode resolves words against the vocabulary (through pieces when the
// bundle's vocab.oov says so).
class BundleTokenizer {
 public:
  BundleTokenizer(const std::filesystem::path& model_dir, const Config& config,
                  const Vocabulary& vocabulary)
      : pieces_(config.vocab.mode == "pieces"),
        piece_model_(pieces_ ? ReadBytes(model_dir / "tokenizer.model")
                             : OovModel(model_dir, config)),
        tokenizer_(TokenizerOptionsFrom(config)),
        resolver_(vocabulary, pieces_ ? "" : piece_model_, OovMapperOptionsFrom(config)) {
    if (pieces_) tokenizer_.SetPieceModel(piece_model_);
  }
  // The document's (id, count) row; words outside the vocabulary counted in counts().
  const std::vector<TermCount>& Row(std::string_view text) {
    ids_.clear();
    resolver_.ResolveDocument(pieces_ ? tokenizer_.Pieces(text) : tokenizer_.Words(text), ids_);
    CountIds(ids_, row_);
    return row_;
  }
  const TermTokenCounts& counts() const { return resolver_.counts(); }

 private:
  bool pieces_;
  std::string piece_model_;
  DocumentTokenizer tokenizer_;
  TermResolver resolver_;
  std::vector<int32_t> ids_;
  std::vector<TermCount> row_;
};

}  // namespace

std::unique_ptr<LocalDocuments> RawInputDocuments(Communicator& comm, const Config& run_config,
                                                  const std::vector<std::string>& inputs,
                                                  const std::filesystem::path& model_dir,
                                                  const ScoredLedger* already_scored,
                                                  RawInputCounts* counts) {
  CheckInputsReadable(inputs);
  const Config tokenizer_config = LoadConfig((model_dir / "tokenizer_config.yaml").string(), {});
  const Vocabulary vocabulary = BundleVocabulary(model_dir);
  BundleTokenizer tokenizer(model_dir, tokenizer_config, vocabulary);
  ReaderOptions reader_options = ReaderOptionsFrom(tokenizer_config);
  reader_options.database = DatabaseOptionsFrom(run_config);  // what to read is this run's choice
  std::vector<InputSource> sources = ExpandInputs(inputs, reader_options.format);
  OpenDatabaseInputs(comm, sources, reader_options);
  const auto items = AssignWork(sources, comm.rank(), comm.size());
  auto reader = OpenReader(sources, items, reader_options);
  auto docs = std::make_unique<TokenizedInput>(vocabulary.size());
  int64_t without_terms = 0, seen_before = 0;
  for (RawDocument doc; reader->Next(doc);) {
    const uint64_t id_hash = HashId(doc.id), content_hash = HashId(doc.text);
    if (already_scored && already_scored->Contains(id_hash, content_hash)) {
      ++seen_before;
      continue;
    }
    const auto& row = tokenizer.Row(doc.text);
    if (row.empty()) {
      ++without_terms;
      continue;
    }
    docs->Add(doc.id, content_hash, row);
  }
  std::vector<int64_t> total = {without_terms, seen_before};
  const std::vector<int64_t> tokens = tokenizer.counts().Flatten();
  total.insert(total.end(), tokens.begin(), tokens.end());
  comm.AllReduceSum(total);
  counts->skipped = total[0];
  counts->repeated = total[1];
  counts->term_tokens = TermTokenCounts::Unflatten(std::span(total).subspan(2));
  docs->Place(comm);
  return docs;
}

}  // namespace ntm
