// Internal: an open-addressing hash set of strings (XXH3 hashes, linear
// probing, keys packed in one arena). Used for the stop-word lexicon, the
// piece cache and the term counters: lookups take a string_view and never
// allocate, which std::unordered_map<std::string, ...> cannot promise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ntm {

// Maps distinct strings to dense indices 0, 1, 2, ... in insertion order.
class StringTable {
 public:
  // Index of `key`, or -1 when absent.
  int64_t Find(std::string_view key) const;
  // Index of `key`, inserting it if absent; .second is true when inserted.
  std::pair<int64_t, bool> Insert(std::string_view key);
  // The key with index `index` (view invalidated by the next Insert).
  std::string_view Key(int64_t index) const {
    return std::string_view(arena_).substr(offsets_[index], offsets_[index + 1] - offsets_[index]);
  }
  // Number of keys.
  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  // Bytes held by the keys.
  size_t arena_bytes() const { return arena_.size(); }
  // Removes every key (keeps capacity).
  void Clear();
  // Reserves room for `n` keys without rehashing.
  void Reserve(int64_t n);

 private:
  // The key's place in the arena sits in the slot, so a hit costs one slot
  // read and one key compare, without going through offsets_.
  struct Slot {
    uint64_t hash = 0;
    uint64_t offset = 0;  // of the key in arena_
    uint32_t length = 0;  // of the key
    int32_t index = -1;   // -1: empty
  };
  size_t Probe(std::string_view key, uint64_t hash) const;
  void Grow(size_t slot_count);

  std::vector<Slot> slots_;
  std::vector<uint64_t> offsets_{0};
  std::string arena_;
};

}  // namespace ntm
