// Corpus shards: `shard-NNNNN.bow`, one binary CSR bag-of-words file per slice
// of the corpus, written by `ntm tokenize` and memory-mapped by every later
// stage. The byte layout is specified in docs/shard-format.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libvi/bow.h"

namespace ntm {

// Version written by ShardWriter; readers reject any other.
inline constexpr uint32_t kShardFormatVersion = 1;

// The stable 64-bit key of a document id (XXH3-64 of its bytes): seeds
// per-document randomness so results do not depend on rank or shard layout.
uint64_t DocumentKey(std::string_view doc_id);

// "shard-00003.bow" for index 3 (at least five digits).
std::string ShardFileName(int64_t index);
// The shard files (shard-<digits>.bow) in `dir`, ordered by index.
// MissingInputError if `dir` is not a readable folder.
std::vector<std::filesystem::path> ListShards(const std::filesystem::path& dir);

// Sizes recorded in a shard's header.
struct ShardHeader {
  uint64_t vocab_checksum = 0;  // checksum of the vocab.tsv the shard was built with
  int32_t vocab_size = 0;       // number of terms (columns)
  int64_t num_docs = 0;         // documents (rows)
  int64_t nnz = 0;              // stored (document, term) entries
  uint64_t total_tokens = 0;    // sum of all counts
  uint64_t file_size = 0;       // bytes, trailer included
};

// Reads and checks only the header of a shard (magic, version, section layout
// against the file length): cheap enough to plan work over thousands of shards.
ShardHeader ReadShardHeader(const std::filesystem::path& path);

// Builds one shard in memory, a document at a time, and writes it atomically.
// Memory is bounded by the shard's own size; callers cut shards by
// num_docs() or size_bytes().
class ShardWriter {
 public:
  // A shard to be written to `path` on Finish(), for a vocabulary of
  // `vocab_size` terms whose vocab.tsv has checksum `vocab_checksum`.
  ShardWriter(std::filesystem::path path, int32_t vocab_size, uint64_t vocab_checksum);

  // Appends a document. `terms` ascending, distinct, in [0, vocab_size);
  // `counts` > 0, one per term (std::invalid_argument otherwise: a caller bug).
  // InputError if `doc_id` contains a line break (ids are written one per line
  // to doc_ids.txt). Empty ids and documents without terms are allowed.
  void Add(std::string_view doc_id, std::span<const int32_t> terms,
           std::span<const uint32_t> counts);
  // Writes the file (temporary name, fsync, rename). No Add() afterwards.
  void Finish();

  // Documents added so far.
  int64_t num_docs() const { return static_cast<int64_t>(keys_.size()); }
  // Size in bytes the file would have if finished now.
  uint64_t size_bytes() const;
  // The final file name.
  const std::filesystem::path& path() const { return path_; }

 private:
  void CheckDocument(std::span<const int32_t> terms, std::span<const uint32_t> counts) const;

  std::filesystem::path path_;
  int32_t vocab_size_;
  uint64_t vocab_checksum_;
  uint64_t total_tokens_ = 0;
  bool finished_ = false;
  std::vector<int64_t> offsets_{0};
  std::vector<int32_t> terms_;
  std::vector<uint32_t> counts_;
  std::vector<uint64_t> keys_;
  std::vector<uint64_t> id_offsets_{0};
  std::string id_blob_;
};

// What ShardReader checks beyond magic, version, layout and structure.
struct ShardReadOptions {
  // Recompute the trailing checksum over the whole file (one fast pass).
  bool verify_checksum = true;
  // If set, the vocabulary checksum the shard must have been built with.
  std::optional<uint64_t> expected_vocab_checksum;
};

// A read-only, memory-mapped shard. The constructor validates everything a
// reader relies on, so bow() can be handed to libvi without further checks:
// InputError naming the file for a truncated, corrupted or mismatched shard,
// MissingInputError if it cannot be opened.
class ShardReader {
 public:
  // Maps and validates `path`.
  explicit ShardReader(const std::filesystem::path& path, const ShardReadOptions& options = {});
  ~ShardReader();
  ShardReader(ShardReader&& other) noexcept;
  ShardReader& operator=(ShardReader&& other) noexcept;
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  // The documents, pointing into the mapping (valid while this reader lives).
  const BowView& bow() const { return bow_; }
  // Id of document `d` in [0, num_docs()), pointing into the mapping.
  std::string_view doc_id(int64_t d) const;
  // Number of documents.
  int64_t num_docs() const { return header_.num_docs; }
  // The sizes and checksums from the header.
  const ShardHeader& header() const { return header_; }
  // The file this reader mapped.
  const std::filesystem::path& path() const { return path_; }
  // XXH3-64 of the whole file (what manifest.json records), from the mapping.
  uint64_t FileChecksum() const;

 private:
  void Validate(const ShardReadOptions& options);
  void Unmap();

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  ShardHeader header_;
  BowView bow_;
  std::span<const uint64_t> id_offsets_;
  std::string_view id_blob_;
};

}  // namespace ntm
