// The tokenizer facade used per document by `ntm tokenize` and `ntm score
// --input`: normalize -> segment -> (optionally) SentencePiece pieces. All
// options and their defaults are gathered in TokenizerOptions; the YAML keys
// of the pipeline map onto these fields one to one.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/piece_model.h"
#include "tokenizer/segmenter.h"

namespace ntm {

// Every tokenization option (see each struct for the fields and defaults).
struct TokenizerOptions {
  NormalizerOptions normalize;  // nfkc, casefold, ascii_fast_path
  SegmenterOptions segment;     // rules, class tokens, stop words, min_token_length
  PieceModelOptions pieces;     // encode cache size, <unk> handling, user symbols
};

// Checks all options; ConfigError listing every violated constraint.
void ValidateTokenizerOptions(const TokenizerOptions& options);

// Counters of a tokenizer, summable across ranks: Flatten() gives one int64
// array for a single all-reduce, FieldNames() labels it for the manifest.
struct TokenizerStats {
  NormalizerStats normalizer;
  SegmenterStats segmenter;
  PieceCacheStats cache;
  int64_t pieces = 0;  // pieces output by Pieces()

  // Number of entries of Flatten().
  static constexpr size_t kFlatSize = 20;
  // Names of the Flatten() entries, e.g. "segmenter.words".
  static std::array<std::string_view, kFlatSize> FieldNames();
  // All counters as one array, in FieldNames() order.
  std::array<int64_t, kFlatSize> Flatten() const;
  // Inverse of Flatten().
  static TokenizerStats Unflatten(const std::array<int64_t, kFlatSize>& flat);
  // Adds `other` field by field.
  TokenizerStats& operator+=(const TokenizerStats& other);
};

// Tokenizes documents; one instance per thread. Not copyable.
class DocumentTokenizer {
 public:
  // ConfigError for invalid options.
  explicit DocumentTokenizer(const TokenizerOptions& options = {});
  ~DocumentTokenizer();
  DocumentTokenizer(DocumentTokenizer&&) noexcept;
  DocumentTokenizer& operator=(DocumentTokenizer&&) noexcept;

  // Loads the SentencePiece model used by Pieces() (its own copy and cache).
  void SetPieceModel(std::string_view serialized_model);
  // True once SetPieceModel() was called.
  bool has_piece_model() const;

  // The words of raw note text (vocab.mode "words"); views stay valid until
  // the next call on this tokenizer.
  std::span<const std::string_view> Words(std::string_view raw_text);
  // The pieces of raw note text (vocab.mode "pieces"); needs a model. Views
  // point into the model and stay valid while it is loaded.
  std::span<const std::string_view> Pieces(std::string_view raw_text);
  // The words joined by single spaces: one SentencePiece training sentence.
  void TrainingSentence(std::string_view raw_text, std::string& sentence);

  // Counters so far.
  TokenizerStats stats() const;
  // The options in use.
  const TokenizerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ntm
