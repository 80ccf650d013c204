#include "tokenizer/readers/source_reader.h"

#include <filesystem>

#include "libvi/base/errors.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

bool IsBlank(std::string_view text) {
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

}  // namespace

std::string RecordLocation(std::string_view file, int64_t line, int64_t offset) {
  std::string where(file);
  if (line > 0) return where + ":" + std::to_string(line);
  return where + " (byte offset " + std::to_string(offset) + ")";
}

bool IsUsableId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && id.find_first_of("\t\r\n") == id.npos;
}

SourceReader::SourceReader(const InputSource& source, const WorkItem& item,
                           const ReaderOptions& options)
    : source_(source), item_(item), options_(options) {}

ReaderStats SourceReader::stats() const {
  ReaderStats stats;
  stats.Add(source_.index, counters_);
  return stats;
}

void SourceReader::Reject(MalformedReason reason, int64_t line, int64_t offset,
                          std::string_view field) {
  if (options_.on_error == OnError::kFail) {
    std::string message = RecordLocation(source_.path, line, offset) + ": malformed record (" +
                          std::string(MalformedReasonName(reason)) + ")";
    if (!field.empty()) message += ", field '" + std::string(field) + "'";
    throw InputError(message);
  }
  ++counters_.malformed[static_cast<size_t>(reason)];
  if (options_.on_reject) options_.on_reject({source_.path, line, offset, reason});
}

bool SourceReader::FinishText(std::string& text) {
  const size_t max = static_cast<size_t>(options_.max_doc_bytes);
  bool truncated = false;
  // Cut before repairing (bounded work), and again if repairs grew the text.
  if (text.size() > max) {
    text.resize(Utf8PrefixLength(text, max));
    truncated = true;
  }
  counters_.invalid_utf8_replaced += RepairUtf8InPlace(text, scratch_);
  if (text.size() > max) {
    text.resize(Utf8PrefixLength(text, max));
    truncated = true;
  }
  if (IsBlank(text)) {
    ++counters_.empty_skipped;
    return false;
  }
  counters_.truncated += truncated;
  return true;
}

void SourceReader::FinishDocument(RawDocument& doc, int64_t line, int64_t offset) {
  doc.file = source_.path;
  doc.line = line;
  doc.source_index = source_.index;
  doc.offset = offset;
  ++counters_.records;
}

void SourceReader::SyntheticId(int64_t offset, std::string& id) const {
  id = std::filesystem::path(source_.path).filename().string();
  id += '@';
  id += std::to_string(offset);
}

}  // namespace ntm
