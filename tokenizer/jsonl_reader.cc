// JSONL: one JSON object per line; lines are capped at max_line_bytes.
#include <nlohmann/json.hpp>

#include "libvi/errors.h"
#include "tokenizer/byte_stream.h"
#include "tokenizer/source_reader.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

using nlohmann::json;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

class JsonlReader final : public SourceReader {
 public:
  JsonlReader(const InputSource& source, const WorkItem& item, const ReaderOptions& options)
      : SourceReader(source, item, options), stream_(ByteStream::Open(source.path)) {
    const int64_t start = item.begin > 0 ? item.begin - 1 : 0;
    if (start > 0) stream_->Seek(start);
    lines_ = std::make_unique<LineReader>(*stream_, start, options.max_line_bytes);
    line_number_ = item.begin == 0 ? 0 : -1;  // -1: unknown inside a byte range
    if (item.begin > 0) SkipPartialLine();
    consumed_ = lines_->position();
  }

  bool Next(RawDocument& doc) override {
    std::string_view line;
    int64_t offset = 0;
    bool too_long = false;
    while (!done_ && lines_->Next(line, offset, too_long)) {
      if (offset >= item_.end) break;
      if (line_number_ >= 0) ++line_number_;
      counters_.bytes_read += lines_->position() - consumed_;
      consumed_ = lines_->position();
      const int64_t line_no = std::max<int64_t>(line_number_, 0);
      if (too_long) {
        Reject(MalformedReason::kLineTooLong, line_no, offset);
        continue;
      }
      if (offset == 0 && line.starts_with(kUtf8Bom)) line.remove_prefix(kUtf8Bom.size());
      if (ParseLine(line, line_no, offset, doc)) return true;
    }
    done_ = true;
    return false;
  }

 private:
  // Reads up to and including the first '\n' at or after item.begin - 1, so
  // the next line starts at or after item.begin.
  void SkipPartialLine() {
    std::string_view line;
    int64_t offset = 0;
    bool too_long = false;
    lines_->Next(line, offset, too_long);
  }

  // Parses one line into `doc`; false if the line yields no document.
  bool ParseLine(std::string_view line, int64_t line_no, int64_t offset, RawDocument& doc) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return false;
    if (!IsAscii(line) && CountInvalidUtf8(line) > 0) {  // the JSON parser rejects bad UTF-8
      counters_.invalid_utf8_replaced += ReplaceInvalidUtf8(line, repaired_);
      line = repaired_;
    }
    json record;
    try {
      record = json::parse(line);
    } catch (const json::exception&) {  // parse_error, and out_of_range for numbers like 1e999
      Reject(MalformedReason::kInvalidJson, line_no, offset);
      return false;
    }
    if (!record.is_object()) {
      Reject(MalformedReason::kNotAnObject, line_no, offset);
      return false;
    }
    if (!ExtractId(record, line_no, offset, doc.id)) return false;
    if (!ExtractText(record, line_no, offset, doc.text)) return false;
    if (!FinishText(doc.text)) return false;
    FinishDocument(doc, line_no, offset);
    return true;
  }

  bool ExtractId(const json& record, int64_t line_no, int64_t offset, std::string& id) {
    if (options_.id_field.empty()) {
      SyntheticId(offset, id);
      return true;
    }
    const auto it = record.find(options_.id_field);
    if (it == record.end() || it->is_null()) {
      Reject(MalformedReason::kMissingId, line_no, offset, options_.id_field);
      return false;
    }
    if (it->is_string()) {
      id = it->get_ref<const std::string&>();
    } else if (it->is_number_integer()) {  // also unsigned
      id = it->dump();
    } else {
      id.clear();
    }
    if (!IsUsableId(id)) {
      Reject(MalformedReason::kBadId, line_no, offset, options_.id_field);
      return false;
    }
    return true;
  }

  bool ExtractText(json& record, int64_t line_no, int64_t offset, std::string& text) {
    const auto it = record.find(options_.text_field);
    if (it == record.end() || it->is_null()) {
      Reject(MalformedReason::kMissingText, line_no, offset, options_.text_field);
      return false;
    }
    if (!it->is_string()) {
      Reject(MalformedReason::kNonStringText, line_no, offset, options_.text_field);
      return false;
    }
    text = std::move(it->get_ref<std::string&>());
    return true;
  }

  std::unique_ptr<ByteStream> stream_;
  std::unique_ptr<LineReader> lines_;
  int64_t line_number_ = 0;
  int64_t consumed_ = 0;
  bool done_ = false;
  std::string repaired_;
};

}  // namespace

std::unique_ptr<DocumentReader> OpenJsonlReader(const InputSource& source, const WorkItem& item,
                                                const ReaderOptions& options) {
  return std::make_unique<JsonlReader>(source, item, options);
}

}  // namespace ntm
