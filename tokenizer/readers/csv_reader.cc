// CSV per RFC 4180: quoted fields may hold delimiters, doubled quotes and line
// breaks; CRLF or LF line ends; the first record is the header. Broken quoting
// makes a record malformed but the parser carries on leniently, so record
// boundaries are a pure function of the bytes (byte ranges depend on that).
#include <algorithm>
#include <vector>

#include "libvi/base/errors.h"
#include "tokenizer/readers/byte_stream.h"
#include "tokenizer/readers/source_reader.h"

namespace ntm {
namespace {

constexpr size_t kReadBuffer = 256 << 10;
constexpr size_t kMaxHeaderField = 4096;

// One parsed record: where it starts, what went wrong, and the kept fields.
struct CsvRecord {
  int64_t offset = 0;  // byte offset of its first byte
  int64_t line = 0;    // 1-based line of its first byte
  int fields = 0;      // number of fields
  bool blank = false;  // an empty line
  bool bad_quoting = false;
  bool unterminated = false;
  bool too_long = false;
  std::vector<std::string> kept;  // fields selected by CsvParser::SetColumns
};

// The record-boundary state machine, with optional storage of some columns.
class CsvParser {
 public:
  CsvParser(ByteStream& stream, char delimiter, int64_t max_record_bytes)
      : stream_(stream),
        delimiter_(delimiter),
        max_record_bytes_(max_record_bytes),
        buffer_(kReadBuffer) {}

  // Keeps column c in kept[slot_of_column[c]] (-1: dropped), at most caps[slot] bytes.
  // keep_all: every column, up to kMaxHeaderField bytes (the header).
  void SetColumns(std::vector<int> slot_of_column, std::vector<size_t> caps, bool keep_all) {
    slot_of_column_ = std::move(slot_of_column);
    caps_ = std::move(caps);
    keep_all_ = keep_all;
  }

  // Parses the next record; false at end of input.
  bool Next(CsvRecord& record) {
    if (Peek() < 0) return false;
    StartRecord(record);
    State state = kFieldStart;
    int column = 0;
    for (;;) {
      const int c = Get();
      if (c < 0) return EndAtEof(record, state, column);
      if (offset_ - record.offset > max_record_bytes_) return EndTooLong(record, c);
      if (Step(record, state, column, c)) return true;
    }
  }

  // Byte offset where the next record starts.
  int64_t offset() const { return offset_; }

 private:
  enum State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

  // Feeds one byte; true when it ended the record.
  bool Step(CsvRecord& record, State& state, int& column, int c) {
    if (state == kQuoted) {
      if (c == '"')
        state = kQuoteInQuoted;
      else
        Keep(record, column, c);
      return false;
    }
    if (c == delimiter_) {
      ++column;
      state = kFieldStart;
    } else if (c == '\n' || (c == '\r' && EatLineFeed())) {
      record.fields = column + 1;
      record.blank = column == 0 && state == kFieldStart;
      return true;
    } else if (c == '"' && state == kFieldStart) {
      state = kQuoted;
    } else if (c == '"' && state == kQuoteInQuoted) {
      Keep(record, column, c);  // a doubled quote
      state = kQuoted;
    } else {
      record.bad_quoting |= c == '"' || state == kQuoteInQuoted;
      Keep(record, column, c);
      state = kUnquoted;
    }
    return false;
  }

  void StartRecord(CsvRecord& record) {
    record.offset = offset_;
    record.line = line_;
    record.fields = 0;
    record.blank = record.bad_quoting = record.unterminated = record.too_long = false;
    if (!keep_all_) record.kept.resize(caps_.size());
    for (std::string& field : record.kept) field.clear();
  }

  bool EndAtEof(CsvRecord& record, State state, int column) {
    record.unterminated = state == kQuoted;
    record.fields = column + 1;
    return true;
  }

  // Drops the rest of an oversized record up to the next line break: memory
  // stays bounded even when an unterminated quote would swallow the file.
  bool EndTooLong(CsvRecord& record, int c) {
    record.too_long = true;
    while (c >= 0 && c != '\n') c = Get();
    return true;
  }

  void Keep(CsvRecord& record, int column, int c) {
    if (keep_all_) {
      if (static_cast<size_t>(column) >= record.kept.size()) record.kept.resize(column + 1);
      if (record.kept[column].size() < kMaxHeaderField) record.kept[column].push_back(c);
      return;
    }
    if (static_cast<size_t>(column) >= slot_of_column_.size()) return;
    const int slot = slot_of_column_[column];
    if (slot >= 0 && record.kept[slot].size() < caps_[slot]) record.kept[slot].push_back(c);
  }

  bool EatLineFeed() {
    if (Peek() != '\n') return false;
    Get();
    return true;
  }

  int Peek() {
    if (pos_ == end_ && !Refill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_]);
  }

