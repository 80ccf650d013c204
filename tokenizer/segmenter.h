// Word segmentation of normalized text: Unicode word boundaries (UAX #29, via
// ICU's word break iterator, or an equivalent ASCII fast path) followed by
// clinical rules. Rules, in the order they are tried at each word:
//  1. de-identification placeholders become one deid_token: "[**...**]"
//     (MIMIC style, up to 256 bytes), a date "<month> <day>[,] <year>"
//     ("January 5, 2010" or the literal "Month DD, YYYY"), and words made of
//     x only ("xxxx", "xx", after case folding);
//  2. dotted abbreviations stay whole: dot-separated segments of 1-3 ASCII
//     letters/digits, each with a letter, the first starting with a letter:
//     two or more with a trailing dot (p.o., q.4h., e.g., b.i.d.) or three or
//     more without (b.i.d); the trailing dot is kept when present;
//  3. numbers: a number expression (digits with inner . , or ', joined by
//     single / - : as in 1,000 3.5 10-20 120/80 2019-01-01 10:30; ordinals
//     like 5th) becomes number_token; a number directly followed by a unit
//     ("10mg", "10 mg", "50%", "5 mg/kg") becomes measure_token;
//  4. hyphenated terms: a letter word joined by single hyphens to letter words
//     or short numbers stays whole (follow-up, non-small-cell, covid-19);
//  5. other words: inner dots split them when split_dotted_words ("pain.the"),
//     a possessive 's is removed, then stop words, words shorter than
//     min_token_length and words with no letter or digit are dropped. Class
//     tokens are never dropped by these filters.
// Stop words, units and months are matched case-insensitively.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// English stop words: scikit-learn's list and NLTK's, 378 words, sorted.
const std::vector<std::string>& EnglishStopWords();
// The built-in clinical stop words (patient, history, mr, ...).
const std::vector<std::string>& ClinicalStopWords();
// The built-in measurement units (mg, ml, mmhg, ...).
const std::vector<std::string>& DefaultUnits();
// Month names and abbreviations recognised in dates, plus "month".
const std::vector<std::string>& MonthNames();

// What happens to numbers and measurements.
enum class NumberMode {
  kClass,  // number_token / measure_token
  kKeep,   // kept as ordinary words (subject to min_token_length)
  kDrop,   // removed
};

// "class", "keep" or "drop" to NumberMode; ConfigError otherwise.
NumberMode ParseNumberMode(std::string_view name);

// Segmentation rules; each can be switched off.
struct SegmenterOptions {
  bool abbreviations = true;                        // keep dotted abbreviations whole (b.i.d.)
  bool hyphenated = true;                           // keep hyphenated terms whole (follow-up)
  bool split_dotted_words = true;                   // split other words at inner dots ("pain.the")
  bool strip_possessive = true;                     // "patient's" -> "patient"
  NumberMode numbers = NumberMode::kClass;          // numbers and measurements
  std::string number_token = "<num>";               // class token of numbers, dates, times
  std::string measure_token = "<measure>";          // class token of number + unit
  std::vector<std::string> units = DefaultUnits();  // units making a measure
  bool deid_placeholders = true;                    // de-identification placeholders -> deid_token
  std::string deid_token = "<deid>";                // class token of placeholders
  // Emit the class tokens above; false: numbers, measures and placeholders are
  // still recognised (a measure still takes its unit) and counted, not emitted.
  bool class_tokens = true;
  bool stop_words = true;                     // drop EnglishStopWords() and ClinicalStopWords()
  std::vector<std::string> extra_stop_words;  // also dropped when stop_words is on
  int min_token_length = 2;                   // shorter words (in code points) are dropped
  bool ascii_fast_path = true;                // UAX #29 without ICU for pure-ASCII text
};

// Checks the options; ConfigError listing every violated constraint.
void ValidateSegmenterOptions(const SegmenterOptions& options);

// Counters of a segmenter, summable across ranks.
struct SegmenterStats {
  int64_t documents = 0;           // texts segmented
  int64_t ascii_documents = 0;     // of which took the ASCII fast path
  int64_t words = 0;               // words output (class tokens included)
  int64_t numbers = 0;             // numbers recognised (number_token, if emitted)
  int64_t measures = 0;            // measures recognised (measure_token, if emitted)
  int64_t deid = 0;                // placeholders recognised (deid_token, if emitted)
  int64_t abbreviations = 0;       // dotted abbreviations kept whole
  int64_t hyphenated = 0;          // hyphenated terms kept whole
  int64_t stop_words_dropped = 0;  // words dropped as stop words
  int64_t short_dropped = 0;       // words dropped by min_token_length
  int64_t symbols_dropped = 0;     // words without a letter or digit ("___")
  int64_t numbers_dropped = 0;     // numbers and measures dropped (NumberMode::kDrop)

  // Adds `other` field by field.
  SegmenterStats& operator+=(const SegmenterStats& other);
};

// Splits normalized text into words. One instance per thread: it reuses one
// ICU break iterator and its buffers; instances share nothing.
class Segmenter {
 public:
  // Builds the lexicon and the break iterator; ConfigError for bad options.
  explicit Segmenter(const SegmenterOptions& options = {});
  ~Segmenter();
  Segmenter(Segmenter&&) noexcept;
  Segmenter& operator=(Segmenter&&) noexcept;

  // Replaces `words` with the words of `text` (valid UTF-8, normally the
  // Normalizer's output). Views point into `text` or at the class-token
  // strings of this segmenter: valid while both live.
  void Segment(std::string_view text, std::vector<std::string_view>& words);

  // The raw UAX #29 word spans [begin, end) of `text` (status not "none"),
  // before any rule: exposed to check the ASCII fast path against ICU.
  void WordSpans(std::string_view text, bool use_icu,
                 std::vector<std::pair<size_t, size_t>>& spans);

  // True for number_token, measure_token and deid_token.
  bool IsClassToken(std::string_view word) const;
  // Counters so far.
  const SegmenterStats& stats() const;
  // The options in use.
  const SegmenterOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ntm
