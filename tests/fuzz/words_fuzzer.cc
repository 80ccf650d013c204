// libFuzzer target: normalizer + segmenter through DocumentTokenizer::Words
// (tokenizer/document_tokenizer.h) and TrainingSentence, under option
// combinations picked by the first input byte. Checks:
//  - no exception at all (Words is total on any bytes, invalid UTF-8 included);
//  - every word is non-empty valid UTF-8 without tab or line break (words
//    become vocab.tsv pieces, which may hold neither) or ASCII space (words are
//    joined by spaces into SentencePiece training sentences);
//  - on pure-ASCII text the ASCII fast paths give the same words as ICU.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "tokenizer/document_tokenizer.h"

namespace {

using ntm::DocumentTokenizer;
using ntm::TokenizerOptions;

TokenizerOptions OptionsFor(uint8_t flags, bool fast_paths) {
  TokenizerOptions o;
  o.normalize.nfkc = !(flags & 1);
  o.normalize.casefold = !(flags & 2);
  o.segment.abbreviations = !(flags & 4);
  o.segment.hyphenated = !(flags & 8);
  o.segment.stop_words = !(flags & 16);
  o.segment.deid_placeholders = !(flags & 32);
  o.segment.numbers = static_cast<ntm::NumberMode>((flags >> 6) % 3);
  o.segment.min_token_length = (flags & 128) ? 1 : 2;
  o.normalize.ascii_fast_path = fast_paths;
  o.segment.ascii_fast_path = fast_paths;
  return o;
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ntm::fuzz::Bytes in(data, size);
  const uint8_t flags = in.Take();
  const std::string_view text = in.Rest();
  // One tokenizer per option set, reused across inputs (as one rank would).
  static std::unique_ptr<DocumentTokenizer> fast_paths[256], icu_only[256];
  if (!fast_paths[flags]) {
    fast_paths[flags] = std::make_unique<DocumentTokenizer>(OptionsFor(flags, true));
    icu_only[flags] = std::make_unique<DocumentTokenizer>(OptionsFor(flags, false));
  }
  DocumentTokenizer& fast = *fast_paths[flags];
  DocumentTokenizer& slow = *icu_only[flags];
  std::vector<std::string> words;
  for (std::string_view w : fast.Words(text)) {
    NTM_FUZZ_CHECK(!w.empty(), "word is not empty");
    NTM_FUZZ_CHECK(ntm::fuzz::IsValidUtf8(w), "word is valid UTF-8");
    NTM_FUZZ_CHECK(w.find_first_of("\t\r\n ") == std::string_view::npos,
                   "word holds no tab, line break or ASCII space");
    words.emplace_back(w);
  }
  std::string sentence;
  fast.TrainingSentence(text, sentence);
  NTM_FUZZ_CHECK(ntm::fuzz::IsValidUtf8(sentence), "training sentence is valid UTF-8");
  if (IsAscii(text)) {
    const auto icu = slow.Words(text);
    NTM_FUZZ_CHECK(icu.size() == words.size(), "ASCII fast path gives as many words as ICU");
    for (size_t i = 0; i < words.size(); ++i) {
      NTM_FUZZ_CHECK(icu[i] == words[i], "ASCII fast path gives the same words as ICU");
    }
  }
  return 0;
}
