// SentencePiece subword model: training from an in-memory sample, loading
// from bytes, and encoding words into pieces through a per-instance cache.
// Each distinct word is encoded by SentencePiece once (until the cache is
// full, when it is cleared and refilled), so encoding cost grows with the
// vocabulary of the corpus, not its length. (vocab.mode "words" uses the
// segmenter's words as terms; its model only maps the words outside the
// vocabulary, tokenizer/oov_mapper.h.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// How a model is trained. The same sentences in the same order with the same
// options give byte-identical models (the seed fixes SentencePiece's RNG;
// training runs single-threaded unless num_threads says otherwise).
struct PieceTrainerOptions {
  std::string model_type = "unigram";  // unigram | bpe
  int vocab_size = 8000;               // pieces, including <unk>, <s>, </s> and user_symbols
  double character_coverage = 0.9995;  // share of characters covered; rarer ones are <unk>
  uint64_t seed = 1;                   // SentencePiece random seed
  int num_threads = 1;                 // trainer threads (1: reproducible bit for bit)
  bool hard_vocab_limit = false;       // false: a small sample may yield fewer pieces
  std::vector<std::string> user_symbols = {"<num>", "<measure>", "<deid>"};  // kept whole
};

// Checks the options; ConfigError listing every violated constraint.
void ValidatePieceTrainerOptions(const PieceTrainerOptions& options);

// Trains a model on `sentences`: normalized words separated by single spaces
// (DocumentTokenizer::TrainingSentence). The trainer sees the distinct words
// with their counts, so its cost grows with the sample's vocabulary, not its
// length. The result depends only on the multiset of words (not on the order
// of the sentences). Returns the serialized
// model; InputError if SentencePiece rejects the sample (its message has no text).
std::string TrainPieceModel(const std::vector<std::string>& sentences,
                            const PieceTrainerOptions& options);

// How a loaded model encodes.
struct PieceModelOptions {
  size_t cache_capacity = 1 << 18;  // distinct words cached; the cache is cleared when full
  bool drop_unknown = true;         // drop <unk> pieces (characters outside the coverage)
  // Words encoded as one piece, themselves, when the model has that piece
  // (the class tokens, trained as user-defined symbols).
  std::vector<std::string> user_symbols = {"<num>", "<measure>", "<deid>"};
};

// Counters of the encode cache.
struct PieceCacheStats {
  int64_t lookups = 0;  // EncodeWord calls
  int64_t misses = 0;   // words encoded by SentencePiece
  int64_t clears = 0;   // times the full cache was emptied
};

// A loaded model with its cache; one instance per thread (Clone() for more).
class PieceModel {
 public:
  // Loads serialized model bytes; InputError if they are not a model.
  explicit PieceModel(std::string_view serialized, const PieceModelOptions& options = {});
  ~PieceModel();
  PieceModel(PieceModel&&) noexcept;
  PieceModel& operator=(PieceModel&&) noexcept;

  // A new instance of the same model with an empty cache.
  PieceModel Clone() const;
  // The serialized model (what the pipeline writes as tokenizer.model).
  const std::string& serialized() const;
  // Number of pieces.
  int vocab_size() const;
  // The piece with id `id` (view valid for the model's lifetime).
  std::string_view Piece(int id) const;

  // Appends the pieces of `word` (no spaces) to `pieces`, through the cache.
  // A user symbol (PieceModelOptions) is one piece, itself.
  void EncodeWord(std::string_view word, std::vector<std::string_view>& pieces);
  // The same pieces computed by SentencePiece directly, for checking the cache.
  std::vector<std::string> EncodeUncached(std::string_view word) const;
  // Cache counters.
  const PieceCacheStats& cache_stats() const;

 private:
  struct Impl;
  explicit PieceModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ntm
