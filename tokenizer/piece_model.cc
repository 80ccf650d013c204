#include "tokenizer/piece_model.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "libvi/base/errors.h"
#include "tokenizer/string_table.h"

// Exported by libsentencepiece (spm_train's --minloglevel uses it) but not
// declared in the installed headers: keeps training quiet on stderr.
namespace sentencepiece::logging {
int GetMinLogLevel();
void SetMinLogLevel(int level);
}  // namespace sentencepiece::logging

namespace ntm {
namespace {

// Feeds the trainer the sample's distinct words with their counts
// (input_format "tsv": "word<TAB>count"), most frequent first, ties by bytes.
// Both model types split sentences at spaces and count words before anything
// else that depends on frequencies, so this changes only what the trainer has
// to load and normalise: the distinct words, not every running word. Each line
// is given twice: the unigram seed search keeps substrings that occur at least
// twice in its input, so a word no other word contains would otherwise never
// be a seed; doubling every count scales all frequencies alike.
class WordCountLines final : public sentencepiece::SentenceIterator {
 public:
  explicit WordCountLines(const std::vector<std::string>& sentences) {
    std::unordered_map<std::string_view, int64_t> counts;
    for (const std::string& sentence : sentences) CountWords(sentence, counts);
    words_.assign(counts.begin(), counts.end());
    std::sort(words_.begin(), words_.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    Load();
  }
  bool done() const override { return line_ >= 2 * words_.size(); }
  void Next() override {
    ++line_;
    Load();
  }
  const std::string& value() const override { return current_; }
  sentencepiece::util::Status status() const override { return {}; }
  size_t distinct_words() const { return words_.size(); }

 private:
  static void CountWords(std::string_view sentence,
                         std::unordered_map<std::string_view, int64_t>& counts) {
    while (!sentence.empty()) {
      const size_t space = std::min(sentence.find(' '), sentence.size());
      const std::string_view word = sentence.substr(0, space);
      if (!word.empty() && word.size() <= kMaxWordBytes && word.find('\t') == word.npos) {
        ++counts[word];
      }
      sentence.remove_prefix(std::min(space + 1, sentence.size()));
    }
  }
  void Load() {
    if (done()) return;
    const auto& [word, count] = words_[line_ / 2];
    current_.assign(word);
    current_ += '\t';
    current_ += std::to_string(count);
  }

  static constexpr size_t kMaxWordBytes = 1024;  // SentencePiece skips lines over 2048 bytes
  std::vector<std::pair<std::string_view, int64_t>> words_;
  size_t line_ = 0;
  std::string current_;
};

// Restores SentencePiece's log level when training ends or throws.
class QuietSentencePiece {
 public:
  QuietSentencePiece() : saved_(sentencepiece::logging::GetMinLogLevel()) {
    sentencepiece::logging::SetMinLogLevel(2);  // errors only: INFO lists the trainer spec
  }
  ~QuietSentencePiece() { sentencepiece::logging::SetMinLogLevel(saved_); }

 private:
  int saved_;
};

std::string Join(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : ",") + item;
  return joined;
}

std::unordered_map<std::string, std::string> TrainerArguments(const PieceTrainerOptions& o) {
  return {
      {"model_type", o.model_type},
      {"vocab_size", std::to_string(o.vocab_size)},
      {"character_coverage", std::to_string(o.character_coverage)},
      {"num_threads", std::to_string(o.num_threads)},
      {"hard_vocab_limit", o.hard_vocab_limit ? "true" : "false"},
      {"user_defined_symbols", Join(o.user_symbols)},
      {"normalization_rule_name", "identity"},  // the Normalizer already ran
      {"input_sentence_size", "0"},             // use the whole sample, no shuffling
      {"input_format", "tsv"},                  // WordCountLines: word<TAB>count
  };
}

}  // namespace

void ValidatePieceTrainerOptions(const PieceTrainerOptions& o) {
  std::string problems;
  auto check = [&problems](bool ok, const std::string& message) {
    if (!ok) problems += (problems.empty() ? "" : "; ") + message;
  };
  check(o.model_type == "unigram" || o.model_type == "bpe", "model_type must be unigram or bpe");
  check(o.vocab_size >= 8 && o.vocab_size <= 1000000, "vocab_size must be in [8, 1000000]");
  check(o.character_coverage > 0.0 && o.character_coverage <= 1.0,
        "character_coverage must be in (0, 1]");
  check(o.num_threads >= 1 && o.num_threads <= 1024, "num_threads must be in [1, 1024]");
  for (const std::string& symbol : o.user_symbols) {
    check(!symbol.empty() && symbol.find_first_of(" ,\t\n") == std::string::npos,
          "user_symbols must be non-empty, without spaces or commas");
  }
  if (!problems.empty()) throw ConfigError("piece trainer options: " + problems);
}

std::string TrainPieceModel(const std::vector<std::string>& sentences,
                            const PieceTrainerOptions& options) {
  ValidatePieceTrainerOptions(options);
  QuietSentencePiece quiet;
  // 0xFFFFFFFF means "seed from std::random_device" to SentencePiece.
  const auto seed = static_cast<uint32_t>(options.seed ^ (options.seed >> 32));
  sentencepiece::SetRandomGeneratorSeed(seed == 0xFFFFFFFFu ? 0 : seed);
  WordCountLines iterator(sentences);
  std::string model;
  const auto status =
      sentencepiece::SentencePieceTrainer::Train(TrainerArguments(options), &iterator, &model);
  if (!status.ok()) {
    throw InputError(std::string("training the SentencePiece model: ") + status.message());
  }
  return model;
}

struct PieceModel::Impl {
  PieceModelOptions options;
  std::string serialized;
  sentencepiece::SentencePieceProcessor processor;
  std::vector<std::string> pieces;  // id -> piece
  StringTable user_symbols;         // words that are one piece, themselves
  std::vector<int> user_symbol_ids;
  // The cache: word index in `words` -> ids[offsets[index], offsets[index + 1]).
  StringTable words;
  std::vector<uint64_t> offsets{0};
  std::vector<int32_t> ids;
  PieceCacheStats stats;
  std::vector<int> scratch;

