// Binomial thinning of training notes: deterministic per (seed, step, key),
// the requested share of notes thinned at the requested survival rate, and
// no note left empty.
#include "libvi/thinning.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ntm {
namespace {

// `n` notes of 40 distinct terms with counts 1..5.
BowMatrix Notes(int64_t n) {
  BowMatrix docs(100);
  std::vector<int32_t> terms;
  std::vector<uint32_t> counts;
  for (int32_t t = 0; t < 40; ++t) {
    terms.push_back(2 * t);
    counts.push_back(1 + t % 5);
  }
  for (int64_t d = 0; d < n; ++d) docs.AddDocument(terms, counts, 1000 + 7 * d);
  return docs;
}

uint64_t Tokens(const DocView& doc) {
  uint64_t n = 0;
  for (uint32_t c : doc.counts) n += c;
  return n;
}

TEST(ThinningTest, ThinsTheShareAtTheRateAndIsSeeded) {
  const BowMatrix notes = Notes(2000);
  BowMatrix a, b, other_step;
  ThinDocuments(notes.view(), 0.5, 0.3, 11, 4, a);
  ThinDocuments(notes.view(), 0.5, 0.3, 11, 4, b);
  ThinDocuments(notes.view(), 0.5, 0.3, 11, 5, other_step);
  ASSERT_EQ(a.num_docs(), notes.num_docs());
  const uint64_t full = Tokens(notes.view().doc(0));  // 120 tokens
  int64_t thinned = 0, differs = 0;
  double kept = 0;
  for (int64_t d = 0; d < a.num_docs(); ++d) {
    const DocView x = a.view().doc(d), y = b.view().doc(d);
    EXPECT_EQ(x.key, notes.view().doc(d).key);
    ASSERT_EQ(std::vector<int32_t>(x.terms.begin(), x.terms.end()),
              std::vector<int32_t>(y.terms.begin(), y.terms.end()));
    ASSERT_EQ(std::vector<uint32_t>(x.counts.begin(), x.counts.end()),
              std::vector<uint32_t>(y.counts.begin(), y.counts.end()));
    for (size_t j = 0; j < x.counts.size(); ++j) ASSERT_GT(x.counts[j], 0u);
    if (Tokens(x) < full) {
      ++thinned;
      kept += static_cast<double>(Tokens(x)) / full;
    }
    differs += Tokens(x) != Tokens(other_step.view().doc(d));
  }
  EXPECT_NEAR(thinned / 2000.0, 0.5, 0.05);
  EXPECT_NEAR(kept / thinned, 0.3, 0.01);
  EXPECT_GT(differs, 500) << "another step draws other notes and tokens";
}

TEST(ThinningTest, ShareZeroCopiesAndNoNoteIsLeftEmpty) {
  BowMatrix single(10);
  const std::vector<int32_t> term{3};
  const std::vector<uint32_t> one{1};
  for (uint64_t key = 0; key < 200; ++key) single.AddDocument(term, one, key);
  BowMatrix out;
  ThinDocuments(single.view(), 1.0, 0.05, 1, 1, out);
  for (int64_t d = 0; d < out.num_docs(); ++d) {
    ASSERT_EQ(out.view().doc(d).counts.size(), 1u) << "a note thinned to nothing keeps its token";
  }
  const BowMatrix notes = Notes(50);
  ThinDocuments(notes.view(), 0.0, 0.5, 1, 1, out);
  for (int64_t d = 0; d < out.num_docs(); ++d) {
    EXPECT_EQ(Tokens(out.view().doc(d)), Tokens(notes.view().doc(d)));
  }
}

}  // namespace
}  // namespace ntm
