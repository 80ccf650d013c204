// JSONL: one JSON object per line; lines are capped at max_line_bytes.
//
// Each line is parsed and fully validated by simdjson's DOM parser: a malformed
// value in any field, read or not, makes the record invalid_json. nlohmann::json,
// the parser this reader used before, is kept as the reference for the lines
// simdjson rejects: each is parsed again with it, so the few lines the two
// parsers judge differently keep their former outcome. Those are integers
// beyond 64 bits (simdjson: a number error; nlohmann: a double, so a bad id,
// or an accepted record when the number is in another field), nesting deeper
// than simdjson's 1024 levels, and lines over simdjson's 4 GiB capacity
// (reachable only with a larger max_line_bytes). A line simdjson rejects
// costs two parses, any other line one.
#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libvi/base/errors.h"
#include "tokenizer/readers/byte_stream.h"
#include "tokenizer/readers/source_reader.h"
#include "tokenizer/utf8.h"

namespace ntm {
namespace {

using nlohmann::json;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// A field of a parsed record, as found by either parser. `string` points into
// the parser's storage: valid until the next line is parsed.
struct FieldValue {
  enum class Kind { kAbsent, kNull, kString, kSigned, kUnsigned, kOther };
  Kind kind = Kind::kAbsent;
  std::string_view string;      // kString: the decoded value
  int64_t signed_value = 0;     // kSigned
  uint64_t unsigned_value = 0;  // kUnsigned (nlohmann: any non-negative integer)
};

// The two fields a record is read for.
struct RecordFields {
  FieldValue id;
  FieldValue text;
};

enum class LineShape { kInvalidJson, kNotAnObject, kObject };

// Records what simdjson found for a field (the kinds nlohmann told apart).
void Classify(simdjson::dom::element value, FieldValue& field) {
  using Type = simdjson::dom::element_type;
  switch (value.type()) {
    case Type::NULL_VALUE:
      field.kind = FieldValue::Kind::kNull;
      break;
    case Type::STRING:
      field.kind = FieldValue::Kind::kString;
      field.string = value.get_string().value_unsafe();
      break;
    case Type::INT64:
      field.kind = FieldValue::Kind::kSigned;
      field.signed_value = value.get_int64().value_unsafe();
      break;
    case Type::UINT64:  // above INT64_MAX
      field.kind = FieldValue::Kind::kUnsigned;
      field.unsigned_value = value.get_uint64().value_unsafe();
      break;
    default:
      field.kind = FieldValue::Kind::kOther;
  }
}

// The same for the nlohmann fallback.
void Classify(const json& value, FieldValue& field) {
  if (value.is_null()) {
    field.kind = FieldValue::Kind::kNull;
  } else if (value.is_string()) {
    field.kind = FieldValue::Kind::kString;
    field.string = value.get_ref<const std::string&>();
  } else if (value.is_number_unsigned()) {
    field.kind = FieldValue::Kind::kUnsigned;
    field.unsigned_value = value.get<uint64_t>();
  } else if (value.is_number_integer()) {
    field.kind = FieldValue::Kind::kSigned;
    field.signed_value = value.get<int64_t>();
  } else {
    field.kind = FieldValue::Kind::kOther;  // numbers beyond 64 bits are doubles here
  }
}

// Decimal digits of `value`, as nlohmann's dump() writes an integer.
template <typename Integer>
void SetDecimal(Integer value, std::string& out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.assign(digits, end);
}

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
    if (!IsAscii(line) && CountInvalidUtf8(line) > 0) {  // the JSON parsers reject bad UTF-8
      counters_.invalid_utf8_replaced += ReplaceInvalidUtf8(line, repaired_);
      line = repaired_;
    }
    RecordFields fields;
    switch (ReadFields(line, fields)) {
      case LineShape::kInvalidJson:
        Reject(MalformedReason::kInvalidJson, line_no, offset);
        return false;
      case LineShape::kNotAnObject:
        Reject(MalformedReason::kNotAnObject, line_no, offset);
        return false;
      case LineShape::kObject:
        break;
    }
    if (!ExtractId(fields.id, line_no, offset, doc.id)) return false;
    if (!ExtractText(fields.text, line_no, offset, doc.text)) return false;
    if (!FinishText(doc.text)) return false;
    FinishDocument(doc, line_no, offset);
    return true;
  }

