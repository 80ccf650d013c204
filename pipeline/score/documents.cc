#include "pipeline/score/documents.h"

#include <fstream>
#include <iterator>

#include "libvi/base/errors.h"
#include "pipeline/config/tokenizer_options.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/io/shard.h"
#include "pipeline/io/vocab_file.h"
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

std::unique_ptr<LocalDocuments> RawInputDocuments(Communicator& comm, const Config& run_config,
                                                  const std::vector<std::string>& inputs,
                                                  const std::filesystem::path& model_dir,
                                                  const ScoredLedger* already_scored,
                                                  int64_t* skipped, int64_t* repeated) {
  CheckInputsReadable(inputs);
  const Config tokenizer_config = LoadConfig((model_dir / "tokenizer_config.yaml").string(), {});
  const VocabFile vocab_file = ReadVocabFile(model_dir / "vocab.tsv");
  std::vector<TermStats> terms;
  for (size_t i = 0; i < vocab_file.pieces.size(); ++i) {
    terms.push_back({vocab_file.pieces[i], static_cast<int64_t>(vocab_file.df[i]),
                     static_cast<int64_t>(vocab_file.cf[i])});
  }
  const Vocabulary vocabulary = Vocabulary::FromTerms(std::move(terms));
  DocumentTokenizer tokenizer(TokenizerOptionsFrom(tokenizer_config));
  const bool pieces = tokenizer_config.vocab.mode == "pieces";
  const std::string piece_model = pieces ? ReadBytes(model_dir / "tokenizer.model") : "";
  if (pieces) tokenizer.SetPieceModel(piece_model);
  ReaderOptions reader_options = ReaderOptionsFrom(tokenizer_config);
  reader_options.database = DatabaseOptionsFrom(run_config);  // what to read is this run's choice
  std::vector<InputSource> sources = ExpandInputs(inputs, reader_options.format);
  OpenDatabaseInputs(comm, sources, reader_options);
  const auto items = AssignWork(sources, comm.rank(), comm.size());
  auto reader = OpenReader(sources, items, reader_options);
  auto docs = std::make_unique<TokenizedInput>(vocabulary.size());
  DocumentTerms counter;
  int64_t without_terms = 0, seen_before = 0;
  for (RawDocument doc; reader->Next(doc);) {
    const uint64_t id_hash = HashId(doc.id), content_hash = HashId(doc.text);
    if (already_scored && already_scored->Contains(id_hash, content_hash)) {
      ++seen_before;
      continue;
    }
    const auto words = pieces ? tokenizer.Pieces(doc.text) : tokenizer.Words(doc.text);
    const auto& row = counter.Count(vocabulary, words);
    if (row.empty()) {
      ++without_terms;
      continue;
    }
    docs->Add(doc.id, content_hash, row);
  }
  std::vector<int64_t> total = {without_terms, seen_before};
  comm.AllReduceSum(total);
  *skipped = total[0];
  *repeated = total[1];
  docs->Place(comm);
  return docs;
}

}  // namespace ntm
