#include "tokenizer/sampling.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "libvi/base/byte_reader.h"
#include "libvi/base/errors.h"

namespace ntm {
namespace {

constexpr std::string_view kReservoirMagic = "NTMSMPL1";

bool EntryLess(const SampleEntry& a, const SampleEntry& b) {
  return a.key != b.key ? a.key < b.key : a.id < b.id;
}

void PutU64(std::string& out, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  out.append(buf, 8);
}

void PutString(std::string& out, std::string_view s) {
  PutU64(out, s.size());
  out.append(s);
}

}  // namespace

uint64_t HashId(std::string_view id) { return XXH3_64bits(id.data(), id.size()); }

uint64_t SampleKey(std::string_view id, uint64_t seed) {
  return XXH3_64bits_withSeed(id.data(), id.size(), seed);
}

bool InSample(std::string_view id, uint64_t seed, double fraction) {
  if (fraction >= 1.0) return true;
  if (fraction <= 0.0) return false;
  const long double threshold = std::ldexp(static_cast<long double>(fraction), 64);
  return static_cast<long double>(SampleKey(id, seed)) < threshold;
}

SampleReservoir::SampleReservoir(size_t capacity) : capacity_(capacity) {}

bool SampleReservoir::WouldAccept(uint64_t key) const {
  if (capacity_ == 0) return false;
  return heap_.size() < capacity_ || key <= heap_.front().key;
}

bool SampleReservoir::Offer(uint64_t key, std::string_view id, std::string_view sentence) {
  if (!WouldAccept(key)) return false;
  SampleEntry entry{key, std::string(id), std::string(sentence)};
  if (heap_.size() == capacity_) {
    if (!EntryLess(entry, heap_.front())) return false;
    std::pop_heap(heap_.begin(), heap_.end(), EntryLess);
    heap_.back() = std::move(entry);
  } else {
    heap_.push_back(std::move(entry));
  }
  std::push_heap(heap_.begin(), heap_.end(), EntryLess);
  return true;
}

std::string SampleReservoir::Serialize() const {
  std::string out(kReservoirMagic);
  PutU64(out, heap_.size());
  for (const SampleEntry& e : heap_) {
    PutU64(out, e.key);
    PutString(out, e.id);
    PutString(out, e.sentence);
  }
  return out;
}

void SampleReservoir::MergeSerialized(std::string_view bytes) {
  if (bytes.substr(0, kReservoirMagic.size()) != kReservoirMagic) {
    throw InputError("sample reservoir bytes: wrong magic");
  }
  ByteReader cursor(bytes.substr(kReservoirMagic.size()), "sample reservoir bytes");
  const auto n = cursor.Get<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    const auto key = cursor.Get<uint64_t>();
    const std::string_view id = cursor.LengthPrefixed();
    Offer(key, id, cursor.LengthPrefixed());
  }
  if (!cursor.AtEnd()) throw InputError("sample reservoir bytes: trailing data");
}

std::vector<SampleEntry> SampleReservoir::SortedEntries() const {
  std::vector<SampleEntry> sorted = heap_;
  std::sort(sorted.begin(), sorted.end(), EntryLess);
  return sorted;
}

}  // namespace ntm
