#include "tokenizer/vocabulary.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "libvi/base/byte_reader.h"
#include "libvi/base/errors.h"

namespace ntm {
namespace {

constexpr std::string_view kCounterMagic = "NTMTERM1";

void PutU64(std::string& out, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  out.append(buf, 8);
}

// Splits off and checks the trailing checksum; returns the body.
std::string_view CheckedBody(std::string_view bytes) {
  if (bytes.size() < kCounterMagic.size() + 8 || !bytes.starts_with(kCounterMagic)) {
    throw InputError("term counts: wrong magic");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + body.size(), 8);
  if (XXH3_64bits(body.data(), body.size()) != stored) {
    throw InputError("term counts: checksum mismatch");
  }
  return body.substr(kCounterMagic.size());
}

}  // namespace

void TermCounter::AddDocument(std::span<const std::string_view> terms,
                              std::vector<int32_t>* indices) {
  for (const std::string_view term : terms) {
    const auto [index, inserted] = table_.Insert(term);
    if (inserted) counts_.emplace_back();
    if (indices != nullptr) indices->push_back(static_cast<int32_t>(index));
    Counts& c = counts_[index];
    ++c.cf;
    if (c.last_document != documents_) {
      c.last_document = documents_;
      ++c.df;
    }
  }
  ++documents_;
}

void TermCounter::Add(std::string_view term, int64_t df, int64_t cf) {
  const auto [index, inserted] = table_.Insert(term);
  if (inserted) counts_.emplace_back();
  counts_[index].df += df;
  counts_[index].cf += cf;
}

void TermCounter::Merge(const TermCounter& other) {
  for (int64_t i = 0; i < other.table_.size(); ++i) {
    Add(other.table_.Key(i), other.counts_[i].df, other.counts_[i].cf);
  }
  documents_ += other.documents_;
}

std::vector<TermStats> TermCounter::SortedTerms() const {
  std::vector<TermStats> terms(counts_.size());
  for (size_t i = 0; i < counts_.size(); ++i) {
    terms[i] = {std::string(table_.Key(static_cast<int64_t>(i))), counts_[i].df, counts_[i].cf};
  }
  std::sort(terms.begin(), terms.end(),
            [](const TermStats& a, const TermStats& b) { return a.term < b.term; });
  return terms;
}

std::string TermCounter::Serialize() const {
  std::string out(kCounterMagic);
  PutU64(out, documents_);
  const std::vector<TermStats> terms = SortedTerms();
  PutU64(out, terms.size());
  for (const TermStats& t : terms) {
    PutU64(out, t.term.size());
    out += t.term;
    PutU64(out, t.df);
    PutU64(out, t.cf);
  }
  PutU64(out, XXH3_64bits(out.data(), out.size()));
  return out;
}

void TermCounter::MergeSerialized(std::string_view bytes) {
  ByteReader cursor(CheckedBody(bytes), "term counts");
  const auto documents = cursor.Get<uint64_t>();
  const auto n = cursor.Get<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    const std::string_view term = cursor.LengthPrefixed();
    const auto df = static_cast<int64_t>(cursor.Get<uint64_t>());
    Add(term, df, static_cast<int64_t>(cursor.Get<uint64_t>()));
  }
  if (!cursor.AtEnd()) throw InputError("term counts: trailing bytes");
  documents_ += static_cast<int64_t>(documents);
}

void ValidatePruneOptions(const PruneOptions& o) {
  std::string problems;
  auto check = [&problems](bool ok, const char* message) {
    if (!ok) problems += std::string(problems.empty() ? "" : "; ") + message;
  };
  check(o.min_df >= 1, "min_df must be at least 1");
  check(o.max_df > 0.0 && o.max_df <= 1.0, "max_df must be in (0, 1]");
  check(o.max_size >= 0, "max_size must be >= 0 (0: no limit)");
  if (!problems.empty()) throw ConfigError("vocabulary options: " + problems);
}

Vocabulary Vocabulary::Build(const TermCounter& counter, const PruneOptions& options) {
  ValidatePruneOptions(options);
  Vocabulary vocab;
  PruneStats& stats = vocab.prune_stats_;
  const double df_limit = options.max_df * static_cast<double>(counter.documents());
  for (TermStats& t : counter.SortedTerms()) {
    ++stats.candidates;
    if (t.df < options.min_df) {
      ++stats.dropped_min_df;
    } else if (static_cast<double>(t.df) > df_limit) {
      ++stats.dropped_max_df;
    } else {
      vocab.terms_.push_back(std::move(t));
    }
  }
  std::stable_sort(vocab.terms_.begin(), vocab.terms_.end(),
                   [](const TermStats& a, const TermStats& b) { return a.df > b.df; });
  if (options.max_size > 0 && vocab.size() > options.max_size) {
    stats.dropped_max_size = vocab.size() - options.max_size;
    vocab.terms_.resize(options.max_size);
  }
  vocab.Index();
  return vocab;
}

Vocabulary Vocabulary::FromTerms(std::vector<TermStats> terms) {
  Vocabulary vocab;
  vocab.terms_ = std::move(terms);
  vocab.Index();
  return vocab;
}

void Vocabulary::Index() {
  index_.Clear();
  index_.Reserve(size());
  for (int32_t id = 0; id < size(); ++id) {
    if (terms_[id].term.empty())
      throw InputError("vocabulary: empty term at id " + std::to_string(id));
    if (!index_.Insert(terms_[id].term).second) {
      throw InputError("vocabulary: term repeated at id " + std::to_string(id));
    }
  }
}

int32_t Vocabulary::Lookup(std::string_view term) const {
  return static_cast<int32_t>(index_.Find(term));
}

const std::vector<TermCount>& DocumentTerms::Count(const Vocabulary& vocabulary,
                                                   std::span<const std::string_view> terms) {
  ids_.clear();
  row_.clear();
  oov_tokens_ = 0;
  for (const std::string_view term : terms) {
    const int32_t id = vocabulary.Lookup(term);
    if (id >= 0)
      ids_.push_back(id);
    else
      ++oov_tokens_;
  }
  tokens_ = static_cast<int64_t>(ids_.size());
  std::sort(ids_.begin(), ids_.end());
  for (const int32_t id : ids_) {
    if (!row_.empty() && row_.back().id == id)
      ++row_.back().count;
    else
      row_.push_back({id, 1});
  }
  return row_;
}

}  // namespace ntm
