// Internal: the part shared by the per-format readers (reject policy, text
// clean-up, counters) and the factories of each format.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/readers/readers.h"

namespace ntm {

// Base of the JSONL, CSV and txt readers: one source, one work item.
class SourceReader : public DocumentReader {
 public:
  ReaderStats stats() const override;

 protected:
  SourceReader(const InputSource& source, const WorkItem& item, const ReaderOptions& options);
  // Counts a malformed record, or throws InputError under OnError::kFail.
  void Reject(MalformedReason reason, int64_t line, int64_t offset, std::string_view field = {});
  // Repairs UTF-8, truncates to max_doc_bytes, and returns false (counted) for
  // an empty or whitespace-only text.
  bool FinishText(std::string& text);
  // Sets the file and ordering fields of `doc` and counts the record.
  void FinishDocument(RawDocument& doc, int64_t line, int64_t offset);
  // "<file name>@<offset>": the id when ReaderOptions::id_field is empty.
  void SyntheticId(int64_t offset, std::string& id) const;

  const InputSource& source_;
  const WorkItem item_;
  const ReaderOptions& options_;
  InputCounters counters_;
  std::string scratch_;  // reused by UTF-8 repair
};

// Location prefix of messages: "<file>:<line>" or "<file> (byte offset N)" when the
// line is unknown.
std::string RecordLocation(std::string_view file, int64_t line, int64_t offset);

// Longest id accepted, in bytes (longer ones are malformed: kBadId).
inline constexpr size_t kMaxIdBytes = 1024;

// False for an empty id, one longer than kMaxIdBytes, or one holding a tab or
// line break (ids are written one per line and in TSV files).
bool IsUsableId(std::string_view id);

std::unique_ptr<DocumentReader> OpenJsonlReader(const InputSource& source, const WorkItem& item,
                                                const ReaderOptions& options);
std::unique_ptr<DocumentReader> OpenCsvReader(const InputSource& source, const WorkItem& item,
                                              const ReaderOptions& options);
std::unique_ptr<DocumentReader> OpenDatabaseReader(const InputSource& source, const WorkItem& item,
                                                   const ReaderOptions& options);
std::unique_ptr<DocumentReader> OpenTextReader(const InputSource& source, const WorkItem& item,
                                               const ReaderOptions& options);

}  // namespace ntm
