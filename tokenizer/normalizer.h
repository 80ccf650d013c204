// Unicode normalization of note text before segmentation: repair of invalid
// UTF-8, NFKC (compatibility forms: "ﬁ" -> "fi", full-width digits -> ASCII)
// and full case folding ("Straße" -> "strasse"), each step switchable.
// Pure-ASCII text takes a fast path (ASCII lower-casing), which gives exactly
// what ICU's NFKC_Casefold gives for ASCII input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ntm {

// Which normalization steps run.
struct NormalizerOptions {
  bool nfkc = true;             // NFKC compatibility normalization
  bool casefold = true;         // Unicode full case folding (with nfkc: ICU NFKC_Casefold)
  bool ascii_fast_path = true;  // skip ICU for pure-ASCII text (same result, much faster)
};

// Counters of a normalizer, summable across ranks.
struct NormalizerStats {
  int64_t documents = 0;              // texts normalized
  int64_t ascii_documents = 0;        // of which took the ASCII fast path
  int64_t invalid_utf8_replaced = 0;  // ill-formed sequences replaced by U+FFFD
  int64_t bytes_in = 0;               // bytes of input text

  // Adds `other` field by field.
  NormalizerStats& operator+=(const NormalizerStats& other);
};

// Normalizes texts; one instance per thread (holds scratch buffers).
class Normalizer {
 public:
  // Looks up the ICU normalizer instances once.
  explicit Normalizer(const NormalizerOptions& options = {});
  ~Normalizer();
  Normalizer(Normalizer&&) noexcept;
  Normalizer& operator=(Normalizer&&) noexcept;

  // Writes the normalized form of `text` to `out` (its capacity is reused).
  void Normalize(std::string_view text, std::string& out);
  // Counters so far.
  const NormalizerStats& stats() const;
  // The options in use.
  const NormalizerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ntm
