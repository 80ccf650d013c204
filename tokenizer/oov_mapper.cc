#include "tokenizer/oov_mapper.h"

#include <algorithm>

#include "libvi/base/errors.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // SentencePiece's ▁

PieceModelOptions MapperPieceOptions() {
  PieceModelOptions o;
  o.cache_capacity = 1 << 16;  // each OOV word is encoded once by its caller's cache anyway
  return o;
}

}  // namespace

void ValidateOovMapperOptions(const OovMapperOptions& o) {
  std::string problems;
  auto check = [&problems](bool ok, const char* message) {
    if (!ok) problems += std::string(problems.empty() ? "" : "; ") + message;
  };
  check(o.min_stem_chars >= 1, "min_stem_chars must be at least 1");
  check(o.min_stem_share > 0.0 && o.min_stem_share <= 1.0, "min_stem_share must be in (0, 1]");
  check(o.max_edits >= 0, "max_edits must be >= 0");
  if (!problems.empty()) throw ConfigError("out-of-vocabulary mapping options: " + problems);
}

int WordEditDistance(std::string_view a, std::string_view b) {
  // Three rows of the optimal-string-alignment table.
  std::vector<int> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, substitute});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, row);
  }
  return previous[b.size()];
}

OovMapper::OovMapper(std::string_view piece_model, const Vocabulary& vocabulary,
                     const OovMapperOptions& options)
    : model_(piece_model, MapperPieceOptions()), options_(options) {
  ValidateOovMapperOptions(options);
  sorted_.reserve(static_cast<size_t>(vocabulary.size()));
  for (int32_t id = 0; id < vocabulary.size(); ++id) {
    sorted_.emplace_back(vocabulary.terms()[id].term, id);
  }
  std::sort(sorted_.begin(), sorted_.end());
}

namespace {

// Endings that inflect a word without changing what it names: a word and a
// vocabulary word that differ only in these count as the same word.
bool IsInflection(std::string_view ending) {
  static constexpr std::string_view kEndings[] = {"", "s", "es", "ed", "d", "ing", "y", "ies", "e"};
  return std::find(std::begin(kEndings), std::end(kEndings), ending) != std::end(kEndings);
}

// True when `word` and `term` differ only in inflectional endings after
// their common prefix ("reported" ~ "report", "coronaries" ~ "coronary"), or
// `word` is the adverb of `term` ("routinely" ~ "routine").
bool SameWordInflected(std::string_view word, std::string_view term) {
  size_t common = 0;
  while (common < word.size() && common < term.size() && word[common] == term[common]) ++common;
  const std::string_view word_end = word.substr(common), term_end = term.substr(common);
  if (term_end.empty() && (word_end == "ly" || word_end == "ally")) return true;
  return IsInflection(word_end) && IsInflection(term_end);
}

}  // namespace

// True when `word` is `term` inflected or misspelt: differing only in
// inflectional endings, or within the allowed edits of a misspelling (but not
// `term` with letters appended: "simplex" is not "simple").
bool OovMapper::Accepts(std::string_view word, std::string_view term, int edits) const {
  if (SameWordInflected(word, term)) return true;
  if (word.starts_with(term)) return false;
  return edits <= options_.max_edits;
}

// The vocabulary word starting with `stem` that `word` is a form of, or -1;
// the fewest edits win, then the more frequent word (the lower id).
int32_t OovMapper::BestMatch(std::string_view stem, std::string_view word) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), stem,
                             [](const auto& entry, std::string_view s) { return entry.first < s; });
  int32_t best = -1;
  int best_edits = 0;
  for (; it != sorted_.end() && it->first.starts_with(stem); ++it) {
    const int edits = WordEditDistance(word, it->first);
    if (!Accepts(word, it->first, edits)) continue;
    if (best < 0 || edits < best_edits || (edits == best_edits && it->second < best)) {
      best = it->second;
      best_edits = edits;
    }
  }
  return best;
}

// The stems of the current pieces_, longest first: the leading pieces up to
// (not including) the last piece or the first one-character piece.
void OovMapper::Stems(std::vector<std::string>& stems) const {
  stems.clear();
  std::string stem;
  for (size_t k = 0; k + 1 < pieces_.size(); ++k) {
    std::string_view piece = pieces_[k];
    if (k == 0 && piece.starts_with(kWordStart)) piece.remove_prefix(kWordStart.size());
    if (k == 0 && piece.empty()) continue;  // a bare word-start mark
    if (Utf8Length(piece) < 2) break;       // letter by letter: no meaning left
    stem += piece;
    stems.push_back(stem);
  }
  std::reverse(stems.begin(), stems.end());
}

int32_t OovMapper::Map(std::string_view word) {
  pieces_.clear();
  model_.EncodeWord(word, pieces_);
  if (pieces_.size() < 2) return -1;  // kept whole: a word of its own
  Stems(stems_);
  const double word_chars = static_cast<double>(Utf8Length(word));
  for (const std::string& stem : stems_) {
    const double chars = static_cast<double>(Utf8Length(stem));
    if (chars < options_.min_stem_chars || chars < options_.min_stem_share * word_chars) break;
    if (const int32_t id = BestMatch(stem, word); id >= 0) return id;
  }
  return -1;
}

}  // namespace ntm
