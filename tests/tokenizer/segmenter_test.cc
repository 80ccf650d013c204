// Segmenter: each clinical rule on and off, stop words and minimum length,
// and the ASCII fast path against ICU's word break iterator.
#include "tokenizer/segmenter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/tokenizer/test_util.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

using Words = std::vector<std::string>;

// Words of already-normalized text with the given options.
Words Segment(std::string_view text, const SegmenterOptions& options = {}) {
  Segmenter segmenter(options);
  std::vector<std::string_view> views;
  segmenter.Segment(text, views);
  return Words(views.begin(), views.end());
}

SegmenterOptions NoStopWords() {
  SegmenterOptions o;
  o.stop_words = false;
  return o;
}

TEST(SegmenterTest, DottedAbbreviationsStayWhole) {
  EXPECT_EQ(
      Segment("aspirin p.o. b.i.d. and q.4h. e.g. t.i.d. q.i.d. a.m.", NoStopWords()),
      (Words{"aspirin", "p.o.", "b.i.d.", "and", "q.4h.", "e.g.", "t.i.d.", "q.i.d.", "a.m."}));
  EXPECT_EQ(Segment("given b.i.d"), (Words{"given", "b.i.d"}));  // three segments, no final dot
  EXPECT_EQ(Segment("e.g. is a stop word"), (Words{"stop", "word"}));  // e.g.: clinical stop word
  SegmenterOptions off = NoStopWords();
  off.abbreviations = false;
  EXPECT_EQ(Segment("p.o. b.i.d.", off), Words{});  // split into one-letter words, all too short
  EXPECT_EQ(Segment("q.4h.", off), Words{"<measure>"});  // 4 h(ours)
}

TEST(SegmenterTest, NotAbbreviations) {
  // Long segments, a leading digit, or a missing space between two words.
  EXPECT_EQ(Segment("pain.then is.it 3.5", NoStopWords()),
            (Words{"pain", "then", "is", "it", "<num>"}));
}

TEST(SegmenterTest, HyphenatedTermsStayJoined) {
  EXPECT_EQ(Segment("follow-up x-ray non-small-cell covid-19"),
            (Words{"follow-up", "x-ray", "non-small-cell", "covid-19"}));
  EXPECT_EQ(Segment("well - known"), Words{"known"});  // spaced dash: not a hyphen
  SegmenterOptions off;
  off.hyphenated = false;
  EXPECT_EQ(Segment("follow-up x-ray", off), (Words{"follow", "ray"}));  // "up": stop word
}

TEST(SegmenterTest, NumbersBecomeClassTokens) {
  EXPECT_EQ(Segment("12 3.5 1,000 5th 10-20 120/80 2019-01-01 10:30"), Words(8, "<num>"));
  EXPECT_EQ(Segment("a 5-year-old"), (Words{"<num>", "year-old"}));
  EXPECT_EQ(Segment("3d"), Words{"3d"});  // digits + a non-unit: an ordinary word
}

TEST(SegmenterTest, NumberFollowedByUnitIsOneMeasure) {
  EXPECT_EQ(Segment("10mg 10 mg 5 mg/kg 50% 3.5 cm 120/80 mmHg 10-20 units"),
            Words(7, "<measure>"));
  EXPECT_EQ(Segment("10\nmg"), (Words{"<num>", "mg"}));  // a line break separates them
  SegmenterOptions custom;
  custom.units = {"puffs"};
  custom.number_token = "NUM";
  custom.measure_token = "MEAS";
  EXPECT_EQ(Segment("2 puffs 10 mg", custom), (Words{"MEAS", "NUM", "mg"}));
}

TEST(SegmenterTest, NumberModesKeepAndDrop) {
  SegmenterOptions keep;
  keep.numbers = NumberMode::kKeep;
  EXPECT_EQ(Segment("take 12 tablets 10mg 3.5", keep), (Words{"12", "tablets", "10mg", "3.5"}));
  SegmenterOptions drop;
  drop.numbers = NumberMode::kDrop;
  Segmenter segmenter(drop);
  std::vector<std::string_view> words;
  segmenter.Segment("take 12 tablets 10 mg", words);
  EXPECT_EQ(Words(words.begin(), words.end()), Words{"tablets"});
  EXPECT_EQ(segmenter.stats().numbers_dropped, 2);
}

