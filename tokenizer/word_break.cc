#include "tokenizer/word_break.h"

#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <array>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

// UAX #29 Word_Break classes of the ASCII characters that matter.
enum AsciiClass : uint8_t {
  kOther = 0,
  kLetter,     // ALetter: A-Z a-z, and @ in ICU
  kDigit,      // Numeric: 0-9
  kExtend,     // ExtendNumLet: _
  kMidNumLet,  // MidNumLet / Single_Quote: . '
  kMidNum,     // MidNum: , ;
};

constexpr std::array<uint8_t, 256> MakeClassTable() {
  std::array<uint8_t, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kLetter;
  for (int c = '0'; c <= '9'; ++c) table[c] = kDigit;
  table['@'] = kLetter;  // ICU's tailoring: ALetter plus '@' (keeps e-mail addresses whole)
  table['_'] = kExtend;
  table['.'] = kMidNumLet;
  table['\''] = kMidNumLet;
  table[','] = kMidNum;
  table[';'] = kMidNum;
  return table;
}

constexpr std::array<uint8_t, 256> kClass = MakeClassTable();

inline bool IsWordClass(uint8_t c) { return c == kLetter || c == kDigit || c == kExtend; }

// End of the word starting at `i` (text[i] is a letter, digit or '_').
size_t WordEnd(const unsigned char* s, size_t n, size_t i) {
  uint8_t prev = kClass[s[i++]];
  while (i < n) {
    const uint8_t c = kClass[s[i]];
    if (IsWordClass(c)) {  // WB5, WB8-WB10, WB13a/b
      prev = c;
      ++i;
      continue;
    }
    if (i + 1 >= n) break;
    const uint8_t next = kClass[s[i + 1]];
    const bool mid_letter = c == kMidNumLet && prev == kLetter && next == kLetter;  // WB6/7
    const bool mid_num = (c == kMidNumLet || c == kMidNum) && prev == kDigit && next == kDigit;
    if (!mid_letter && !mid_num) break;  // WB11/12 above
    prev = next;
    i += 2;
  }
  return i;
}

}  // namespace

void AsciiWordSpans(std::string_view text, std::vector<WordSpan>& spans) {
  spans.clear();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!IsWordClass(kClass[s[i]])) {
      ++i;
      continue;
    }
    const size_t end = WordEnd(s, n, i);
    // ICU tags a lone "_" with no word status ("__" and longer runs it does).
    if (end - i == 1 && s[i] == '_') {
      ++i;
      continue;
    }
    spans.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end)});
    i = end;
  }
}

struct IcuWordBreaker::Impl {
  std::unique_ptr<icu::BreakIterator> iterator;
  UText text = UTEXT_INITIALIZER;
  ~Impl() { utext_close(&text); }
};

IcuWordBreaker::IcuWordBreaker() : impl_(std::make_unique<Impl>()) {
  UErrorCode status = U_ZERO_ERROR;
  impl_->iterator.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) {
    throw Error(std::string("ICU word break iterator: ") + u_errorName(status), kExitSoftware);
  }
}

IcuWordBreaker::~IcuWordBreaker() = default;

void IcuWordBreaker::Spans(std::string_view text, std::vector<WordSpan>& spans) {
  spans.clear();
  UErrorCode status = U_ZERO_ERROR;
  utext_openUTF8(&impl_->text, text.data(), static_cast<int64_t>(text.size()), &status);
  icu::BreakIterator& it = *impl_->iterator;
  it.setText(&impl_->text, status);
  if (U_FAILURE(status)) {
    throw Error(std::string("ICU word break: ") + u_errorName(status), kExitSoftware);
  }
  int32_t begin = it.first();
  for (int32_t end = it.next(); end != icu::BreakIterator::DONE; begin = end, end = it.next()) {
    if (it.getRuleStatus() != UBRK_WORD_NONE) {
      spans.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
    }
  }
}

}  // namespace ntm
