// A JSON number outside the double range (1e999) in a JSONL line is one
// malformed record, not an escaped exception that ends the run (found by
// fuzzing: tests/fuzz/regressions/open/jsonl/number-overflow-1e999).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "libvi/base/errors.h"
#include "tokenizer/readers/readers.h"

namespace ntm {
namespace {

TEST(JsonlNumberOverflowTest, IsCountedAsInvalidJson) {
  std::string dir_template = (std::filesystem::temp_directory_path() / "ntm-jsonl-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(dir_template.data());
  const auto file = dir / "notes.jsonl";
  std::ofstream(file) << "{\"id\": \"a\", \"text\": \"first note\", \"score\": 1e999}\n"
                      << "{\"id\": \"b\", \"text\": \"second note\"}\n";
  const auto sources = ExpandInputs({file.string()});
  ReaderOptions options;
  auto reader = OpenReader(sources, {WorkItem{}}, options);
  RawDocument doc;
  ASSERT_TRUE(reader->Next(doc));
  EXPECT_EQ(doc.id, "b");
  EXPECT_FALSE(reader->Next(doc));
  const InputCounters c = reader->stats().total;
  EXPECT_EQ(c.records, 1);
  EXPECT_EQ(c.malformed[static_cast<size_t>(MalformedReason::kInvalidJson)], 1);
  options.on_error = OnError::kFail;
  auto strict = OpenReader(sources, {WorkItem{}}, options);
  EXPECT_THROW(strict->Next(doc), InputError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ntm
