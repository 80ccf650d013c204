// The documents one rank scores, in global input order: either its range of a
// corpus folder (memory-mapped shards) or its share of raw files tokenized on
// the fly with the model bundle's own tokenizer and vocabulary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libvi/base/communicator.h"
#include "libvi/bow.h"
#include "pipeline/config/config.h"
#include "pipeline/corpus/term_resolver.h"
#include "pipeline/score/incremental.h"

namespace ntm {

// A rank's documents; row r of this rank is global row first_row() + r.
class LocalDocuments {
 public:
  virtual ~LocalDocuments() = default;
  // Documents on this rank.
  virtual int64_t size() const = 0;
  // Copies local documents [begin, end) into `out`.
  virtual void Chunk(int64_t begin, int64_t end, BowMatrix& out) const = 0;
  // Id of local document `i`.
  virtual std::string_view id(int64_t i) const = 0;
  // Checksum of local document `i`'s raw text (0 when read from a corpus).
  virtual uint64_t content_hash(int64_t) const { return 0; }
  // Global row of this rank's first document.
  int64_t first_row() const { return first_row_; }
  // Documents over all ranks.
  int64_t total() const { return total_; }
  // Sets first_row and total from every rank's size (collective).
  void Place(Communicator& comm);

 private:
  int64_t first_row_ = 0;
  int64_t total_ = 0;
};

// This rank's range of a corpus folder; InputError if its vocabulary is not
// the model's (`model_vocab_checksum`).
std::unique_ptr<LocalDocuments> CorpusDocuments(Communicator& comm,
                                                const std::filesystem::path& corpus_dir,
                                                uint64_t model_vocab_checksum);

// What RawInputDocuments left out and counted, summed over ranks.
struct RawInputCounts {
  int64_t skipped = 0;          // documents without any vocabulary term
  int64_t repeated = 0;         // documents in the ledger, not scored again
  TermTokenCounts term_tokens;  // their word tokens by what the vocabulary made of them
};

// This rank's share of raw input files (or of a database input, read as the
// run's `database` section says), tokenized with the model bundle's
// tokenizer settings (tokenizer_config.yaml), tokenizer.model and vocab.tsv,
// words outside the vocabulary resolved as `ntm tokenize` resolves them
// (pipeline/corpus/term_resolver.h). Documents without any vocabulary term
// are left out; so are documents in `already_scored` (if given). Collective.
std::unique_ptr<LocalDocuments> RawInputDocuments(Communicator& comm, const Config& run_config,
                                                  const std::vector<std::string>& inputs,
                                                  const std::filesystem::path& model_dir,
                                                  const ScoredLedger* already_scored,
                                                  RawInputCounts* counts);

}  // namespace ntm
