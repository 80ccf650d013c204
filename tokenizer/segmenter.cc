#include "tokenizer/segmenter.h"

#include <algorithm>
#include <cstring>

#include "libvi/base/errors.h"
#include "tokenizer/string_table.h"
#include "tokenizer/utf8.h"
#include "tokenizer/word_break.h"

namespace ntm {
namespace {

// Lexicon flags of a (lower-cased) word.
enum LexiconFlag : uint8_t { kStop = 1, kUnit = 2, kMonth = 4 };

constexpr size_t kMaxLexiconWord = 64;   // longer list entries are ignored
constexpr size_t kMaxDeidBracket = 256;  // "[**" ... "**]" span, bytes
constexpr size_t kMaxChainNumber = 3;    // digits of a number inside a hyphenated term
constexpr std::string_view kUnicodeHyphen = "\xE2\x80\x90";  // U+2010 (NFKC of U+2011)
constexpr std::string_view kRightQuote = "\xE2\x80\x99";     // U+2019, typographic apostrophe

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiLetter(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool IsAsciiAlnum(char c) { return IsDigit(c) || IsAsciiLetter(c); }
inline bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }
inline bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

// A number span: digits with inner separators only ("1,000", "3.5", "1_2").
bool IsPureNumber(std::string_view w) {
  if (w.empty() || !IsDigit(w[0])) return false;
  for (const char c : w) {
    if (!IsDigit(c) && c != '.' && c != ',' && c != ';' && c != '\'' && c != '_') return false;
  }
  return true;
}

// Length of the leading number of a digit-initial span ("10" in "10mg").
size_t NumberPrefix(std::string_view w) {
  size_t i = 0;
  while (i < w.size() && (IsDigit(w[i]) || ((w[i] == '.' || w[i] == ',') && i + 1 < w.size() &&
                                            IsDigit(w[i + 1])))) {
    ++i;
  }
  return i;
}

bool IsOrdinalSuffix(std::string_view s) {
  return s == "st" || s == "nd" || s == "rd" || s == "th";
}

bool AllX(std::string_view w) {
  if (w.size() < 2) return false;
  for (const char c : w) {
    if ((c | 0x20) != 'x') return false;
  }
  return true;
}

bool HasWordChar(std::string_view w) {
  for (const char c : w) {
    if (IsAsciiAlnum(c) || IsNonAscii(c)) return true;
  }
  return false;
}

// Removes a trailing possessive "'s" or "’s".
std::string_view StripPossessive(std::string_view w) {
  if (w.size() > 2 && (w.ends_with("'s") || w.ends_with("'S"))) return w.substr(0, w.size() - 2);
  if (w.size() > 4 && (w.ends_with("\xE2\x80\x99s") || w.ends_with("\xE2\x80\x99S"))) {
    return w.substr(0, w.size() - 4);
  }
  return w;
}

// "[**...**]" regions (MIMIC de-identification), as sorted byte ranges.
void FindDeidBrackets(std::string_view text, std::vector<WordSpan>& regions) {
  regions.clear();
  size_t pos = 0;
  while ((pos = text.find("[**", pos)) != std::string_view::npos) {
    const size_t close = text.substr(pos + 3, kMaxDeidBracket).find("**]");
    if (close == std::string_view::npos) {
      pos += 3;
      continue;
    }
    const size_t end = pos + 3 + close + 3;
    regions.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(end)});
    pos = end;
  }
}

}  // namespace

NumberMode ParseNumberMode(std::string_view name) {
  if (name == "class") return NumberMode::kClass;
  if (name == "keep") return NumberMode::kKeep;
  if (name == "drop") return NumberMode::kDrop;
  throw ConfigError("numbers must be class, keep or drop, not '" + std::string(name) + "'");
}

