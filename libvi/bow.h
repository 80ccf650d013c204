// Bag-of-words documents in compressed-sparse-row form: the one data type
// shared by the tokenizer's output, the shard files and every libvi method.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ntm {

// Terms and counts of one document (non-owning).
struct DocView {
  std::span<const int32_t> terms;    // distinct term ids, ascending
  std::span<const uint32_t> counts;  // count of each term, > 0
  uint64_t key = 0;                  // stable 64-bit key of the document id
};

// A read-only CSR matrix of documents (rows) by terms (columns).
struct BowView {
  int32_t vocab_size = 0;
  std::span<const int64_t> offsets;  // num_docs + 1 entries, offsets[0] == 0
  std::span<const int32_t> terms;    // offsets.back() entries
  std::span<const uint32_t> counts;  // offsets.back() entries
  std::span<const uint64_t> keys;    // num_docs entries: seeds per document

  // Number of documents (rows).
  int64_t num_docs() const {
    return offsets.empty() ? 0 : static_cast<int64_t>(offsets.size()) - 1;
  }
  // Document `d` in [0, num_docs()).
  DocView doc(int64_t d) const {
    const int64_t b = offsets[d], e = offsets[d + 1];
    return {terms.subspan(b, e - b), counts.subspan(b, e - b), keys[d]};
  }
  // Documents [begin, end) as a view sharing this view's storage.
  BowView rows(int64_t begin, int64_t end) const {
    return {vocab_size, offsets.subspan(begin, end - begin + 1), terms, counts,
            keys.subspan(begin, end - begin)};
  }
};

// An owning CSR matrix, built one document at a time.
class BowMatrix {
 public:
  explicit BowMatrix(int32_t vocab_size = 0) : vocab_size_(vocab_size) {}

  // Appends a document; `terms` must be ascending and distinct.
  void AddDocument(std::span<const int32_t> terms, std::span<const uint32_t> counts, uint64_t key) {
    terms_.insert(terms_.end(), terms.begin(), terms.end());
    counts_.insert(counts_.end(), counts.begin(), counts.end());
    offsets_.push_back(static_cast<int64_t>(terms_.size()));
    keys_.push_back(key);
  }
  // Sets the number of columns (terms).
  void set_vocab_size(int32_t v) { vocab_size_ = v; }
  // Number of documents added so far.
  int64_t num_docs() const { return static_cast<int64_t>(keys_.size()); }
  // A view of all documents; valid until the next AddDocument.
  BowView view() const { return {vocab_size_, offsets_, terms_, counts_, keys_}; }

 private:
  int32_t vocab_size_;
  std::vector<int64_t> offsets_{0};
  std::vector<int32_t> terms_;
  std::vector<uint32_t> counts_;
  std::vector<uint64_t> keys_;
};

}  // namespace ntm