TEST(SegmenterTest, DeidPlaceholdersBecomeOneToken) {
  EXPECT_EQ(Segment("seen by [**Name**] on [**2019-01-01**] in [**Hospital 12**]"),
            (Words{"seen", "<deid>", "<deid>", "<deid>"}));
  EXPECT_EQ(Segment("xxxx and xx-year-old"), (Words{"<deid>", "<deid>", "year-old"}));
  EXPECT_EQ(Segment("seen on month dd, yyyy for pain"), (Words{"seen", "<deid>", "pain"}));
  EXPECT_EQ(Segment("on january 5, 2010 and march 27 2006"), (Words{"<deid>", "<deid>"}));
  // Not a date: no year.
  EXPECT_EQ(Segment("january 5 visit"), (Words{"january", "<num>", "visit"}));
  SegmenterOptions off;
  off.deid_placeholders = false;
  EXPECT_EQ(Segment("[**doctor**] xxxx january 5, 2010", off),
            (Words{"doctor", "xxxx", "january", "<num>", "<num>"}));
}

TEST(SegmenterTest, DeidWorksWithoutCaseFolding) {
  EXPECT_EQ(Segment("Seen on Month DD, YYYY by XXXX"), (Words{"Seen", "<deid>", "<deid>"}));
}

TEST(SegmenterTest, StopWordsAreDropped) {
  EXPECT_EQ(Segment("the patient has a history of chest pain"), (Words{"chest", "pain"}));
  EXPECT_EQ(Segment("The Patient"), Words{});  // matched case-insensitively
  SegmenterOptions extra;
  extra.extra_stop_words = {"Chest"};
  EXPECT_EQ(Segment("the chest pain", extra), Words{"pain"});
  EXPECT_EQ(Segment("the patient has pain", NoStopWords()),
            (Words{"the", "patient", "has", "pain"}));
}

TEST(SegmenterTest, NltkStopWordsAreDroppedToo) {
  EXPECT_EQ(EnglishStopWords().size(), 378u);  // scikit-learn's 318 and NLTK's 179, merged
  EXPECT_TRUE(std::is_sorted(EnglishStopWords().begin(), EnglishStopWords().end()));
  // NLTK's words that scikit-learn lacks, with straight and typographic apostrophes.
  EXPECT_EQ(Segment("just doing what she did not want, didn't don't didn\xE2\x80\x99t pain"),
            (Words{"want", "pain"}));
}

TEST(SegmenterTest, ClassTokensCanBeLeftOut) {
  SegmenterOptions off;
  off.class_tokens = false;
  Segmenter segmenter(off);
  std::vector<std::string_view> words;
  segmenter.Segment("gave 10 mg at 12 on [**2019-01-01**] xxxx for pain", words);
  EXPECT_EQ(Words(words.begin(), words.end()),
            (Words{"gave", "pain"}));        // the measure took "mg" with it
  EXPECT_EQ(segmenter.stats().measures, 1);  // recognised and counted all the same
  EXPECT_EQ(segmenter.stats().numbers, 1);
  EXPECT_EQ(segmenter.stats().deid, 2);
}

TEST(SegmenterTest, MinimumLengthExemptsClassTokens) {
  EXPECT_EQ(Segment("x ab abc", NoStopWords()), (Words{"ab", "abc"}));
  SegmenterOptions three = NoStopWords();
  three.min_token_length = 3;
  EXPECT_EQ(Segment("x ab abc 7", three), (Words{"abc", "<num>"}));
  SegmenterOptions long_min = NoStopWords();
  long_min.min_token_length = 20;
  EXPECT_EQ(Segment("pain [**name**] 10 mg 4", long_min), (Words{"<deid>", "<measure>", "<num>"}));
  // Length counts code points, not bytes: "é" is one character.
  EXPECT_EQ(Segment("\xC3\xA9 \xC3\xA9t\xC3\xA9", NoStopWords()), Words{"\xC3\xA9t\xC3\xA9"});
}

