#include "pipeline/corpus/corpus.h"

#include <algorithm>

#include "libvi/base/errors.h"
#include "pipeline/corpus/manifest.h"

namespace ntm {

CorpusLayout ReadCorpusLayout(const std::filesystem::path& dir) {
  CorpusLayout layout;
  layout.dir = dir;
  if (!std::filesystem::is_directory(dir)) {
    throw MissingInputError(dir.string() + ": not a corpus folder (run ntm tokenize first)");
  }
  layout.vocab = ReadVocabFile(dir / "vocab.tsv");
  const std::vector<ManifestShard> listed = ReadManifestShards(dir);
  CheckShardsMatchManifest(dir, listed);
  for (const auto& entry : listed) {
    const std::filesystem::path path = dir / entry.file;
    const ShardHeader header = ReadShardHeader(path);
    if (header.vocab_checksum != layout.vocab.checksum ||
        header.vocab_size != static_cast<int32_t>(layout.vocab.pieces.size())) {
      throw InputError(path.string() + ": built with a different vocabulary than " +
                       (dir / "vocab.tsv").string());
    }
    if (header.num_docs != entry.documents) {
      throw InputError(path.string() + ": " + std::to_string(header.num_docs) +
                       " documents, manifest.json says " + std::to_string(entry.documents));
    }
    layout.shards.push_back(path);
    layout.shard_checksums.push_back(entry.checksum);
    layout.shard_begin.push_back(layout.total_docs);
    layout.total_docs += header.num_docs;
  }
  return layout;
}

std::pair<int64_t, int64_t> RankRange(int64_t n, int rank, int size) {
  const int64_t base = n / size, extra = n % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

DocumentRange::DocumentRange(const CorpusLayout& layout, int64_t begin, int64_t end)
    : begin_(begin), end_(end), vocab_size_(static_cast<int32_t>(layout.vocab.pieces.size())) {
  ShardReadOptions options;
  options.expected_vocab_checksum = layout.vocab.checksum;
  for (size_t s = 0; s < layout.shards.size(); ++s) {
    const int64_t shard_begin = layout.shard_begin[s];
    const int64_t shard_end =
        s + 1 < layout.shards.size() ? layout.shard_begin[s + 1] : layout.total_docs;
    if (shard_end <= begin || shard_begin >= end || shard_begin == shard_end) continue;
    readers_.emplace_back(layout.shards[s], options);
    if (readers_.back().FileChecksum() != layout.shard_checksums[s]) {
      throw InputError(layout.shards[s].string() +
                       ": contents differ from manifest.json's checksum (replaced by another "
                       "shard?)");
    }
    reader_begin_.push_back(shard_begin);
  }
}

std::pair<const ShardReader*, int64_t> DocumentRange::Locate(int64_t g) const {
  const auto it = std::upper_bound(reader_begin_.begin(), reader_begin_.end(), g);
  const size_t r = static_cast<size_t>(it - reader_begin_.begin()) - 1;
  return {&readers_[r], g - reader_begin_[r]};
}

DocView DocumentRange::doc(int64_t g) const {
  auto [reader, local] = Locate(g);
  return reader->bow().doc(local);
}

std::string_view DocumentRange::doc_id(int64_t g) const {
  auto [reader, local] = Locate(g);
  return reader->doc_id(local);
}

void GatherDocuments(const DocumentRange& range, const std::vector<int64_t>& indices,
                     BowMatrix& out) {
  out = BowMatrix(range.vocab_size());
  for (int64_t g : indices) {
    const DocView d = range.doc(g);
    out.AddDocument(d.terms, d.counts, d.key);
  }
}

}  // namespace ntm
