// A database share: the rows of one keyset range in id order, through a
// server-side cursor fetched `fetch_rows` at a time (database_input.h).
// Rows are checked as JSONL records are: a NULL id is missing_id, an unusable
// one bad_id, a NULL text missing_text; each is counted, or fails the run
// under on_error: fail, naming the id (never the text).
#include <optional>

#include "libvi/base/errors.h"
#include "tokenizer/readers/postgres_connection.h"
#include "tokenizer/readers/source_reader.h"

namespace ntm {
namespace {

class DatabaseReader final : public SourceReader {
 public:
  DatabaseReader(const InputSource& source, const WorkItem& item, const ReaderOptions& options)
      : SourceReader(source, item, options), input_(*source.database) {
    cursor_ = input_.NextCursorName();
    std::vector<std::string> params;
    const std::string query = input_.ShareQuery(static_cast<int>(item.begin), params);
    const std::vector<std::optional<std::string>> bound(params.begin(), params.end());
    input_.connection().Exec("DECLARE " + cursor_ + " NO SCROLL CURSOR FOR " + query, bound,
                             "opening a cursor over this rank's share");
    open_ = true;
  }

  ~DatabaseReader() override {
    if (!open_) return;
    try {
      input_.connection().Exec("CLOSE " + cursor_, "closing the cursor");
    } catch (const std::exception&) {  // the transaction ends with the connection
    }
  }

  bool Next(RawDocument& doc) override {
    for (;;) {
      if (next_row_ == rows_.size() && !Fetch()) return false;
      const int64_t row = next_row_++;
      if (ReadRow(row, doc)) return true;
    }
  }

 private:
  // The next batch; false at the end of the share.
  bool Fetch() {
    if (!open_) return false;
    rows_ = input_.connection().Exec(
        "FETCH FORWARD " + std::to_string(options_.database.fetch_rows) + " FROM " + cursor_,
        "reading notes");
    next_row_ = 0;
    if (rows_.size() > 0) return true;
    input_.connection().Exec("CLOSE " + cursor_, "closing the cursor");
    open_ = false;
    return false;
  }

  bool ReadRow(int64_t row, RawDocument& doc) {
    const int64_t ordinal = ordinal_++;
    if (rows_.is_null(row, 0)) {
      RejectRow(MalformedReason::kMissingId, ordinal, "", options_.database.id_column);
      return false;
    }
    doc.id.assign(rows_.value(row, 0));
    counters_.bytes_read += static_cast<int64_t>(doc.id.size());
    if (!IsUsableId(doc.id)) {
      RejectRow(MalformedReason::kBadId, ordinal, "", options_.database.id_column);
      return false;
    }
    if (rows_.is_null(row, 1)) {
      RejectRow(MalformedReason::kMissingText, ordinal, doc.id, options_.database.text_column);
      return false;
    }
    doc.text.assign(rows_.value(row, 1));
    counters_.bytes_read += static_cast<int64_t>(doc.text.size());
    if (!FinishText(doc.text)) return false;
    FinishDocument(doc, 0, ordinal);
    return true;
  }

  // Counts a bad row, or fails naming its id (a usable id only) and column.
  void RejectRow(MalformedReason reason, int64_t ordinal, const std::string& id,
                 const std::string& column) {
    if (options_.on_error == OnError::kFail) {
      const std::string row = id.empty() ? "row " + std::to_string(ordinal + 1) + " of share " +
                                               std::to_string(item_.begin)
                                         : options_.database.id_column + " " + id;
      throw InputError(source_.path + ": " + row + ": malformed record (" +
                       std::string(MalformedReasonName(reason)) + "), column '" + column +
                       "' is NULL or unusable");
    }
    Reject(reason, 0, ordinal, column);
  }

  DatabaseInput& input_;
  std::string cursor_;
  bool open_ = false;
  PgRows rows_;
  int64_t next_row_ = 0;
  int64_t ordinal_ = 0;
};

}  // namespace

std::unique_ptr<DocumentReader> OpenDatabaseReader(const InputSource& source, const WorkItem& item,
                                                   const ReaderOptions& options) {
  if (!source.database) {
    throw ConfigError(source.path + ": database input not opened (use OpenDatabaseInputs)");
  }
  return std::make_unique<DatabaseReader>(source, item, options);
}

}  // namespace ntm
