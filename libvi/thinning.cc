#include "libvi/thinning.h"

#include <vector>

#include "libvi/rng.h"

namespace ntm {
namespace {

// Survivors of `count` tokens that each survive with probability `keep`.
uint32_t Thin(uint32_t count, double keep, CounterRng& rng) {
  uint32_t survivors = 0;
  for (uint32_t i = 0; i < count; ++i) survivors += rng.Uniform() < keep ? 1 : 0;
  return survivors;
}

}  // namespace

void ThinDocuments(const BowView& docs, double share, double keep, uint64_t seed, uint64_t step,
                   BowMatrix& out) {
  out = BowMatrix(docs.vocab_size);
  std::vector<int32_t> terms;
  std::vector<uint32_t> counts;
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    const DocView doc = docs.doc(d);
    CounterRng rng(seed, step, doc.key, RngPurpose::kThinning);
    terms.clear();
    counts.clear();
    if (rng.Uniform() < share) {
      for (size_t j = 0; j < doc.terms.size(); ++j) {
        const uint32_t c = Thin(doc.counts[j], keep, rng);
        if (c == 0) continue;
        terms.push_back(doc.terms[j]);
        counts.push_back(c);
      }
    }
    if (terms.empty()) {
      out.AddDocument(doc.terms, doc.counts, doc.key);
    } else {
      out.AddDocument(terms, counts, doc.key);
    }
  }
}

}  // namespace ntm
