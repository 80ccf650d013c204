#include "pipeline/corpus/completion_split.h"

#include "pipeline/corpus/batch_plan.h"

namespace ntm {

std::vector<int64_t> CompletionDocumentIndices(const BowView& docs, double heldout_fraction,
                                               uint64_t score_seed) {
  std::vector<int64_t> indices;
  if (heldout_fraction <= 0) return indices;
  for (int64_t d = 0; d < docs.num_docs(); ++d) {
    const DocView doc = docs.doc(d);
    uint64_t tokens = 0;
    for (uint32_t c : doc.counts) tokens += c;
    if (tokens >= 2 && IsValidationDocument(doc.key, heldout_fraction, score_seed ^ 0xC0FFEE)) {
      indices.push_back(d);
    }
  }
  return indices;
}

BowMatrix SelectCompletionDocuments(const BowView& docs, double heldout_fraction,
                                    uint64_t score_seed) {
  BowMatrix held_out(docs.vocab_size);
  for (int64_t d : CompletionDocumentIndices(docs, heldout_fraction, score_seed)) {
    const DocView doc = docs.doc(d);
    held_out.AddDocument(doc.terms, doc.counts, doc.key);
  }
  return held_out;
}

}  // namespace ntm