  void Load(std::string_view bytes) {
    serialized.assign(bytes);
    const auto status = processor.LoadFromSerializedProto(serialized);
    if (!status.ok()) {
      throw InputError(std::string("loading the SentencePiece model: ") + status.message());
    }
    pieces.resize(processor.GetPieceSize());
    for (int id = 0; id < processor.GetPieceSize(); ++id) {
      pieces[id] = processor.IdToPiece(id);
    }
    for (const std::string& symbol : options.user_symbols) {
      const int id = processor.PieceToId(symbol);
      if (processor.IsUnknown(id) || !user_symbols.Insert(symbol).second) continue;
      user_symbol_ids.push_back(id);
    }
  }

  // Ids of `word` from SentencePiece, unknown pieces dropped if asked.
  void EncodeIds(std::string_view word, std::vector<int>& out) const {
    const int64_t symbol = user_symbols.Find(word);
    if (symbol >= 0) {
      out.assign(1, user_symbol_ids[symbol]);
      return;
    }
    out.clear();
    const auto status = processor.Encode(word, &out);
    if (!status.ok()) throw InputError(std::string("SentencePiece encode: ") + status.message());
    if (options.drop_unknown) {
      std::erase_if(out, [this](int id) { return processor.IsUnknown(id); });
    }
  }

  // Cache index of `word`, encoding and inserting it on a miss.
  int64_t Lookup(std::string_view word) {
    ++stats.lookups;
    const int64_t hit = words.Find(word);
    if (hit >= 0) return hit;
    ++stats.misses;
    if (static_cast<size_t>(words.size()) >= options.cache_capacity) {
      ++stats.clears;  // simplest bounded policy: start over
      words.Clear();
      offsets.assign(1, 0);
      ids.clear();
    }
    EncodeIds(word, scratch);
    ids.insert(ids.end(), scratch.begin(), scratch.end());
    offsets.push_back(ids.size());
    return words.Insert(word).first;
  }
};

PieceModel::PieceModel(std::string_view serialized, const PieceModelOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->Load(serialized);
}

PieceModel::PieceModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PieceModel::~PieceModel() = default;
PieceModel::PieceModel(PieceModel&&) noexcept = default;
PieceModel& PieceModel::operator=(PieceModel&&) noexcept = default;

PieceModel PieceModel::Clone() const { return PieceModel(impl_->serialized, impl_->options); }

const std::string& PieceModel::serialized() const { return impl_->serialized; }

int PieceModel::vocab_size() const { return static_cast<int>(impl_->pieces.size()); }

std::string_view PieceModel::Piece(int id) const { return impl_->pieces.at(id); }

void PieceModel::EncodeWord(std::string_view word, std::vector<std::string_view>& pieces) {
  Impl& m = *impl_;
  const int64_t index = m.Lookup(word);
  for (uint64_t k = m.offsets[index]; k < m.offsets[index + 1]; ++k) {
    pieces.push_back(m.pieces[m.ids[k]]);
  }
}

std::vector<std::string> PieceModel::EncodeUncached(std::string_view word) const {
  if (impl_->user_symbols.Find(word) >= 0) return {std::string(word)};
  std::vector<std::string> surface;
  const auto status = impl_->processor.Encode(word, &surface);
  if (!status.ok()) throw InputError(std::string("SentencePiece encode: ") + status.message());
  std::vector<std::string> pieces;
  for (const std::string& piece : surface) {
    const int id = impl_->processor.PieceToId(piece);  // unknown surfaces map to <unk>
    if (impl_->processor.IsUnknown(id) && impl_->options.drop_unknown) continue;
    pieces.push_back(impl_->pieces[id]);
  }
  return pieces;
}

const PieceCacheStats& PieceModel::cache_stats() const { return impl_->stats; }

}  // namespace ntm