void ValidateSegmenterOptions(const SegmenterOptions& o) {
  std::string problems;
  auto check = [&problems](bool ok, const std::string& message) {
    if (!ok) problems += (problems.empty() ? "" : "; ") + message;
  };
  check(o.min_token_length >= 0 && o.min_token_length <= 64, "min_token_length must be in [0, 64]");
  for (const std::string* token : {&o.number_token, &o.measure_token, &o.deid_token}) {
    check(!token->empty() && token->find_first_of(" \t\r\n") == std::string::npos,
          "class tokens must be non-empty and without spaces");
  }
  check(o.number_token != o.measure_token || o.numbers != NumberMode::kClass,
        "number_token and measure_token must differ");
  if (!problems.empty()) throw ConfigError("segmenter options: " + problems);
}

SegmenterStats& SegmenterStats::operator+=(const SegmenterStats& o) {
  documents += o.documents;
  ascii_documents += o.ascii_documents;
  words += o.words;
  numbers += o.numbers;
  measures += o.measures;
  deid += o.deid;
  abbreviations += o.abbreviations;
  hyphenated += o.hyphenated;
  stop_words_dropped += o.stop_words_dropped;
  short_dropped += o.short_dropped;
  symbols_dropped += o.symbols_dropped;
  numbers_dropped += o.numbers_dropped;
  return *this;
}

struct Segmenter::Impl {
  SegmenterOptions options;
  SegmenterStats stats;
  StringTable lexicon;
  std::vector<uint8_t> flags;  // LexiconFlag bits per lexicon index
  size_t longest_word = 0;     // longer words skip the lookup
  IcuWordBreaker icu;
  std::vector<WordSpan> spans;
  std::vector<WordSpan> brackets;
  size_t bracket_cursor = 0;
  std::string_view text;  // the text being segmented
  std::vector<std::string_view>* out = nullptr;

  explicit Impl(const SegmenterOptions& o) : options(o) {
    AddWords(EnglishStopWords(), kStop);
    AddWords(ClinicalStopWords(), kStop);
    AddWords(o.extra_stop_words, kStop);
    AddWords(o.units, kUnit);
    AddWords(MonthNames(), kMonth);
  }

  void AddWords(const std::vector<std::string>& words, uint8_t flag) {
    for (const std::string& word : words) {
      std::string lower = word;
      for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
      if (lower.size() > kMaxLexiconWord) continue;  // could never match
      longest_word = std::max(longest_word, lower.size());
      const auto [index, inserted] = lexicon.Insert(lower);
      if (inserted) flags.push_back(0);
      flags[index] |= flag;
    }
  }

  // Lexicon flags of `w`, compared in ASCII lower case with a typographic
  // apostrophe (U+2019) read as ' ("didn’t" is "didn't").
  uint8_t Flags(std::string_view w) const {
    char buffer[kMaxLexiconWord];
    size_t n = 0;
    for (size_t i = 0; i < w.size(); ++i, ++n) {
      if (n == longest_word) return 0;  // longer than every entry
      if (w[i] == kRightQuote[0] && w.compare(i, kRightQuote.size(), kRightQuote) == 0) {
        buffer[n] = '\'';
        i += kRightQuote.size() - 1;
      } else {
        buffer[n] = (w[i] >= 'A' && w[i] <= 'Z') ? static_cast<char>(w[i] | 0x20) : w[i];
      }
    }
    const int64_t index = lexicon.Find(std::string_view(buffer, n));
    return index < 0 ? 0 : flags[index];
  }

  std::string_view Word(size_t i) const {
    return text.substr(spans[i].begin, spans[i].end - spans[i].begin);
  }

  // The text between span i and the next span (or the end of the text).
  std::string_view GapAfter(size_t i) const {
    const size_t end = i + 1 < spans.size() ? spans[i + 1].begin : text.size();
    return text.substr(spans[i].end, end - spans[i].end);
  }

  void Run(std::string_view t, std::vector<std::string_view>& words);
  size_t Step(size_t i);
  bool InBracket(uint32_t pos, uint32_t* end);
  size_t MatchDate(size_t i) const;
  size_t MatchAbbreviation(size_t i, size_t* end) const;
  size_t MatchNumeric(size_t i);
  size_t MatchHyphenChain(size_t i) const;
  bool ChainWord(std::string_view w, bool first) const;
  void EmitWord(std::string_view w);
  void EmitFiltered(std::string_view w);
  void EmitClass(const std::string& token, int64_t& counter);
};

