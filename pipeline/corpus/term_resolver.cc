#include "pipeline/corpus/term_resolver.h"

#include <cstdio>

namespace ntm {
namespace {

// OOV words remembered before the cache starts over (bounds memory on a
// stream of millions of notes: misspellings and names never end).
constexpr size_t kMaxCachedWords = 1 << 20;

double Percent(int64_t part, int64_t total) {
  return total > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0;
}

}  // namespace

void TermTokenCounts::Add(TermFate fate, int64_t tokens) {
  switch (fate) {
    case TermFate::kInVocabulary:
      in_vocabulary += tokens;
      break;
    case TermFate::kMapped:
      mapped += tokens;
      break;
    case TermFate::kDropped:
      dropped += tokens;
      break;
  }
}

double TermTokenCounts::OovShare() const {
  return total() > 0 ? static_cast<double>(mapped + dropped) / static_cast<double>(total()) : 0.0;
}

TermTokenCounts TermTokenCounts::Unflatten(std::span<const int64_t> flat) {
  return {flat[0], flat[1], flat[2]};
}

nlohmann::json TermTokenCounts::Json() const {
  return {{"total", total()},
          {"in_vocabulary", in_vocabulary},
          {"mapped_through_pieces", mapped},
          {"dropped", dropped},
          {"oov_share", OovShare()}};
}

std::string TermTokenCounts::Summary() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "%.2f %% of %lld term tokens out of vocabulary (mapped through pieces: %.2f %%, "
                "dropped: %.2f %%)",
                100.0 * OovShare(), static_cast<long long>(total()), Percent(mapped, total()),
                Percent(dropped, total()));
  return text;
}

TermResolver::TermResolver(const Vocabulary& vocabulary, std::string_view piece_model,
                           const OovMapperOptions& options)
    : vocabulary_(vocabulary) {
  if (!piece_model.empty()) mapper_ = std::make_unique<OovMapper>(piece_model, vocabulary, options);
}

TermResolver::~TermResolver() = default;

int32_t TermResolver::Resolve(std::string_view word, TermFate* fate) {
  const int32_t id = vocabulary_.Lookup(word);
  if (id >= 0 || !mapper_) {
    *fate = id >= 0 ? TermFate::kInVocabulary : TermFate::kDropped;
    return id;
  }
  auto it = mapped_.find(std::string(word));
  if (it == mapped_.end()) {
    if (mapped_.size() >= kMaxCachedWords) mapped_.clear();
    it = mapped_.emplace(std::string(word), mapper_->Map(word)).first;
  }
  *fate = it->second >= 0 ? TermFate::kMapped : TermFate::kDropped;
  return it->second;
}

void TermResolver::ResolveDocument(std::span<const std::string_view> words,
                                   std::vector<int32_t>& ids) {
  for (const std::string_view word : words) {
    TermFate fate;
    const int32_t id = Resolve(word, &fate);
    counts_.Add(fate, 1);
    if (id >= 0) ids.push_back(id);
  }
}

OovMapperOptions OovMapperOptionsFrom(const Config&) { return OovMapperOptions{}; }

bool MapsOovThroughPieces(const Config& config) {
  return config.vocab.mode == "words" && config.vocab.oov == "pieces";
}

}  // namespace ntm
