// A corpus folder as `ntm tokenize` writes it, seen by the later stages: the
// vocabulary, the shards in order, and one global document order (shard 0's
// documents, then shard 1's, ...). Each rank maps only the shards that hold
// its range of that order, so data never moves between ranks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "libvi/bow.h"
#include "pipeline/io/shard.h"
#include "pipeline/io/vocab_file.h"

namespace ntm {

// The folder's files and sizes, read from vocab.tsv, manifest.json and the shard headers.
struct CorpusLayout {
  std::filesystem::path dir;
  VocabFile vocab;
  std::vector<std::filesystem::path> shards;  // in manifest.json's order
  std::vector<uint64_t> shard_checksums;      // manifest.json's, checked when a shard is mapped
  std::vector<int64_t> shard_begin;           // global index of each shard's first document
  int64_t total_docs = 0;
};

// Reads vocab.tsv, manifest.json and the header of every shard it lists.
// InputError naming the file when a shard was built with another vocabulary,
// is missing, differs from the manifest (size, documents) or is not listed in
// it; MissingInputError when the folder, vocab.tsv or manifest.json is missing.
CorpusLayout ReadCorpusLayout(const std::filesystem::path& dir);

// The contiguous share [first, second) of `n` items that rank `rank` of `size` owns.
std::pair<int64_t, int64_t> RankRange(int64_t n, int rank, int size);

// Documents [begin, end) of a corpus's global order, memory-mapped.
class DocumentRange {
 public:
  // Maps (and fully verifies, against manifest.json's checksums too) only the
  // shards that overlap [begin, end).
  DocumentRange(const CorpusLayout& layout, int64_t begin, int64_t end);
  // First global index held.
  int64_t begin() const { return begin_; }
  // One past the last global index held.
  int64_t end() const { return end_; }
  // Document at global index `g` in [begin(), end()).
  DocView doc(int64_t g) const;
  // Id of the document at global index `g`.
  std::string_view doc_id(int64_t g) const;
  // Number of terms in the vocabulary.
  int32_t vocab_size() const { return vocab_size_; }

 private:
  std::pair<const ShardReader*, int64_t> Locate(int64_t g) const;

  int64_t begin_, end_;
  int32_t vocab_size_;
  std::vector<ShardReader> readers_;
  std::vector<int64_t> reader_begin_;  // global index of each mapped shard's first doc
};

// Copies the documents with the given global indices into a CSR matrix (a
// minibatch: small, contiguous, cache-friendly for libvi).
void GatherDocuments(const DocumentRange& range, const std::vector<int64_t>& indices,
                     BowMatrix& out);

}  // namespace ntm
