// Byte ranges and work assignment: any split of the inputs over ranks gives
// every record to exactly one rank, in global order.
#include "tokenizer/work_assignment.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tests/tokenizer/test_util.h"

namespace ntm {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

// (source, offset, id, text) of a document: what must match across splits.
using Key = std::tuple<int64_t, int64_t, std::string, std::string>;

std::vector<Key> ReadItems(const std::vector<InputSource>& sources,
                           const std::vector<WorkItem>& items, InputCounters* counters = nullptr) {
  ReaderOptions options;
  auto reader = OpenReader(sources, items, options);
  std::vector<Key> keys;
  RawDocument doc;
  while (reader->Next(doc)) keys.emplace_back(doc.source_index, doc.offset, doc.id, doc.text);
  if (counters != nullptr) *counters += reader->stats().total;
  return keys;
}

// Documents of all ranks, concatenated in rank order.
std::vector<Key> ReadAllRanks(const std::vector<InputSource>& sources, int num_ranks,
                              InputCounters* counters = nullptr) {
  std::vector<Key> all;
  for (int rank = 0; rank < num_ranks; ++rank) {
    const auto part = ReadItems(sources, AssignWork(sources, rank, num_ranks), counters);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

TEST(ByteRangeTest, JsonlSplitIntoOneTwoThreeRangesGivesTheSameRecords) {
  ScratchDir dir;
  WriteFile(dir / "mt.jsonl", testing::CorpusHead("mtsamples.jsonl", 200));
  const auto sources = ExpandInputs({dir / "mt.jsonl"});
  const auto whole = ReadAllRanks(sources, 1);
  ASSERT_EQ(whole.size(), 200u);
  for (int ranks : {2, 3, 7}) {
    InputCounters counters;
    // EXPECT_TRUE, not EXPECT_EQ: a failure must not print corpus text.
    EXPECT_TRUE(ReadAllRanks(sources, ranks, &counters) == whole) << ranks << " ranks";
    EXPECT_EQ(counters.records, 200);
    EXPECT_EQ(counters.bytes_read, sources[0].size_bytes);
  }
}

// Splits one file at every byte and checks [0, b) + [b, end) == whole.
void CheckEverySplitPoint(const std::string& path) {
  const auto sources = ExpandInputs({path});
  const auto whole = ReadItems(sources, {{0, 0, INT64_MAX}});
  ASSERT_FALSE(whole.empty());
  for (int64_t b = 0; b <= sources[0].size_bytes; ++b) {
    auto parts = ReadItems(sources, {{0, 0, b}});
    const auto tail = ReadItems(sources, {{0, b, INT64_MAX}});
    parts.insert(parts.end(), tail.begin(), tail.end());
    ASSERT_EQ(parts, whole) << "split at byte " << b;
  }
}

TEST(ByteRangeTest, JsonlEverySplitPoint) {
  ScratchDir dir;
  WriteFile(dir / "s.jsonl",
            "{\"id\": \"1\", \"text\": \"one\"}\n\n"
            "{\"id\": \"2\", \"text\": \"two\\nlines\"}\r\n"
            "not json\n"
            "{\"id\": \"3\", \"text\": \"three\"}");
  CheckEverySplitPoint(dir / "s.jsonl");
}

TEST(ByteRangeTest, CsvWithQuotedNewlinesEverySplitPoint) {
  ScratchDir dir;
  // Quoted fields hold line breaks followed by text that looks like records.
  WriteFile(dir / "q.csv",
            "id,text\n"
            "1,\"first\n2,fake record\n\"\n"
            "3,\"with \"\"quotes\"\", and, commas\"\r\n"
            "4,\"\n\n5,\"\"x\"\"\n\"\n"
            "6,plain\n"
            "7,\"broken\"x\n"
            "8,last");
  CheckEverySplitPoint(dir / "q.csv");
  const auto sources = ExpandInputs({dir / "q.csv"});
  const auto whole = ReadAllRanks(sources, 1);
  ASSERT_EQ(whole.size(), 5u);  // 1 3 4 6 8; 7 is malformed
  for (int ranks : {2, 3, 5}) EXPECT_EQ(ReadAllRanks(sources, ranks), whole) << ranks;
}

TEST(WorkAssignmentTest, ManyFilesEachReadOnceInOrder) {
  ScratchDir dir;
  std::vector<std::string> paths;
  for (int f = 0; f < 10; ++f) {
    std::string body;
    for (int d = 0; d <= f * 3; ++d) {
      body += "{\"id\": \"f" + std::to_string(f) + "d" + std::to_string(d) +
              "\", \"text\": \"note " + std::string(f * 10, 'x') + "\"}\n";
    }
    paths.push_back(dir / ("f" + std::to_string(f) + ".jsonl"));
    if (f % 3 == 0) {
      paths.back() += ".gz";
      testing::WriteGzip(paths.back(), body);
    } else {
      WriteFile(paths.back(), body);
    }
  }
  WriteFile(dir / "folder/a.txt", "text a");
  WriteFile(dir / "folder/b/c.txt", "text c");
  paths.push_back(dir / "folder");
  const auto sources = ExpandInputs(paths);
  ASSERT_EQ(sources.size(), 12u);
  const auto whole = ReadAllRanks(sources, 1);
  for (int ranks : {2, 3, 4, 12, 20}) {
    EXPECT_EQ(ReadAllRanks(sources, ranks), whole) << ranks << " ranks";
  }
  for (int rank = 0; rank < 4; ++rank) {
    for (const WorkItem& item : AssignWork(sources, rank, 4)) {
      if (sources[item.source_index].gzip) {
        EXPECT_EQ(item, (WorkItem{item.source_index, 0, INT64_MAX}));  // never split
      }
    }
  }
}

TEST(WorkAssignmentTest, BalancedByBytes) {
  ScratchDir dir;
  WriteFile(dir / "big.jsonl", testing::CorpusHead("medquad.jsonl", 400));
  const auto sources = ExpandInputs({dir / "big.jsonl"});
  for (int rank = 0; rank < 4; ++rank) {
    const auto items = AssignWork(sources, rank, 4);
    ASSERT_EQ(items.size(), 1u);
    const int64_t end = items[0].end == INT64_MAX ? sources[0].size_bytes : items[0].end;
    EXPECT_NEAR(static_cast<double>(end - items[0].begin), sources[0].size_bytes / 4.0, 1.0);
  }
  EXPECT_THROW(AssignWork(sources, 4, 4), ConfigError);
}

TEST(WorkAssignmentTest, CsvKeptWholeWhenAsked) {
  ScratchDir dir;
  WriteFile(dir / "a.csv", "id,text\n1,x\n2,y\n3,z\n");
  const auto sources = ExpandInputs({dir / "a.csv"});
  AssignOptions whole;
  whole.split_csv = false;
  EXPECT_EQ(AssignWork(sources, 0, 2, whole).size(), 1u);
  EXPECT_TRUE(AssignWork(sources, 1, 2, whole).empty());
  EXPECT_EQ(AssignWork(sources, 1, 2).size(), 1u);
}

}  // namespace
}  // namespace ntm
