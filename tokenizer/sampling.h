// Reproducible document sampling for SentencePiece training. A document's
// place in the sample depends only on its id and the seed, never on which rank
// read it, so the sample is the same for any number of ranks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ntm {

// Fast 64-bit hash of a document id (XXH3-64, seed 0); stable across
// platforms and runs. The pipeline uses it to detect duplicate ids.
uint64_t HashId(std::string_view id);

// The sampling key of a document: XXH3-64 of its id with `seed`.
uint64_t SampleKey(std::string_view id, uint64_t seed);

// Bernoulli sampling by hash: true iff SampleKey(id, seed) < fraction * 2^64.
bool InSample(std::string_view id, uint64_t seed, double fraction);

// One sampled document: its key (ordering and tie-breaks) and its sentence.
struct SampleEntry {
  uint64_t key = 0;
  std::string id;        // tie-break when two ids hash to the same key
  std::string sentence;  // normalized words joined by single spaces
};

// Bottom-k sample: keeps the `capacity` entries with the smallest (key, id).
// Each rank fills one, the pipeline gathers Serialize() from every rank and
// merges: the result equals a single-rank sample of the whole corpus.
class SampleReservoir {
 public:
  // Keeps at most `capacity` entries.
  explicit SampleReservoir(size_t capacity);
  // Cheap pre-check: false when a document with this key cannot enter.
  bool WouldAccept(uint64_t key) const;
  // Offers a document; returns true if it was kept (may evict the largest).
  bool Offer(uint64_t key, std::string_view id, std::string_view sentence);
  // Adds every entry of a serialized reservoir (from another rank).
  void MergeSerialized(std::string_view bytes);
  // Bytes for a gather; InputError on Deserialize of anything else.
  std::string Serialize() const;
  // The kept entries sorted by (key, id): the training order.
  std::vector<SampleEntry> SortedEntries() const;
  // Number of entries kept.
  size_t size() const { return heap_.size(); }

 private:
  size_t capacity_;
  std::vector<SampleEntry> heap_;  // max-heap on (key, id)
};

}  // namespace ntm
