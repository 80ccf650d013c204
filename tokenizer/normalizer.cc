#include "tokenizer/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/normalizer2.h>

#include "libvi/base/errors.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

void AsciiLower(std::string_view text, std::string& out) {
  out.resize(text.size());
  char* dst = out.data();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    dst[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  }
}

void CheckIcu(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) {
    throw Error(std::string("ICU ") + what + " failed: " + u_errorName(status), kExitSoftware);
  }
}

}  // namespace

NormalizerStats& NormalizerStats::operator+=(const NormalizerStats& other) {
  documents += other.documents;
  ascii_documents += other.ascii_documents;
  invalid_utf8_replaced += other.invalid_utf8_replaced;
  bytes_in += other.bytes_in;
  return *this;
}

struct Normalizer::Impl {
  NormalizerOptions options;
  NormalizerStats stats;
  const icu::Normalizer2* normalizer = nullptr;  // owned by ICU; null: no NFKC
  std::string repaired;

  // Full Unicode path on valid UTF-8 `text`.
  void NormalizeIcu(std::string_view text, std::string& out) const {
    out.clear();
    icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
    UErrorCode status = U_ZERO_ERROR;
    const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
    if (normalizer != nullptr) {
      normalizer->normalizeUTF8(0, piece, sink, nullptr, status);
      CheckIcu(status, "normalization");
    } else if (options.casefold) {
      icu::CaseMap::utf8Fold(0, piece, sink, nullptr, status);
      CheckIcu(status, "case folding");
    } else {
      out.assign(text);
    }
  }
};

Normalizer::Normalizer(const NormalizerOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  UErrorCode status = U_ZERO_ERROR;
  if (options.nfkc && options.casefold) {
    impl_->normalizer = icu::Normalizer2::getNFKCCasefoldInstance(status);
  } else if (options.nfkc) {
    impl_->normalizer = icu::Normalizer2::getNFKCInstance(status);
  }
  CheckIcu(status, "normalizer lookup");
}

Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer&&) noexcept = default;
Normalizer& Normalizer::operator=(Normalizer&&) noexcept = default;

void Normalizer::Normalize(std::string_view text, std::string& out) {
  Impl& m = *impl_;
  ++m.stats.documents;
  m.stats.bytes_in += static_cast<int64_t>(text.size());
  if (m.options.ascii_fast_path && IsAscii(text)) {
    ++m.stats.ascii_documents;
    // NFKC leaves ASCII alone and case folding maps exactly A-Z to a-z.
    if (m.options.casefold)
      AsciiLower(text, out);
    else
      out.assign(text);
    return;
  }
  if (CountInvalidUtf8(text) > 0) {
    m.stats.invalid_utf8_replaced += ReplaceInvalidUtf8(text, m.repaired);
    text = m.repaired;
  }
  m.NormalizeIcu(text, out);
}

const NormalizerStats& Normalizer::stats() const { return impl_->stats; }

const NormalizerOptions& Normalizer::options() const { return impl_->options; }

}  // namespace ntm
