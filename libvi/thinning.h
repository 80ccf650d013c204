// Binomial thinning of bag-of-words documents: the encoder trains on shorter
// versions of its notes too, so that it infers a short note (or the first half
// that document completion scores) as well as a long one.
#pragma once

#include <cstdint>

#include "libvi/bow.h"

namespace ntm {

// Copies `docs` into `out`, each document replaced, with probability `share`,
// by a thinned copy in which every token survives with probability `keep`.
// Random per (seed, step, document key), so every rank and every resume draws
// the same; a document thinned to nothing keeps its tokens.
void ThinDocuments(const BowView& docs, double share, double keep, uint64_t seed, uint64_t step,
                   BowMatrix& out);

}  // namespace ntm
