// Counter-based random numbers: every stream is a pure function of a few
// 64-bit words (seed, step, document key, purpose), so a document's dropout
// mask and noise never depend on which rank or thread handles it, nor on the
// other documents in its batch.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>

namespace ntm {

// What a stream is used for; keeps the streams of one document independent.
enum class RngPurpose : uint64_t {
  kInit = 1,            // parameter initialisation
  kDropout = 2,         // training dropout masks
  kTrainNoise = 3,      // training reparameterisation noise
  kStatsDropout = 4,    // dropout of the statistics-only pass
  kStatsNoise = 5,      // noise of the statistics-only pass
  kInferenceDraws = 6,  // common random draws of the inference methods
  kThinning = 7,        // which training notes are thinned, and their tokens
};

// SplitMix64 finaliser: a bijective 64-bit hash with good avalanche.
inline uint64_t Mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A SplitMix64 sequence whose start is a hash of (seed, a, b, purpose).
class CounterRng {
 public:
  // Stream for `purpose` under `seed`, indexed by two words (e.g. step, key).
  CounterRng(uint64_t seed, uint64_t a, uint64_t b, RngPurpose purpose)
      : state_(Mix64(Mix64(Mix64(Mix64(seed) ^ a) ^ b) ^ static_cast<uint64_t>(purpose))) {}

  // Next 64 random bits.
  uint64_t NextU64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Uniform in the open interval (0, 1): safe to take the logarithm of.
  double Uniform() { return (static_cast<double>(NextU64() >> 11) + 0.5) * 0x1.0p-53; }

  // Fills `out` with standard normal draws (Box-Muller, both outputs used).
  template <typename T>
  void FillNormal(std::span<T> out) {
    const size_t n = out.size();
    for (size_t i = 0; i < n; i += 2) {
      const double radius = std::sqrt(-2.0 * std::log(Uniform()));
      const double angle = 2.0 * std::numbers::pi * Uniform();
      out[i] = static_cast<T>(radius * std::cos(angle));
      if (i + 1 < n) out[i + 1] = static_cast<T>(radius * std::sin(angle));
    }
  }

 private:
  uint64_t state_;
};

}  // namespace ntm
