#include "tokenizer/piece_display.h"

#include <algorithm>
#include <unordered_set>

#include "tokenizer/piece_model.h"

namespace ntm {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581, SentencePiece's word start

// How a piece occurs in the sample's words.
struct PieceOccurrences {
  int64_t documents = 0;        // sum over the words holding the piece of their document counts
  std::string best_word;        // the word holding it in the most documents
  int64_t best_documents = 0;   // ...and that count
  int64_t alone_documents = 0;  // documents holding the piece as a word on its own
};

// Documents each distinct word of `sentences` occurs in.
std::unordered_map<std::string, int64_t> WordDocumentCounts(
    const std::vector<std::string>& sentences) {
  std::unordered_map<std::string, int64_t> counts;
  std::unordered_set<std::string_view> seen;
  for (const std::string& sentence : sentences) {
    seen.clear();
    const std::string_view text(sentence);
    for (size_t begin = 0; begin < text.size();) {
      const size_t end = std::min(text.find(' ', begin), text.size());
      const std::string_view word = text.substr(begin, end - begin);
      if (!word.empty() && seen.insert(word).second) ++counts[std::string(word)];
      begin = end + 1;
    }
  }
  return counts;
}

// The pieces of `word` as owned strings, without bare word-start marks.
std::vector<std::string> WordPieces(std::string_view word, PieceModel& model) {
  std::vector<std::string_view> views;
  model.EncodeWord(word, views);
  std::vector<std::string> pieces;
  for (std::string_view piece : views) {
    if (piece != kWordStart) pieces.emplace_back(piece);
  }
  return pieces;
}

void AddWord(const std::string& word, int64_t documents, const std::vector<std::string>& pieces,
             std::unordered_map<std::string, PieceOccurrences>& occurrences) {
  std::unordered_set<std::string_view> counted;
  for (const std::string& piece : pieces) {
    if (!counted.insert(piece).second) continue;
    PieceOccurrences& o = occurrences[piece];
    o.documents += documents;
    if (pieces.size() == 1) o.alone_documents += documents;
    const bool better =
        documents > o.best_documents || (documents == o.best_documents && word < o.best_word);
    if (better) {
      o.best_word = word;
      o.best_documents = documents;
    }
  }
}

bool IsClassToken(std::string_view piece) {
  return piece.size() > 2 && piece.front() == '<' && piece.back() == '>';
}

// The piece without its word-start mark; marked as a prefix or suffix unless
// it is known to be a word on its own.
std::string MarkedPiece(std::string_view piece, bool whole_word) {
  if (IsClassToken(piece)) return std::string(piece);
  const bool starts_word = piece.starts_with(kWordStart);
  const std::string text(starts_word ? piece.substr(kWordStart.size()) : piece);
  if (text.empty()) return std::string(piece);
  if (whole_word) return text;
  return starts_word ? text + "-" : "-" + text;
}

std::string ReadableForm(std::string_view piece, const PieceOccurrences& o,
                         const PieceDisplayOptions& options) {
  const auto share = [&](int64_t documents, double at_least) {
    return documents >= options.min_documents &&
           static_cast<double>(documents) >= at_least * static_cast<double>(o.documents);
  };
  if (share(o.best_documents, options.min_share)) return o.best_word;
  return MarkedPiece(piece, share(o.alone_documents, options.min_whole_word_share));
}

}  // namespace

PieceDisplayTable BuildPieceDisplayTable(const std::vector<std::string>& sentences,
                                         PieceModel& model, const PieceDisplayOptions& options) {
  std::unordered_map<std::string, PieceOccurrences> occurrences;
  for (const auto& [word, documents] : WordDocumentCounts(sentences)) {
    AddWord(word, documents, WordPieces(word, model), occurrences);
  }
  PieceDisplayTable table;
  for (const auto& [piece, o] : occurrences) table.emplace(piece, ReadableForm(piece, o, options));
  return table;
}

std::string DisplayPiece(std::string_view piece, const PieceDisplayTable& table) {
  const auto it = table.find(std::string(piece));
  if (it != table.end()) return it->second;
  return MarkedPiece(piece, piece.starts_with(kWordStart));
}

}  // namespace ntm