TEST(SegmenterTest, PunctuationAndSymbolsAreDropped) {
  Segmenter segmenter;
  std::vector<std::string_view> words;
  segmenter.Segment("name: ____ -- ... !!! (pain) ___x___", words);
  EXPECT_EQ(Words(words.begin(), words.end()), (Words{"pain"}));
  EXPECT_GE(segmenter.stats().symbols_dropped, 1);
}

TEST(SegmenterTest, PossessiveIsStripped) {
  EXPECT_EQ(Segment("doctor's office doctor\xE2\x80\x99s"), (Words{"doctor", "office", "doctor"}));
}

TEST(SegmenterTest, NonAsciiTextGoesThroughIcu) {
  Segmenter segmenter;
  std::vector<std::string_view> words;
  segmenter.Segment("na\xC3\xAFve caf\xC3\xA9 10 \xC2\xB5g", words);
  EXPECT_EQ(Words(words.begin(), words.end()),
            (Words{"na\xC3\xAFve", "caf\xC3\xA9", "<num>", "\xC2\xB5g"}));
  EXPECT_EQ(segmenter.stats().ascii_documents, 0);
}

TEST(SegmenterTest, InstancesAreIndependent) {
  Segmenter a, b;
  std::vector<std::string_view> wa, wb;
  const std::string ta = "follow-up chest x-ray", tb = "renal biopsy 10 mg";
  a.Segment(ta, wa);
  b.Segment(tb, wb);
  EXPECT_EQ(Words(wa.begin(), wa.end()), (Words{"follow-up", "chest", "x-ray"}));
  EXPECT_EQ(Words(wb.begin(), wb.end()), (Words{"renal", "biopsy", "<measure>"}));
}

// Random ASCII: half the cases from the characters UAX #29 treats specially,
// half from every ASCII character.
std::string RandomAscii(std::mt19937& rng, bool any_character) {
  static const std::string special = "aZx09_.,;:'\"- \t\r\n/%[]*@#";
  std::uniform_int_distribution<int> any(1, 127), len(0, 40);
  std::uniform_int_distribution<size_t> pick(0, special.size() - 1);
  std::string s(len(rng), ' ');
  for (char& c : s) c = any_character ? static_cast<char>(any(rng)) : special[pick(rng)];
  return s;
}

TEST(SegmenterTest, AsciiWordSpansEqualIcuOnRandomText) {
  Segmenter segmenter;
  std::vector<std::pair<size_t, size_t>> fast, icu;
  std::mt19937 rng(7);
  for (int i = 0; i < 40000; ++i) {
    const std::string text = RandomAscii(rng, i % 2 == 1);
    segmenter.WordSpans(text, false, fast);
    segmenter.WordSpans(text, true, icu);
    ASSERT_EQ(fast, icu) << "synthetic case " << i << ": [" << text << "]";
  }
}

TEST(SegmenterTest, AsciiFastPathEqualsIcuOnCorpora) {
  Normalizer normalizer;
  SegmenterOptions icu_options;
  icu_options.ascii_fast_path = false;
  Segmenter fast, icu(icu_options);
  std::vector<std::pair<size_t, size_t>> fast_spans, icu_spans;
  std::vector<std::string_view> fast_words, icu_words;
  std::string normalized;
  int compared = 0;
  for (const char* corpus : {"mtsamples.jsonl", "medquad.jsonl"}) {
    for (const std::string& text : testing::CorpusTexts(corpus, 400)) {
      normalizer.Normalize(text, normalized);
      if (!IsAscii(normalized)) continue;
      fast.WordSpans(normalized, false, fast_spans);
      fast.WordSpans(normalized, true, icu_spans);
      ASSERT_EQ(fast_spans, icu_spans) << corpus << " document " << compared;
      fast.Segment(normalized, fast_words);
      icu.Segment(normalized, icu_words);
      ASSERT_TRUE(fast_words == icu_words) << corpus << " document " << compared;
      ++compared;
    }
  }
  EXPECT_GT(compared, 700);
}

}  // namespace
}  // namespace ntm
