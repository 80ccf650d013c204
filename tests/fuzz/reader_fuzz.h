// The body shared by jsonl_fuzzer.cc and csv_fuzzer.cc: reads fuzz bytes as a
// JSONL or CSV source through OpenReader (gzip too, when the bytes start with
// its magic) and checks what readers.h promises:
//  - only ntm::Error types escape (anything else is an internal error, exit 70);
//  - every document has a usable id and valid UTF-8 text within max_doc_bytes;
//  - reading the source as two byte ranges [0, s) and [s, end) gives exactly the
//    documents of one whole read, in order ("exact for any input").
// Input layout: byte 0 = option bits, byte 1 = split point (fraction of the
// size), the rest = file contents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libvi/base/errors.h"
#include "tests/fuzz/fuzz_util.h"
#include "tokenizer/readers/byte_stream.h"
#include "tokenizer/readers/readers.h"

namespace ntm::fuzz {

struct ReadDoc {
  std::string id, text;
  int64_t offset = 0, line = 0;
  // Same record: the line is 0 ("unknown") for readers that start mid-file.
  bool SameAs(const ReadDoc& whole) const {
    return id == whole.id && text == whole.text && offset == whole.offset &&
           (line == whole.line || line == 0);
  }
};

// Reads `item` of `source` to the end; false if an ntm::Error was thrown.
inline bool ReadItem(const InputSource& source, const WorkItem& item, const ReaderOptions& options,
                     std::vector<ReadDoc>& docs, ReaderStats* stats) {
  try {
    auto reader = OpenReader(source, item, options);
    RawDocument doc;
    while (reader->Next(doc)) {
      NTM_FUZZ_CHECK(!doc.id.empty() && doc.id.size() <= 1024 &&
                         doc.id.find_first_of("\t\r\n") == std::string::npos,
                     "document id usable (non-empty, <= 1 KiB, no tab or line break)");
      NTM_FUZZ_CHECK(IsValidUtf8(doc.text), "document text is valid UTF-8");
      NTM_FUZZ_CHECK(static_cast<int64_t>(doc.text.size()) <= options.max_doc_bytes,
                     "document text within max_doc_bytes");
      NTM_FUZZ_CHECK(doc.offset >= item.begin && doc.offset < item.end,
                     "document offset inside its work item");
      docs.push_back({doc.id, doc.text, doc.offset, doc.line});
    }
    if (stats != nullptr) *stats = reader->stats();
    return true;
  } catch (const Error&) {
    return false;
  }
}

inline int FuzzReader(const uint8_t* data, size_t size, InputFormat format) {
  static MemFile file("ntm-fuzz-reader");
  Bytes in(data, size);
  const uint8_t flags = in.Take();
  const uint8_t split = in.Take();
  const std::string_view contents = in.Rest();
  file.Set(contents);

  ReaderOptions options;
  options.format = format;
  options.on_error = (flags & 1) ? OnError::kFail : OnError::kSkip;
  if (flags & 2) options.max_doc_bytes = 16;
  if (flags & 4) options.max_line_bytes = 64;
  if (flags & 8) options.id_field = "";
  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  options.csv_delimiter = kDelimiters[(flags >> 4) & 3];
  if (flags & 64) options.text_field = "note";

  InputSource source;
  source.path = file.path();
  source.id = "fuzz";
  source.format = format;
  try {
    source.gzip = ByteStream::IsGzipFile(source.path);
  } catch (const Error&) {
    NTM_FUZZ_CHECK(false, "an in-memory file is always readable");
  }
  source.size_bytes = static_cast<int64_t>(contents.size());
  source.index = 0;

  std::vector<ReadDoc> whole;
  ReaderStats whole_stats;
  const bool ok = ReadItem(source, WorkItem{0, 0, INT64_MAX}, options, whole, &whole_stats);
  if (ok) {
    NTM_FUZZ_CHECK(whole_stats.total.records == static_cast<int64_t>(whole.size()),
                   "records counter equals documents returned");
  }
  // Byte ranges: plain files only, skip policy only (fail stops at the first reject).
  if (!ok || source.gzip || options.on_error != OnError::kSkip || contents.empty()) return 0;
  const int64_t s = static_cast<int64_t>(contents.size()) * split / 256;
  std::vector<ReadDoc> halves;
  ReaderStats a, b;
  const bool ok_a = ReadItem(source, WorkItem{0, 0, s}, options, halves, &a);
  const bool ok_b = ReadItem(source, WorkItem{0, s, INT64_MAX}, options, halves, &b);
  NTM_FUZZ_CHECK(ok_a && ok_b, "a byte range of a readable source is readable");
  NTM_FUZZ_CHECK(halves.size() == whole.size(), "two byte ranges give as many documents as one");
  for (size_t i = 0; i < whole.size(); ++i) {
    NTM_FUZZ_CHECK(halves[i].SameAs(whole[i]), "two byte ranges give the same documents as one");
  }
  NTM_FUZZ_CHECK(
      a.total.malformed_total() + b.total.malformed_total() == whole_stats.total.malformed_total(),
      "two byte ranges count the same malformed records as one");
  return 0;
}

}  // namespace ntm::fuzz
