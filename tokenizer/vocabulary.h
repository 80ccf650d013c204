// Term counting and the pruned vocabulary. Each rank counts its documents in a
// TermCounter, the pipeline gathers Serialize() from every rank and merges;
// counts are integers and the bytes are sorted by term, so the merged counter
// and the vocabulary built from it are identical for any number of ranks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/string_table.h"

namespace ntm {

// A term (piece or word) with its document and corpus frequency.
struct TermStats {
  std::string term;
  int64_t df = 0;  // documents containing it
  int64_t cf = 0;  // occurrences

  // Equality (tests).
  bool operator==(const TermStats&) const = default;
};

// Document and corpus frequencies of every term seen.
class TermCounter {
 public:
  // Counts one document's terms (repeats raise cf, not df). With `indices`,
  // also appends each term's index (see Term()), in the order of `terms`.
  void AddDocument(std::span<const std::string_view> terms,
                   std::vector<int32_t>* indices = nullptr);
  // The term counted under `index` (0 <= index < size()).
  std::string_view Term(int64_t index) const { return table_.Key(index); }
  // Adds another counter's counts.
  void Merge(const TermCounter& other);
  // Adds the counts in Serialize() bytes; InputError if they are damaged.
  void MergeSerialized(std::string_view bytes);
  // Self-checking bytes for a gather: sorted by term, with a checksum.
  std::string Serialize() const;
  // All terms sorted by term bytes.
  std::vector<TermStats> SortedTerms() const;
  // Documents counted.
  int64_t documents() const { return documents_; }
  // Distinct terms.
  int64_t size() const { return table_.size(); }

 private:
  void Add(std::string_view term, int64_t df, int64_t cf);

  struct Counts {
    int64_t df = 0;
    int64_t cf = 0;
    int64_t last_document = -1;  // df counts a term once per document
  };
  StringTable table_;
  std::vector<Counts> counts_;
  int64_t documents_ = 0;
};

// Which terms the vocabulary keeps.
struct PruneOptions {
  int64_t min_df = 5;        // drop terms in fewer documents
  double max_df = 0.5;       // drop terms in more than this share of documents
  int64_t max_size = 20000;  // keep at most this many terms, highest df first (0: no limit)
};

// Checks the options; ConfigError listing every violated constraint.
void ValidatePruneOptions(const PruneOptions& options);

// What pruning removed, for the manifest.
struct PruneStats {
  int64_t candidates = 0;        // distinct terms before pruning
  int64_t dropped_min_df = 0;    // below min_df
  int64_t dropped_max_df = 0;    // above max_df
  int64_t dropped_max_size = 0;  // beyond max_size
};

// The vocabulary: term ids 0..size-1 in order of decreasing df, ties broken by
// term bytes (the order of vocab.tsv).
class Vocabulary {
 public:
  // Prunes a (merged) counter.
  static Vocabulary Build(const TermCounter& counter, const PruneOptions& options);
  // A vocabulary whose ids are the positions in `terms` (as read from
  // vocab.tsv); InputError for an empty or repeated term.
  static Vocabulary FromTerms(std::vector<TermStats> terms);

  // Id of `term`, or -1 when it is not in the vocabulary.
  int32_t Lookup(std::string_view term) const;
  // Number of terms.
  int32_t size() const { return static_cast<int32_t>(terms_.size()); }
  // Terms in id order.
  const std::vector<TermStats>& terms() const { return terms_; }
  // What Build() removed (zero for FromTerms).
  const PruneStats& prune_stats() const { return prune_stats_; }

 private:
  void Index();

  std::vector<TermStats> terms_;
  StringTable index_;  // term -> id (insertion order = id order)
  PruneStats prune_stats_;
};

// One entry of a document's bag of terms.
struct TermCount {
  int32_t id = 0;
  int32_t count = 0;

  // Equality (tests).
  bool operator==(const TermCount&) const = default;
};

// Turns a document's terms into ascending (id, count) pairs: one CSR row.
// Reuses its buffers across documents.
class DocumentTerms {
 public:
  // The row of `terms`; out-of-vocabulary terms are skipped and counted.
  const std::vector<TermCount>& Count(const Vocabulary& vocabulary,
                                      std::span<const std::string_view> terms);
  // Tokens of the last document found in the vocabulary.
  int64_t tokens() const { return tokens_; }
  // Tokens of the last document not in the vocabulary.
  int64_t oov_tokens() const { return oov_tokens_; }

 private:
  std::vector<int32_t> ids_;
  std::vector<TermCount> row_;
  int64_t tokens_ = 0;
  int64_t oov_tokens_ = 0;
};

}  // namespace ntm
