// Readable forms of SentencePiece pieces, for topic tables in reports.
//
// A topic's top pieces are often parts of words ("▁diagnosi", "ly"). Each
// piece is shown as the word it stands for when one word dominates its
// occurrences in the SentencePiece training sample ("▁diagnosi" ->
// "diagnosis"); otherwise as itself, marked as a prefix ("registr-") or a
// suffix ("-ly") when it is not a word on its own. Only words that occur in at
// least `min_documents` sampled documents can be shown: a rare word (a name, a
// record number) never reaches a report through this table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ntm {

class PieceModel;

// What a piece's readable form may come from.
struct PieceDisplayOptions {
  int64_t min_documents = 5;  // a word must occur in this many sampled documents
  double min_share = 0.5;     // ...and carry this share of the piece's sampled occurrences
  // A piece is shown unmarked (a word, not a prefix or suffix) when it is a
  // word on its own in at least this share of its occurrences (and in
  // min_documents documents).
  double min_whole_word_share = 0.2;
};

// Piece -> readable form, for every piece `model` produces on the words of
// `sentences` (normalized words joined by single spaces, one per document).
using PieceDisplayTable = std::unordered_map<std::string, std::string>;

// Builds the table from the training sample. Occurrences are counted once per
// document a word occurs in.
PieceDisplayTable BuildPieceDisplayTable(const std::vector<std::string>& sentences,
                                         PieceModel& model, const PieceDisplayOptions& options);

// The readable form of `piece`: its table entry, else the piece without its
// word-start mark, with "-" after it (a word start) or before it (inside a word).
// Class tokens such as <num> are returned unchanged.
std::string DisplayPiece(std::string_view piece, const PieceDisplayTable& table);

}  // namespace ntm
