#include "pipeline/corpus/batch_plan.h"

namespace ntm {

uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Permutation::Permutation(uint64_t n, uint64_t seed, uint64_t epoch) : n_(n) {
  int bits = 2;
  while (bits < 64 && (uint64_t{1} << bits) < n) bits += 2;  // even: two equal halves
  half_bits_ = bits / 2;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  uint64_t state = Mix64(seed ^ Mix64(epoch + 0x51ED270B27ull));
  for (auto& key : round_keys_) key = state = Mix64(state);
}

uint64_t Permutation::Encrypt(uint64_t x) const {
  uint64_t left = x >> half_bits_, right = x & half_mask_;
  for (uint64_t key : round_keys_) {
    const uint64_t next = left ^ (Mix64(right ^ key) & half_mask_);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

uint64_t Permutation::operator()(uint64_t i) const {
  // Cycle walking: re-encrypt until the value falls inside [0, n). The domain
  // is less than 4n, so this takes fewer than 4 rounds on average.
  uint64_t x = Encrypt(i);
  while (x >= n_) x = Encrypt(x);
  return x;
}

bool IsValidationDocument(uint64_t doc_key, double validation_fraction, uint64_t seed) {
  if (validation_fraction <= 0) return false;
  const double u = (Mix64(doc_key ^ Mix64(seed ^ 0x7A11D47Eull)) >> 11) * 0x1.0p-53;
  return u < validation_fraction;
}

}  // namespace ntm
