// Which documents document completion holds out: shared by `ntm score` (which
// scores them) and `ntm export-bow --completion-split` (which writes them for
// peer models), so both use exactly the same documents.
#pragma once

#include <cstdint>
#include <vector>

#include "libvi/bow.h"

namespace ntm {

// Indices (ascending) of the documents of `docs` held out for completion: at
// least 2 tokens and chosen by key hash with `heldout_fraction` and
// `score_seed` (score.seed; mixed with a constant so the split differs from
// training's validation split). Empty when heldout_fraction <= 0.
std::vector<int64_t> CompletionDocumentIndices(const BowView& docs, double heldout_fraction,
                                               uint64_t score_seed);

// The documents CompletionDocumentIndices selects, in order, keys kept.
BowMatrix SelectCompletionDocuments(const BowView& docs, double heldout_fraction,
                                    uint64_t score_seed);

}  // namespace ntm
