// libFuzzer target: pipeline/io/vocab_file.h ParseVocabFile. Checks: only
// ntm::Error escapes; an accepted vocabulary has one df and cf per piece, no
// empty or repeated piece, and can be written back (FormatVocabFile throws
// std::invalid_argument on pieces a reader must have rejected) and re-read to
// the same terms.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "libvi/base/errors.h"
#include "pipeline/io/vocab_file.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ntm::VocabFile vocab;
  try {
    vocab = ntm::ParseVocabFile(text, "fuzz.tsv");
  } catch (const ntm::Error&) {
    return 0;
  }
  NTM_FUZZ_CHECK(vocab.pieces.size() == vocab.df.size() && vocab.df.size() == vocab.cf.size(),
                 "one df and cf per piece");
  std::set<std::string_view> seen;
  for (const std::string& piece : vocab.pieces) {
    NTM_FUZZ_CHECK(!piece.empty(), "no empty piece");
    NTM_FUZZ_CHECK(seen.insert(piece).second, "no repeated piece");
  }
  std::string again;
  try {
    again = ntm::FormatVocabFile(vocab);
  } catch (const std::invalid_argument&) {
    NTM_FUZZ_CHECK(false, "a vocabulary ParseVocabFile accepts can be written back");
  }
  ntm::VocabFile reread;
  try {
    reread = ntm::ParseVocabFile(again, "again.tsv");
  } catch (const ntm::Error&) {
    NTM_FUZZ_CHECK(false, "a written vocabulary parses");
  }
  NTM_FUZZ_CHECK(reread.pieces == vocab.pieces && reread.df == vocab.df && reread.cf == vocab.cf,
                 "parse(format(parse(x))) == parse(x)");
  return 0;
}
