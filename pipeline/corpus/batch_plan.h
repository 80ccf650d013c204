// Which documents form each global minibatch. The plan depends only on the
// seed, the epoch and the corpus size — never on the number of ranks — so
// P = 1, 2, 3 train on the same batches. It needs O(1) memory: the shuffled
// order is a keyed bijection (a Feistel network with cycle walking), not an
// array of N indices.
#pragma once

#include <cstdint>

namespace ntm {

// A pseudo-random permutation of [0, n), fixed by (seed, epoch).
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t seed, uint64_t epoch);
  // The element at position `i` of the shuffled order; a bijection on [0, n).
  uint64_t operator()(uint64_t i) const;
  // Size of the permuted range.
  uint64_t size() const { return n_; }

 private:
  uint64_t Encrypt(uint64_t x) const;

  uint64_t n_;
  int half_bits_;
  uint64_t half_mask_;
  uint64_t round_keys_[4];
};

// SplitMix64 finaliser: a fast, well-mixed 64-bit hash.
uint64_t Mix64(uint64_t x);

// True if a document belongs to the held-out validation split. Decided by its
// key alone, so the split is the same for any P and any shard layout.
bool IsValidationDocument(uint64_t doc_key, double validation_fraction, uint64_t seed);

}  // namespace ntm
