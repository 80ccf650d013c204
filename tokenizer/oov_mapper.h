// Words outside the vocabulary, scored through SentencePiece pieces instead of
// dropped (vocab.oov "pieces"). The vocabulary holds whole words; a word it
// lacks (a misspelling, an inflection, a rare drug name) is encoded into
// pieces, and its leading pieces form a stem. When a vocabulary word starts
// with that stem, the word counts as the closest such word:
//   "hypertenson" -> ▁hypertens|on -> stem "hypertens" -> "hypertension".
// Rules that keep unrelated words apart (measured on MTSamples and MedQuAD
// held-out notes, docs/benchmarks.md):
//  - a word SentencePiece keeps whole (one piece) is never mapped: the model
//    knows it as a word of its own (a frequent word pruned by max_df, a class
//    token), not as a variant of another;
//  - a stem is the word's leading pieces (not all of them), stopping at the
//    first one-character piece: pieces spelt letter by letter carry no
//    meaning ("▁pro|g|r|a|f" has the stem "pro" only); it has at least
//    min_stem_chars characters and covers at least min_stem_share of the
//    word ("▁pneumon|itis" is not "pneumonia"); the longest stem is tried first;
//  - a vocabulary word starting with the stem matches when the two differ only
//    in inflectional endings ("reported" ~ report, "coronaries" ~ coronary), or
//    within max_edits edits as a misspelling ("hypertenson", "gentamycin"),
//    never by letters appended to it ("simplex" is not "simple"); the fewest
//    edits win, then the more frequent word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/piece_model.h"
#include "tokenizer/vocabulary.h"

namespace ntm {

// The thresholds of the rules above.
struct OovMapperOptions {
  int min_stem_chars = 5;       // characters of the stem (code points)
  double min_stem_share = 0.6;  // stem characters / word characters
  int max_edits = 1;            // edits of a misspelling (2 confused spondylolysis/spondylosis)
};

// Checks the options; ConfigError listing every violated constraint.
void ValidateOovMapperOptions(const OovMapperOptions& options);

// Maps out-of-vocabulary words to vocabulary ids. One instance per thread.
class OovMapper {
 public:
  // `vocabulary` must outlive the mapper (its terms are viewed, not copied);
  // InputError if the model bytes are not a model.
  OovMapper(std::string_view piece_model, const Vocabulary& vocabulary,
            const OovMapperOptions& options = {});

  // The vocabulary id `word` (not itself in the vocabulary) stands for, or -1.
  int32_t Map(std::string_view word);

 private:
  void Stems(std::vector<std::string>& stems) const;
  bool Accepts(std::string_view word, std::string_view term, int edits) const;
  int32_t BestMatch(std::string_view stem, std::string_view word) const;

  PieceModel model_;
  OovMapperOptions options_;
  std::vector<std::pair<std::string_view, int32_t>> sorted_;  // (term, id) by term
  std::vector<std::string_view> pieces_;
  std::vector<std::string> stems_;
};

// Edits (insertions, deletions, substitutions, transpositions of neighbours)
// turning byte string `a` into `b` (optimal string alignment distance).
int WordEditDistance(std::string_view a, std::string_view b);

}  // namespace ntm