void Segmenter::Impl::Run(std::string_view t, std::vector<std::string_view>& words) {
  if (t.size() >= UINT32_MAX) {
    throw InputError("a document of " + std::to_string(t.size()) +
                     " bytes is too large to segment");
  }
  text = t;
  out = &words;
  words.clear();
  ++stats.documents;
  if (options.ascii_fast_path && IsAscii(t)) {
    ++stats.ascii_documents;
    AsciiWordSpans(t, spans);
  } else {
    icu.Spans(t, spans);
  }
  brackets.clear();
  bracket_cursor = 0;
  if (options.deid_placeholders && t.find("[**") != std::string_view::npos) {
    FindDeidBrackets(t, brackets);
  }
  for (size_t i = 0; i < spans.size();) i = Step(i);
}

size_t Segmenter::Impl::Step(size_t i) {
  if (options.deid_placeholders) {
    uint32_t end = 0;
    if (InBracket(spans[i].begin, &end)) {
      EmitClass(options.deid_token, stats.deid);
      while (i < spans.size() && spans[i].begin < end) ++i;
      return i;
    }
    if (const size_t k = MatchDate(i)) {
      EmitClass(options.deid_token, stats.deid);
      return i + k;
    }
  }
  size_t end = 0;
  if (options.abbreviations) {
    if (const size_t k = MatchAbbreviation(i, &end)) {
      ++stats.abbreviations;
      EmitFiltered(text.substr(spans[i].begin, end - spans[i].begin));
      return i + k;
    }
  }
  if (IsDigit(text[spans[i].begin]) && options.numbers != NumberMode::kKeep) {
    if (const size_t next = MatchNumeric(i)) return next;
  }
  if (options.hyphenated) {
    if (const size_t k = MatchHyphenChain(i); k > 1) {
      ++stats.hyphenated;
      EmitFiltered(text.substr(spans[i].begin, spans[i + k - 1].end - spans[i].begin));
      return i + k;
    }
  }
  EmitWord(Word(i));
  return i + 1;
}

bool Segmenter::Impl::InBracket(uint32_t pos, uint32_t* end) {
  while (bracket_cursor < brackets.size() && brackets[bracket_cursor].end <= pos) {
    ++bracket_cursor;
  }
  if (bracket_cursor == brackets.size() || brackets[bracket_cursor].begin > pos) return false;
  *end = brackets[bracket_cursor].end;
  return true;
}

