// Software prefetch for the per-term loops of the encoder and decoder.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ntm {

inline constexpr int64_t kCacheLineBytes = 64;

// Asks the CPU to bring the `count` values at `p` into cache (a hint; no
// effect on results). The per-term loops touch columns of multi-megabyte
// matrices in the order of a document's term ids: fetching the column of a
// term a few terms ahead hides most of the cache-miss latency.
template <typename T>
inline void PrefetchValues(const T* p, int64_t count) {
  const auto* bytes = reinterpret_cast<const char*>(p);
  const int64_t n = count * static_cast<int64_t>(sizeof(T));
  for (int64_t offset = 0; offset < n; offset += kCacheLineBytes) {
    __builtin_prefetch(bytes + offset);
  }
}

// How many terms ahead the per-term loops prefetch.
inline constexpr size_t kPrefetchTerms = 6;

}  // namespace ntm
