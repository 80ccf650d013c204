#include "tokenizer/string_table.h"

#define XXH_INLINE_ALL  // short keys: inlining the hash is most of the lookup cost
#include <xxhash.h>

#include <climits>
#include <cstring>
#include <stdexcept>

namespace ntm {
namespace {

uint64_t Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace

size_t StringTable::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.index < 0) return i;
    if (slot.hash == hash && slot.length == key.size() &&
        std::memcmp(arena_.data() + slot.offset, key.data(), key.size()) == 0) {
      return i;
    }
  }
}

int64_t StringTable::Find(std::string_view key) const {
  if (slots_.empty()) return -1;
  return slots_[Probe(key, Hash(key))].index;
}

std::pair<int64_t, bool> StringTable::Insert(std::string_view key) {
  if (static_cast<size_t>(size() + 1) * 2 > slots_.size()) {
    Grow(slots_.empty() ? 64 : slots_.size() * 2);
  }
  const uint64_t hash = Hash(key);
  Slot& slot = slots_[Probe(key, hash)];
  if (slot.index >= 0) return {slot.index, false};
  if (size() >= INT32_MAX || key.size() >= UINT32_MAX) {
    throw std::length_error("StringTable: too many or too long keys");
  }
  slot.hash = hash;
  slot.offset = arena_.size();
  slot.length = static_cast<uint32_t>(key.size());
  slot.index = static_cast<int32_t>(size());
  arena_.append(key);
  offsets_.push_back(arena_.size());
  return {slot.index, true};
}

void StringTable::Grow(size_t slot_count) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(slot_count, Slot{});
  const size_t mask = slot_count - 1;
  for (const Slot& s : old) {
    if (s.index < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].index >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void StringTable::Reserve(int64_t n) {
  size_t want = 64;
  while (want < static_cast<size_t>(n) * 2) want *= 2;
  if (want > slots_.size()) Grow(want);
}

void StringTable::Clear() {
  for (Slot& s : slots_) s = Slot{};
  offsets_.assign(1, 0);
  arena_.clear();
}

}  // namespace ntm
