// Internal: UAX #29 word spans, from ICU or from the ASCII fast path. Only the
// spans ICU tags with a word status (letters, numbers, ideographs, kana) are
// returned; spaces, punctuation and symbols are the gaps between them.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace ntm {

// A word span [begin, end) in bytes.
struct WordSpan {
  uint32_t begin;
  uint32_t end;
};

// UAX #29 word spans of pure-ASCII `text`, identical to what ICU returns for
// ASCII (checked on the corpora and on random ASCII by the tests): letters
// (with '@', as ICU tailors it), digits and '_' join;
// '.' and '\'' join letters to letters and digits to digits; ',' and ';' join
// digits to digits. ICU does not treat ':' as MidLetter, nor do we, and it
// gives a lone '_' no word status.
void AsciiWordSpans(std::string_view text, std::vector<WordSpan>& spans);

// ICU's word break iterator over UTF-8 text; one per thread.
class IcuWordBreaker {
 public:
  IcuWordBreaker();
  ~IcuWordBreaker();
  // Word spans of valid UTF-8 `text` (shorter than 4 GiB).
  void Spans(std::string_view text, std::vector<WordSpan>& spans);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ntm
