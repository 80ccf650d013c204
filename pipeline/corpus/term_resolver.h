// Words -> vocabulary ids, for `ntm tokenize` (building shards once the
// vocabulary is fixed) and `ntm score --input` (new notes against a model
// bundle's vocabulary): one rule for both, so a note is counted the same way
// in training and in scoring. A word in the vocabulary is its id; a word
// outside it is, under vocab.oov "pieces", the vocabulary word OovMapper finds
// through SentencePiece (tokenizer/oov_mapper.h), else dropped. Every token
// is counted by what happened to it (TermTokenCounts), never by its text.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipeline/config/config.h"
#include "tokenizer/oov_mapper.h"
#include "tokenizer/vocabulary.h"

namespace ntm {

// What became of a word.
enum class TermFate { kInVocabulary, kMapped, kDropped };

// Term tokens by fate, summable over ranks (Flatten: one all-reduce).
struct TermTokenCounts {
  int64_t in_vocabulary = 0;  // tokens whose word is a vocabulary term
  int64_t mapped = 0;         // tokens outside it, mapped through pieces to a term
  int64_t dropped = 0;        // tokens outside it and dropped

  // Adds `tokens` tokens of fate `fate`.
  void Add(TermFate fate, int64_t tokens);
  // All term tokens seen.
  int64_t total() const { return in_vocabulary + mapped + dropped; }
  // Share of tokens outside the vocabulary (mapped or dropped), 0 when empty.
  double OovShare() const;
  // {in_vocabulary, mapped, dropped}.
  std::vector<int64_t> Flatten() const { return {in_vocabulary, mapped, dropped}; }
  // Inverse of Flatten().
  static TermTokenCounts Unflatten(std::span<const int64_t> flat);
  // The counts as manifest.json, quality.json and summary.json carry them:
  // {"total", "in_vocabulary", "mapped_through_pieces", "dropped", "oov_share"}.
  nlohmann::json Json() const;
  // "3.2 % of N term tokens out of vocabulary (mapped through pieces: 2.1 %, dropped: 1.1 %)".
  std::string Summary() const;
};

// Resolves words against one vocabulary; one instance per thread.
class TermResolver {
 public:
  // `vocabulary` must outlive the resolver. An empty `piece_model` (vocab.oov
  // "drop", or no model) drops every word outside the vocabulary.
  TermResolver(const Vocabulary& vocabulary, std::string_view piece_model,
               const OovMapperOptions& options = {});
  ~TermResolver();

  // The id `word` counts as (-1: dropped) and what happened to it. Words outside
  // the vocabulary are mapped once and remembered (a bounded cache).
  int32_t Resolve(std::string_view word, TermFate* fate);
  // Appends the ids of `words` that resolve to a term and counts every token.
  void ResolveDocument(std::span<const std::string_view> words, std::vector<int32_t>& ids);
  // Token counts of ResolveDocument so far.
  const TermTokenCounts& counts() const { return counts_; }

 private:
  const Vocabulary& vocabulary_;
  std::unique_ptr<OovMapper> mapper_;
  std::unordered_map<std::string, int32_t> mapped_;  // OOV word -> id or -1
  TermTokenCounts counts_;
};

// The mapper options behind vocab.oov (the thresholds are the library's).
OovMapperOptions OovMapperOptionsFrom(const Config& config);
// True when `config` maps out-of-vocabulary words through SentencePiece.
bool MapsOovThroughPieces(const Config& config);

}  // namespace ntm
