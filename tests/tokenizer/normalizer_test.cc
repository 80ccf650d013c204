// Normalizer and UTF-8 repair: NFKC + case folding, the ASCII fast path
// against ICU, invalid UTF-8 replaced and counted, each step switchable.
#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>

#include "tests/tokenizer/test_util.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

std::string Normalize(std::string_view text, NormalizerOptions options = {}) {
  Normalizer normalizer(options);
  std::string out;
  normalizer.Normalize(text, out);
  return out;
}

TEST(NormalizerTest, NfkcAndCaseFolding) {
  EXPECT_EQ(Normalize("\xEF\xAC\x81nal"), "final");                     // U+FB01 ligature fi
  EXPECT_EQ(Normalize("\xEF\xBC\xA1\xEF\xBC\x91\xEF\xBC\x92"), "a12");  // full-width A12
  EXPECT_EQ(Normalize("Stra\xC3\x9F"
                      "e"),
            "strasse");                                 // sharp s folds to ss
  EXPECT_EQ(Normalize("Cafe\xCC\x81"), "caf\xC3\xA9");  // composed to U+00E9
  EXPECT_EQ(Normalize("\xE2\x85\xAB"), "xii");          // Roman numeral twelve
  EXPECT_EQ(Normalize("MIXED Case"), "mixed case");
}

TEST(NormalizerTest, StepsCanBeTurnedOff) {
  NormalizerOptions fold_only;
  fold_only.nfkc = false;
  // Full-width A folds to full-width a; only NFKC would make it ASCII.
  EXPECT_EQ(Normalize("\xEF\xBC\xA1 ABC", fold_only), "\xEF\xBD\x81 abc");
  NormalizerOptions nfkc_only;
  nfkc_only.casefold = false;
  EXPECT_EQ(Normalize("\xEF\xAC\x81 ABC", nfkc_only), "fi ABC");
  NormalizerOptions none;
  none.nfkc = none.casefold = false;
  EXPECT_EQ(Normalize("\xEF\xAC\x81 ABC", none), "\xEF\xAC\x81 ABC");
}

TEST(NormalizerTest, AsciiFastPathEqualsIcuForEveryAsciiCharacter) {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  NormalizerOptions icu;
  icu.ascii_fast_path = false;
  EXPECT_EQ(Normalize(all), Normalize(all, icu));
  NormalizerOptions icu_no_fold = icu, fast_no_fold;
  icu_no_fold.casefold = fast_no_fold.casefold = false;
  EXPECT_EQ(Normalize(all, fast_no_fold), Normalize(all, icu_no_fold));
}

TEST(NormalizerTest, AsciiFastPathEqualsIcuOnCorpora) {
  NormalizerOptions icu_options;
  icu_options.ascii_fast_path = false;
  Normalizer fast, icu(icu_options);
  std::string a, b;
  int ascii_docs = 0;
  for (const char* corpus : {"mtsamples.jsonl", "medquad.jsonl"}) {
    for (const std::string& text : testing::CorpusTexts(corpus, 300)) {
      fast.Normalize(text, a);
      icu.Normalize(text, b);
      // ASSERT_TRUE, not ASSERT_EQ: a failure must not print corpus text.
      ASSERT_TRUE(a == b) << corpus;
    }
    ascii_docs += static_cast<int>(fast.stats().ascii_documents);
  }
  EXPECT_GT(ascii_docs, 500);  // the fast path was really exercised
  EXPECT_EQ(icu.stats().ascii_documents, 0);
}

TEST(NormalizerTest, InvalidUtf8IsReplacedAndCounted) {
  Normalizer normalizer;
  std::string out;
  normalizer.Normalize(
      "a\xFF"
      "b",
      out);
  EXPECT_EQ(out,
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(normalizer.stats().invalid_utf8_replaced, 1);
  normalizer.Normalize("x\xE2\x82", out);  // truncated 3-byte sequence: one replacement
  EXPECT_EQ(out, "x\xEF\xBF\xBD");
  EXPECT_EQ(normalizer.stats().invalid_utf8_replaced, 2);
}

TEST(Utf8Test, MaximalSubpartsAreReplacedOneEach) {
  std::string out;
  EXPECT_EQ(ReplaceInvalidUtf8("\xC0\xAF", out), 2);          // overlong: two bad bytes
  EXPECT_EQ(ReplaceInvalidUtf8("\xED\xA0\x80", out), 3);      // UTF-16 surrogate
  EXPECT_EQ(ReplaceInvalidUtf8("\xF0\x9F\x98", out), 1);      // truncated 4-byte sequence
  EXPECT_EQ(ReplaceInvalidUtf8("\xF4\x90\x80\x80", out), 4);  // above U+10FFFF
  EXPECT_EQ(ReplaceInvalidUtf8("ok \xF0\x9F\x98\x80", out), 0);
  EXPECT_EQ(out, "ok \xF0\x9F\x98\x80");
  EXPECT_EQ(CountInvalidUtf8("a\x80"
                             "b\xC3"),
            2);
}

TEST(Utf8Test, PrefixNeverSplitsACodePoint) {
  const std::string text = "ab\xC3\xA9\xE2\x82\xAC";  // a b é €
  EXPECT_EQ(Utf8PrefixLength(text, 3), 2u);
  EXPECT_EQ(Utf8PrefixLength(text, 4), 4u);
  EXPECT_EQ(Utf8PrefixLength(text, 6), 4u);
  EXPECT_EQ(Utf8PrefixLength(text, 7), 7u);
  EXPECT_EQ(Utf8Length(text), 4u);
}

}  // namespace
}  // namespace ntm