namespace {

// 1-3 spaces or tabs and nothing else (after an optional leading `prefix`).
bool ShortSpaces(std::string_view gap, char prefix = 0) {
  if (prefix != 0 && !gap.empty() && gap[0] == prefix) gap.remove_prefix(1);
  if (gap.empty() || gap.size() > 3) return false;
  return std::all_of(gap.begin(), gap.end(), IsSpaceOrTab);
}

bool EqualsLower(std::string_view w, std::string_view lower) {
  if (w.size() != lower.size()) return false;
  for (size_t i = 0; i < w.size(); ++i) {
    if ((w[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

bool IsDay(std::string_view w) {
  size_t digits = 0;
  while (digits < w.size() && IsDigit(w[digits])) ++digits;
  if (digits == 0) return EqualsLower(w, "dd") || EqualsLower(w, "xx");
  if (digits > 2) return false;
  const int day = digits == 1 ? w[0] - '0' : (w[0] - '0') * 10 + (w[1] - '0');
  std::string suffix(w.substr(digits));
  for (char& c : suffix) c = static_cast<char>(c | 0x20);
  return day >= 1 && day <= 31 && (suffix.empty() || IsOrdinalSuffix(suffix));
}

bool IsYear(std::string_view w) {
  if (w.size() != 4) return false;
  if (EqualsLower(w, "yyyy") || EqualsLower(w, "xxxx")) return true;
  return std::all_of(w.begin(), w.end(), IsDigit);
}

// Length of a run of ASCII letters/digits at text[p], and whether it holds a letter.
size_t AlnumRun(std::string_view text, size_t p, bool* has_letter) {
  size_t q = p;
  *has_letter = false;
  while (q < text.size() && IsAsciiAlnum(text[q])) *has_letter |= IsAsciiLetter(text[q++]);
  return q - p;
}

bool IsHyphenGap(std::string_view gap) { return gap == "-" || gap == kUnicodeHyphen; }

}  // namespace

// "<month> <day>[,] <year>": 3 spans, or 0.
size_t Segmenter::Impl::MatchDate(size_t i) const {
  // Cheap character tests first: the lexicon lookup is the costly part.
  if (i + 2 >= spans.size() || !IsDay(Word(i + 1)) || !IsYear(Word(i + 2))) return 0;
  if (!ShortSpaces(GapAfter(i)) || !ShortSpaces(GapAfter(i + 1), ',')) return 0;
  return (Flags(Word(i)) & kMonth) ? 3 : 0;
}

// Dotted abbreviation starting at span i: number of spans covered (0: none)
// and its end (after the trailing dot, if any).
size_t Segmenter::Impl::MatchAbbreviation(size_t i, size_t* end) const {
  size_t p = spans[i].begin;
  if (!IsAsciiLetter(text[p])) return 0;
  // Quick reject: the first segment (at most 3 characters) must end in a dot.
  const size_t first_dot = text.substr(p, 4).find('.');
  if (first_dot == std::string_view::npos || first_dot == 0) return 0;
  int segments = 0;
  size_t match_end = p;
  for (;;) {
    bool has_letter = false;
    const size_t run = AlnumRun(text, p, &has_letter);
    if (run == 0 || run > 3 || !has_letter) break;
    ++segments;
    match_end = p + run;
    if (match_end >= text.size() || text[match_end] != '.') break;
    match_end += 1;  // keep the dot
    p = match_end;
  }
  // Without a trailing dot, two segments are too often a missing space ("is.it").
  const bool dotted = text[match_end - 1] == '.';
  if (segments < 2 || (!dotted && segments < 3)) return 0;
  // The match must end on a span boundary: "b.i.dx" is not "b.i." + "dx".
  size_t j = i;
  while (j < spans.size() && spans[j].begin < match_end) {
    if (spans[j].end > match_end) return 0;
    ++j;
  }
  *end = match_end;
  return j - i;
}

// Numbers and measures starting at span i (its first byte is a digit).
// Returns the next span index, or 0 when the span is a word like "3d".
size_t Segmenter::Impl::MatchNumeric(size_t i) {
  const std::string_view w = Word(i);
  bool measure = false;
  if (!IsPureNumber(w)) {
    const std::string_view suffix = w.substr(NumberPrefix(w));
    std::string lower(suffix.size() <= 2 ? suffix : std::string_view{});
    for (char& c : lower) c = static_cast<char>(c | 0x20);
    if (Flags(suffix) & kUnit) {
      measure = true;  // "10mg"
    } else if (!IsOrdinalSuffix(lower)) {
      return 0;
    }
  }
  size_t j = i;
  if (!measure) {
    // Joined numbers: 10-20, 120/80, 2019-01-01, 10:30.
    while (j + 1 < spans.size() && IsPureNumber(Word(j + 1)) && GapAfter(j).size() == 1 &&
           std::strchr("/-:", GapAfter(j)[0]) != nullptr) {
      ++j;
    }
    const std::string_view gap = GapAfter(j);
    const size_t spaces = std::min(gap.find_first_not_of(" \t"), gap.size());
    if (spaces <= 3 && spaces < gap.size() && gap[spaces] == '%') {
      measure = true;  // "50%", "50 %"
    } else if (j + 1 < spans.size() && (gap.empty() || ShortSpaces(gap)) &&
               (Flags(Word(j + 1)) & kUnit)) {
      measure = true;  // "10 mg"
      ++j;
    }
  }
  if (measure) {  // "mg/kg", "mg/kg/day" when day were a unit
    while (j + 1 < spans.size() && GapAfter(j) == "/" && (Flags(Word(j + 1)) & kUnit)) ++j;
  }
  EmitClass(measure ? options.measure_token : options.number_token,
            measure ? stats.measures : stats.numbers);
  return j + 1;
}

// Letter word, or a short number after the first word (covid-19), never a
// placeholder made of x.
bool Segmenter::Impl::ChainWord(std::string_view w, bool first) const {
  if (IsAsciiLetter(w[0]) || IsNonAscii(w[0])) {
    return !(options.deid_placeholders && AllX(w));
  }
  return !first && w.size() <= kMaxChainNumber && std::all_of(w.begin(), w.end(), IsDigit);
}

// Number of spans in the hyphenated term starting at span i (1: none).
size_t Segmenter::Impl::MatchHyphenChain(size_t i) const {
  if (!ChainWord(Word(i), true)) return 1;
  size_t j = i;
  while (j + 1 < spans.size() && IsHyphenGap(GapAfter(j)) && ChainWord(Word(j + 1), false)) ++j;
  return j - i + 1;
}

void Segmenter::Impl::EmitWord(std::string_view w) {
  if (!options.split_dotted_words || w.find('.') == std::string_view::npos || IsPureNumber(w)) {
    EmitFiltered(w);
    return;
  }
  size_t start = 0;
  for (size_t dot = w.find('.');; dot = w.find('.', start)) {
    const std::string_view part =
        w.substr(start, dot == std::string_view::npos ? w.npos : dot - start);
    if (!part.empty()) EmitFiltered(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
}

void Segmenter::Impl::EmitFiltered(std::string_view w) {
  if (options.strip_possessive) w = StripPossessive(w);
  while (!w.empty() && w.front() == '_') w.remove_prefix(1);
  while (!w.empty() && w.back() == '_') w.remove_suffix(1);
  if (options.deid_placeholders && AllX(w)) {
    EmitClass(options.deid_token, stats.deid);
  } else if (!HasWordChar(w)) {
    ++stats.symbols_dropped;
  } else if (options.stop_words && (Flags(w) & kStop)) {
    ++stats.stop_words_dropped;
  } else if (static_cast<int>(Utf8Length(w)) < options.min_token_length) {
    ++stats.short_dropped;
  } else {
    out->push_back(w);
    ++stats.words;
  }
}

void Segmenter::Impl::EmitClass(const std::string& token, int64_t& counter) {
  const bool numeric = &token != &options.deid_token;
  if (numeric && options.numbers == NumberMode::kDrop) {
    ++stats.numbers_dropped;
    return;
  }
  ++counter;
  if (!options.class_tokens) return;  // recognised (and counted), not emitted
  out->push_back(token);
  ++stats.words;
}

Segmenter::Segmenter(const SegmenterOptions& options) {
  ValidateSegmenterOptions(options);
  impl_ = std::make_unique<Impl>(options);
}

Segmenter::~Segmenter() = default;
Segmenter::Segmenter(Segmenter&&) noexcept = default;
Segmenter& Segmenter::operator=(Segmenter&&) noexcept = default;

void Segmenter::Segment(std::string_view text, std::vector<std::string_view>& words) {
  impl_->Run(text, words);
}

void Segmenter::WordSpans(std::string_view text, bool use_icu,
                          std::vector<std::pair<size_t, size_t>>& spans) {
  std::vector<WordSpan> raw;
  if (use_icu)
    impl_->icu.Spans(text, raw);
  else
    AsciiWordSpans(text, raw);
  spans.clear();
  for (const WordSpan& s : raw) spans.emplace_back(s.begin, s.end);
}

bool Segmenter::IsClassToken(std::string_view word) const {
  const SegmenterOptions& o = impl_->options;
  return word == o.number_token || word == o.measure_token || word == o.deid_token;
}

const SegmenterStats& Segmenter::stats() const { return impl_->stats; }

const SegmenterOptions& Segmenter::options() const { return impl_->options; }

}  // namespace ntm
