// Term counting, merging across any partition of the documents, pruning, ids,
// the per-document (id, count) rows, and rank-independent sampling.
#include "tokenizer/vocabulary.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tests/tokenizer/test_util.h"
#include "tokenizer/document_tokenizer.h"
#include "tokenizer/sampling.h"

namespace ntm {
namespace {

using Doc = std::vector<std::string_view>;

// Words of the first 300 MTSamples notes (the strings own the bytes).
const std::vector<std::vector<std::string>>& CorpusWords() {
  static const std::vector<std::vector<std::string>> docs = [] {
    DocumentTokenizer tokenizer;
    std::vector<std::vector<std::string>> out;
    for (const std::string& text : testing::CorpusTexts("mtsamples.jsonl", 300)) {
      const auto words = tokenizer.Words(text);
      out.emplace_back(words.begin(), words.end());
    }
    return out;
  }();
  return docs;
}

void Count(TermCounter& counter, const std::vector<std::string>& words) {
  const Doc views(words.begin(), words.end());
  counter.AddDocument(views);
}

TEST(TermCounterTest, DocumentAndCorpusFrequency) {
  TermCounter counter;
  counter.AddDocument(Doc{"a", "b", "a"});
  counter.AddDocument(Doc{"a", "c"});
  counter.AddDocument(Doc{});
  EXPECT_EQ(counter.documents(), 3);
  EXPECT_EQ(counter.SortedTerms(), (std::vector<TermStats>{{"a", 2, 3}, {"b", 1, 1}, {"c", 1, 1}}));
}

TEST(TermCounterTest, IndicesNameTheCountedTerms) {
  TermCounter counter;
  std::vector<int32_t> indices;
  counter.AddDocument(Doc{"b", "a", "b"}, &indices);
  counter.AddDocument(Doc{"c", "a"}, &indices);
  ASSERT_EQ(indices, (std::vector<int32_t>{0, 1, 0, 2, 1}));
  const std::vector<std::string_view> terms = {"b", "a", "b", "c", "a"};
  for (size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(counter.Term(indices[i]), terms[i]);
  EXPECT_EQ(counter.size(), 3);
}

// Counts the corpus split into `parts` parts by `part_of`, then merges the
// serialized parts in reverse order (as a gather might deliver them).
std::string MergedCounts(int parts, bool round_robin) {
  const auto& docs = CorpusWords();
  std::vector<TermCounter> counters(parts);
  for (size_t d = 0; d < docs.size(); ++d) {
    const size_t part = round_robin ? d % parts : d * parts / docs.size();
    Count(counters[part], docs[d]);
  }
  TermCounter merged;
  for (int p = parts - 1; p >= 0; --p) merged.MergeSerialized(counters[p].Serialize());
  return merged.Serialize();
}

TEST(TermCounterTest, MergeIsIndependentOfPartitioning) {
  const std::string one = MergedCounts(1, false);
  for (int parts : {2, 3}) {
    // EXPECT_TRUE, not EXPECT_EQ: a failure must not print corpus words.
    EXPECT_TRUE(MergedCounts(parts, false) == one) << parts;
    EXPECT_TRUE(MergedCounts(parts, true) == one) << parts;
  }
  TermCounter a, b;
  a.MergeSerialized(one);
  b.MergeSerialized(MergedCounts(3, true));
  PruneOptions prune;
  prune.min_df = 3;
  prune.max_df = 0.4;
  prune.max_size = 500;
  const Vocabulary va = Vocabulary::Build(a, prune), vb = Vocabulary::Build(b, prune);
  EXPECT_TRUE(va.terms() == vb.terms());
  EXPECT_EQ(va.size(), 500);
  for (int32_t id = 1; id < va.size(); ++id) {  // df descending, ties by term
    const TermStats &prev = va.terms()[id - 1], &cur = va.terms()[id];
    ASSERT_TRUE(prev.df > cur.df || (prev.df == cur.df && prev.term < cur.term)) << id;
  }
}

TEST(TermCounterTest, DamagedBytesAreRejected) {
  TermCounter counter;
  counter.AddDocument(Doc{"x"});
  std::string bytes = counter.Serialize();
  bytes[bytes.size() / 2] ^= 1;
  TermCounter other;
  EXPECT_THROW(other.MergeSerialized(bytes), InputError);
  EXPECT_THROW(other.MergeSerialized("junk"), InputError);
}

TEST(VocabularyTest, PruningAndDeterministicIds) {
  TermCounter counter;
  counter.AddDocument(Doc{"common", "b", "a", "rare"});
  counter.AddDocument(Doc{"common", "b", "a"});
  counter.AddDocument(Doc{"common", "c", "c"});
  counter.AddDocument(Doc{"common", "c"});
  PruneOptions prune;
  prune.min_df = 2;
  prune.max_df = 0.75;  // "common" is in 4 of 4 documents
  prune.max_size = 0;
  const Vocabulary v = Vocabulary::Build(counter, prune);
  ASSERT_EQ(v.size(), 3);
  EXPECT_EQ(v.terms()[0].term, "a");  // df 2 each: ties broken by term
  EXPECT_EQ(v.terms()[1].term, "b");
  EXPECT_EQ(v.terms()[2], (TermStats{"c", 2, 3}));
  EXPECT_EQ(v.Lookup("b"), 1);
  EXPECT_EQ(v.Lookup("rare"), -1);
  EXPECT_EQ(v.prune_stats().dropped_min_df, 1);
  EXPECT_EQ(v.prune_stats().dropped_max_df, 1);
  prune.max_size = 2;
  const Vocabulary top2 = Vocabulary::Build(counter, prune);
  EXPECT_EQ(top2.size(), 2);
  EXPECT_EQ(top2.Lookup("c"), -1);
  EXPECT_EQ(top2.prune_stats().dropped_max_size, 1);
}

TEST(VocabularyTest, FromTermsRejectsRepeats) {
  EXPECT_EQ(Vocabulary::FromTerms({{"x", 1, 1}, {"y", 1, 1}}).Lookup("y"), 1);
  EXPECT_THROW(Vocabulary::FromTerms({{"x", 1, 1}, {"x", 1, 1}}), InputError);
  EXPECT_THROW(Vocabulary::FromTerms({{"", 1, 1}}), InputError);
}

TEST(DocumentTermsTest, AscendingIdCountPairs) {
  const Vocabulary v = Vocabulary::FromTerms({{"a", 1, 1}, {"b", 1, 1}, {"c", 1, 1}});
  DocumentTerms row;
  const auto& pairs = row.Count(v, Doc{"c", "a", "zz", "c", "b", "c"});
  EXPECT_EQ(pairs, (std::vector<TermCount>{{0, 1}, {1, 1}, {2, 3}}));
  EXPECT_EQ(row.tokens(), 5);
  EXPECT_EQ(row.oov_tokens(), 1);
  EXPECT_TRUE(row.Count(v, Doc{"q"}).empty());
}

TEST(SamplingTest, SampleIsIndependentOfRankCount) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back("doc-" + std::to_string(i));
  auto sample = [&ids](int ranks) {
    std::vector<SampleReservoir> per_rank(ranks, SampleReservoir(100));
    for (size_t i = 0; i < ids.size(); ++i) {
      per_rank[i * ranks / ids.size()].Offer(SampleKey(ids[i], 9), ids[i], "s" + ids[i]);
    }
    SampleReservoir merged(100);
    for (const auto& r : per_rank) merged.MergeSerialized(r.Serialize());
    std::vector<std::string> out;
    for (const SampleEntry& e : merged.SortedEntries()) out.push_back(e.id + "|" + e.sentence);
    return out;
  };
  const auto one = sample(1);
  EXPECT_EQ(one.size(), 100u);
  EXPECT_EQ(sample(3), one);
  EXPECT_EQ(sample(7), one);
  int in = 0;
  for (const auto& id : ids) in += InSample(id, 9, 0.1);
  EXPECT_NEAR(in, 500, 80);
  EXPECT_EQ(HashId("abc"), HashId(std::string("abc")));
  EXPECT_NE(SampleKey("abc", 1), SampleKey("abc", 2));
}

}  // namespace
}  // namespace ntm
