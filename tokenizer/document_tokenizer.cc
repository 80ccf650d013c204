#include "tokenizer/document_tokenizer.h"

#include <optional>

#include "libvi/base/errors.h"

namespace ntm {

void ValidateTokenizerOptions(const TokenizerOptions& options) {
  ValidateSegmenterOptions(options.segment);
  if (options.pieces.cache_capacity < 1) {
    throw ConfigError("piece model options: cache_capacity must be at least 1");
  }
}

namespace {

// Calls f(name, field) for every counter of `s`, in Flatten() order: the one
// list that FieldNames, Flatten, Unflatten and += share.
template <typename Stats, typename F>
void ForEachField(Stats& s, F&& f) {
  f("normalizer.documents", s.normalizer.documents);
  f("normalizer.ascii_documents", s.normalizer.ascii_documents);
  f("normalizer.invalid_utf8_replaced", s.normalizer.invalid_utf8_replaced);
  f("normalizer.bytes_in", s.normalizer.bytes_in);
  f("segmenter.documents", s.segmenter.documents);
  f("segmenter.ascii_documents", s.segmenter.ascii_documents);
  f("segmenter.words", s.segmenter.words);
  f("segmenter.numbers", s.segmenter.numbers);
  f("segmenter.measures", s.segmenter.measures);
  f("segmenter.deid", s.segmenter.deid);
  f("segmenter.abbreviations", s.segmenter.abbreviations);
  f("segmenter.hyphenated", s.segmenter.hyphenated);
  f("segmenter.stop_words_dropped", s.segmenter.stop_words_dropped);
  f("segmenter.short_dropped", s.segmenter.short_dropped);
  f("segmenter.symbols_dropped", s.segmenter.symbols_dropped);
  f("segmenter.numbers_dropped", s.segmenter.numbers_dropped);
  f("cache.lookups", s.cache.lookups);
  f("cache.misses", s.cache.misses);
  f("cache.clears", s.cache.clears);
  f("pieces", s.pieces);
}

}  // namespace

std::array<std::string_view, TokenizerStats::kFlatSize> TokenizerStats::FieldNames() {
  std::array<std::string_view, kFlatSize> names{};
  size_t i = 0;
  TokenizerStats dummy;
  ForEachField(dummy, [&](std::string_view name, int64_t&) { names.at(i++) = name; });
  return names;
}

std::array<int64_t, TokenizerStats::kFlatSize> TokenizerStats::Flatten() const {
  std::array<int64_t, kFlatSize> flat{};
  size_t i = 0;
  ForEachField(*this, [&](std::string_view, const int64_t& v) { flat.at(i++) = v; });
  return flat;
}

TokenizerStats TokenizerStats::Unflatten(const std::array<int64_t, kFlatSize>& flat) {
  TokenizerStats stats;
  size_t i = 0;
  ForEachField(stats, [&](std::string_view, int64_t& v) { v = flat.at(i++); });
  return stats;
}

TokenizerStats& TokenizerStats::operator+=(const TokenizerStats& other) {
  const auto add = other.Flatten();
  size_t i = 0;
  ForEachField(*this, [&](std::string_view, int64_t& v) { v += add.at(i++); });
  return *this;
}

struct DocumentTokenizer::Impl {
  explicit Impl(const TokenizerOptions& o)
      : options(o), normalizer(o.normalize), segmenter(o.segment) {}

  TokenizerOptions options;
  Normalizer normalizer;
  Segmenter segmenter;
  std::optional<PieceModel> model;
  std::string normalized;
  std::vector<std::string_view> words;
  std::vector<std::string_view> pieces;
  int64_t pieces_total = 0;
};

DocumentTokenizer::DocumentTokenizer(const TokenizerOptions& options) {
  ValidateTokenizerOptions(options);
  impl_ = std::make_unique<Impl>(options);
}

DocumentTokenizer::~DocumentTokenizer() = default;
DocumentTokenizer::DocumentTokenizer(DocumentTokenizer&&) noexcept = default;
DocumentTokenizer& DocumentTokenizer::operator=(DocumentTokenizer&&) noexcept = default;

void DocumentTokenizer::SetPieceModel(std::string_view serialized_model) {
  impl_->model.emplace(serialized_model, impl_->options.pieces);
}

bool DocumentTokenizer::has_piece_model() const { return impl_->model.has_value(); }

std::span<const std::string_view> DocumentTokenizer::Words(std::string_view raw_text) {
  impl_->normalizer.Normalize(raw_text, impl_->normalized);
  impl_->segmenter.Segment(impl_->normalized, impl_->words);
  return impl_->words;
}

std::span<const std::string_view> DocumentTokenizer::Pieces(std::string_view raw_text) {
  if (!impl_->model) {
    throw Error("DocumentTokenizer::Pieces called without a piece model", kExitSoftware);
  }
  Words(raw_text);
  impl_->pieces.clear();
  for (const std::string_view word : impl_->words) impl_->model->EncodeWord(word, impl_->pieces);
  impl_->pieces_total += static_cast<int64_t>(impl_->pieces.size());
  return impl_->pieces;
}

void DocumentTokenizer::TrainingSentence(std::string_view raw_text, std::string& sentence) {
  sentence.clear();
  for (const std::string_view word : Words(raw_text)) {
    if (!sentence.empty()) sentence += ' ';
    sentence += word;
  }
}

TokenizerStats DocumentTokenizer::stats() const {
  TokenizerStats stats;
  stats.normalizer = impl_->normalizer.stats();
  stats.segmenter = impl_->segmenter.stats();
  if (impl_->model) stats.cache = impl_->model->cache_stats();
  stats.pieces = impl_->pieces_total;
  return stats;
}

const TokenizerOptions& DocumentTokenizer::options() const { return impl_->options; }

}  // namespace ntm