  // Parses `line` with simdjson, or with nlohmann when simdjson rejects it.
  LineShape ReadFields(std::string_view line, RecordFields& fields) {
    // nlohmann skips one byte order mark at the start of its input; simdjson
    // does not. The fallback gets the line as it was, so never skips two.
    std::string_view json_text = line;
    if (json_text.starts_with(kUtf8Bom)) json_text.remove_prefix(kUtf8Bom.size());
    simdjson::dom::element root;
    // realloc_if_needed: the parser copies the line into its own padded
    // buffer, reused (and grown to the longest line) from line to line.
    if (parser_.parse(json_text.data(), json_text.size(), true).get(root)) {
      return ReadFieldsWithNlohmann(line, fields);
    }
    simdjson::dom::object object;
    if (root.get(object)) return LineShape::kNotAnObject;
    // Every field is visited so that, of duplicate keys, the last one wins,
    // as it does in nlohmann's DOM.
    for (const simdjson::dom::key_value_pair field : object) {
      if (field.key == options_.id_field) Classify(field.value, fields.id);
      if (field.key == options_.text_field) Classify(field.value, fields.text);
    }
    return LineShape::kObject;
  }

  // The reference parser, for the lines simdjson rejects (see the top of the file).
  LineShape ReadFieldsWithNlohmann(std::string_view line, RecordFields& fields) {
    try {
      fallback_record_ = json::parse(line);
    } catch (const json::exception&) {  // parse_error, and out_of_range for numbers like 1e999
      return LineShape::kInvalidJson;
    }
    if (!fallback_record_.is_object()) return LineShape::kNotAnObject;
    const auto id = fallback_record_.find(options_.id_field);
    if (id != fallback_record_.end()) Classify(*id, fields.id);
    const auto text = fallback_record_.find(options_.text_field);
    if (text != fallback_record_.end()) Classify(*text, fields.text);
    return LineShape::kObject;
  }

  bool ExtractId(const FieldValue& field, int64_t line_no, int64_t offset, std::string& id) {
    if (options_.id_field.empty()) {
      SyntheticId(offset, id);
      return true;
    }
    using Kind = FieldValue::Kind;
    if (field.kind == Kind::kAbsent || field.kind == Kind::kNull) {
      Reject(MalformedReason::kMissingId, line_no, offset, options_.id_field);
      return false;
    }
    if (field.kind == Kind::kString) {
      id.assign(field.string);
    } else if (field.kind == Kind::kSigned) {
      SetDecimal(field.signed_value, id);
    } else if (field.kind == Kind::kUnsigned) {
      SetDecimal(field.unsigned_value, id);
    } else {
      id.clear();
    }
    if (!IsUsableId(id)) {
      Reject(MalformedReason::kBadId, line_no, offset, options_.id_field);
      return false;
    }
    return true;
  }

  bool ExtractText(const FieldValue& field, int64_t line_no, int64_t offset, std::string& text) {
    using Kind = FieldValue::Kind;
    if (field.kind == Kind::kAbsent || field.kind == Kind::kNull) {
      Reject(MalformedReason::kMissingText, line_no, offset, options_.text_field);
      return false;
    }
    if (field.kind != Kind::kString) {
      Reject(MalformedReason::kNonStringText, line_no, offset, options_.text_field);
      return false;
    }
    text.assign(field.string);
    return true;
  }

  std::unique_ptr<ByteStream> stream_;
  std::unique_ptr<LineReader> lines_;
  int64_t line_number_ = 0;
  int64_t consumed_ = 0;
  bool done_ = false;
  std::string repaired_;
  // Reused for every line; its default maximum capacity is 4 GiB.
  simdjson::dom::parser parser_;
  json fallback_record_;  // the last line simdjson rejected and nlohmann parsed
};

}  // namespace

std::unique_ptr<DocumentReader> OpenJsonlReader(const InputSource& source, const WorkItem& item,
                                                const ReaderOptions& options) {
  return std::make_unique<JsonlReader>(source, item, options);
}

}  // namespace ntm