  int Get() {
    if (pos_ == end_ && !Refill()) return -1;
    const int c = static_cast<unsigned char>(buffer_[pos_++]);
    ++offset_;
    line_ += c == '\n';
    return c;
  }

  bool Refill() {
    pos_ = 0;
    end_ = stream_.Read(buffer_.data(), buffer_.size());
    return end_ > 0;
  }

  ByteStream& stream_;
  const int delimiter_;
  const int64_t max_record_bytes_;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
  int64_t offset_ = 0;
  int64_t line_ = 1;
  std::vector<int> slot_of_column_;
  std::vector<size_t> caps_;
  bool keep_all_ = false;
};

class CsvReader final : public SourceReader {
 public:
  CsvReader(const InputSource& source, const WorkItem& item, const ReaderOptions& options)
      : SourceReader(source, item, options),
        stream_(ByteStream::Open(source.path)),
        parser_(*stream_, options.csv_delimiter, options.max_line_bytes) {
    if (!ReadHeader()) {
      done_ = true;
      return;
    }
    if (item.begin > parser_.offset()) FastForward();
  }

  bool Next(RawDocument& doc) override {
    while (!done_ && parser_.offset() < item_.end && parser_.Next(record_)) {
      counters_.bytes_read += parser_.offset() - record_.offset;
      if (record_.blank) continue;
      if (Accept(doc)) return true;
    }
    done_ = true;
    return false;
  }

 private:
  // Parses the header and selects the id and text columns.
  bool ReadHeader() {
    parser_.SetColumns({}, {}, /*keep_all=*/true);
    CsvRecord header;
    if (!parser_.Next(header)) return false;
    if (item_.begin == 0) counters_.bytes_read += parser_.offset();
    if (header.bad_quoting || header.unterminated || header.too_long) {
      throw InputError(source_.path + ":1: malformed CSV header");
    }
    header.kept.resize(header.fields);
    if (!header.kept.empty() && header.kept[0].starts_with("\xEF\xBB\xBF")) {
      header.kept[0].erase(0, 3);  // UTF-8 byte order mark
    }
    header_fields_ = header.fields;
    std::vector<int> slots(header.fields, -1);
    if (!options_.id_field.empty()) slots[FindColumn(header, options_.id_field)] = 0;
    slots[FindColumn(header, options_.text_field)] = 1;
    slots_ = std::move(slots);
    caps_ = {kMaxIdBytes + 1, static_cast<size_t>(options_.max_doc_bytes) + 4};
    parser_.SetColumns(slots_, caps_, /*keep_all=*/false);
    return true;
  }

  size_t FindColumn(const CsvRecord& header, const std::string& name) const {
    const auto it = std::find(header.kept.begin(), header.kept.end(), name);
    if (it == header.kept.end()) {
      throw InputError(source_.path + ":1: CSV header has no column '" + name + "'");
    }
    return static_cast<size_t>(it - header.kept.begin());
  }

  // Runs the boundary machine, storing nothing, up to the first record
  // boundary at or after item.begin.
  void FastForward() {
    parser_.SetColumns({}, {}, /*keep_all=*/false);
    CsvRecord skipped;
    while (parser_.offset() < item_.begin && parser_.Next(skipped)) {
    }
    parser_.SetColumns(slots_, caps_, /*keep_all=*/false);
  }

  bool Accept(RawDocument& doc) {
    MalformedReason reason = MalformedReason::kCount;
    if (record_.too_long)
      reason = MalformedReason::kLineTooLong;
    else if (record_.unterminated)
      reason = MalformedReason::kUnterminatedQuote;
    else if (record_.bad_quoting)
      reason = MalformedReason::kBadQuoting;
    else if (record_.fields != header_fields_)
      reason = MalformedReason::kFieldCount;
    else
      AcceptId(doc.id, reason);
    if (reason != MalformedReason::kCount) {
      Reject(reason, record_.line, record_.offset);
      return false;
    }
    doc.text.swap(record_.kept[1]);
    if (!FinishText(doc.text)) return false;
    FinishDocument(doc, record_.line, record_.offset);
    return true;
  }

  bool AcceptId(std::string& id, MalformedReason& reason) {
    if (options_.id_field.empty()) {
      SyntheticId(record_.offset, id);
      return true;
    }
    id.swap(record_.kept[0]);
    if (id.empty())
      reason = MalformedReason::kMissingId;
    else if (!IsUsableId(id))
      reason = MalformedReason::kBadId;
    return reason == MalformedReason::kCount;
  }

  std::unique_ptr<ByteStream> stream_;
  CsvParser parser_;
  CsvRecord record_;
  std::vector<int> slots_;    // column -> 0 (id) or 1 (text), -1 otherwise
  std::vector<size_t> caps_;  // bytes kept of the id and the text
  int header_fields_ = 0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<DocumentReader> OpenCsvReader(const InputSource& source, const WorkItem& item,
                                              const ReaderOptions& options) {
  return std::make_unique<CsvReader>(source, item, options);
}

}  // namespace ntm
