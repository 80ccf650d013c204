// Streaming readers of raw notes: JSONL, CSV (RFC 4180), folders of .txt
// files, any of them gzip-compressed, and PostgreSQL tables or queries
// (an input given as a postgresql:// URI, see database_input.h). Memory is bounded by the options
// below, whatever the input. Messages and exceptions name files, lines, byte offsets and fields,
// never document text.
//
// Record order: every document carries (source_index, offset), the position
// of its source in ExpandInputs() and the byte offset of its record in the
// (decompressed) source. Sorting by that pair gives the global input order for
// any split of the work over ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libvi/base/communicator.h"
#include "tokenizer/input_stats.h"
#include "tokenizer/readers/database_input.h"

namespace ntm {

// Layout of an input file. Folders always hold kText files; kDatabase is a
// postgresql:// URI (never chosen by name: told by the input itself).
enum class InputFormat { kAuto, kJsonl, kCsv, kText, kDatabase };

// "auto", "jsonl", "csv" or "txt" to InputFormat; ConfigError otherwise.
InputFormat ParseInputFormat(std::string_view name);

// What to do with a malformed record.
enum class OnError {
  kSkip,  // count it (InputCounters::malformed) and go on
  kFail,  // throw InputError "<file>:<line>: <reason>"
};

// "skip" or "fail" to OnError; ConfigError otherwise.
OnError ParseOnError(std::string_view name);

// A rejected record, for an optional callback (the manifest's reject list).
struct RejectedRecord {
  std::string_view file;   // path of the source
  int64_t line = 0;        // 1-based start line, 0 when unknown (byte ranges)
  int64_t offset = 0;      // byte offset of the record in the source
  MalformedReason reason;  // why it was rejected
};

// How records are read. Every limit keeps memory bounded on hostile input.
struct ReaderOptions {
  InputFormat format = InputFormat::kAuto;  // forced format of input files (folders: txt)
  std::string id_field = "id";      // JSONL key / CSV column of the id ("": "<file name>@<offset>")
  std::string text_field = "text";  // JSONL key / CSV column of the note text
  OnError on_error = OnError::kSkip;  // malformed record: count and skip, or throw
  int64_t max_doc_bytes = 1 << 20;    // longer texts are cut at a UTF-8 boundary (counted)
  int64_t max_line_bytes = 64 << 20;  // longer JSONL lines / CSV records are malformed
  char csv_delimiter = ',';           // field separator of CSV input
  std::function<void(const RejectedRecord&)> on_reject;  // optional: told about each reject
  DatabaseOptions database;                              // what a postgresql:// input reads
};

// Checks the options; ConfigError listing every violated constraint.
void ValidateReaderOptions(const ReaderOptions& options);

// One input file after expansion of folders.
struct InputSource {
  std::string path;  // file to open
  std::string id;    // document id for txt files: path relative to the folder given
  InputFormat format = InputFormat::kAuto;  // resolved, never kAuto
  bool gzip = false;                        // gzip magic found (cannot be split into byte ranges)
  int64_t size_bytes = 0;                   // size on disk
  int64_t index = 0;                        // position in ExpandInputs() order
  std::string uri;  // kDatabase: the URI to connect to (path holds it without password)
  std::shared_ptr<DatabaseInput> database;  // kDatabase: set by OpenDatabaseInputs
};

// Throws MissingInputError naming the first path that does not exist or cannot
// be read (files opened; folders listed, their files checked with access(2),
// a folder without .txt files counts as missing). Call before creating any
// output. Database URIs are checked by OpenDatabaseInputs instead.
void CheckInputsReadable(const std::vector<std::string>& paths);

// Expands paths into sources: files as given, folders recursively to their
// .txt and .txt.gz files sorted by relative path. Formats from the extension
// (.jsonl .ndjson .json .csv .txt, each optionally .gz) unless `format` forces
// one. MissingInputError / ConfigError (unknown extension) otherwise. A
// postgresql:// URI becomes one kDatabase source; it must be the only input
// (ConfigError otherwise).
std::vector<InputSource> ExpandInputs(const std::vector<std::string>& paths,
                                      InputFormat format = InputFormat::kAuto);

// Connects every rank to the kDatabase sources among `sources` and agrees on
// their shares (collective; see database_input.h). Does nothing for files.
// ConfigError for a bad URI or options, MissingInputError (66) when the
// server, table or a column cannot be reached, InputError (65) when the
// database encoding is not UTF8. Call before creating any output.
void OpenDatabaseInputs(Communicator& comm, std::vector<InputSource>& sources,
                        const ReaderOptions& options);

// A document as read, before any normalization.
struct RawDocument {
  std::string id;            // from the id field, or the relative path for txt files
  std::string text;          // valid UTF-8 (invalid input repaired and counted)
  std::string file;          // path of the source
  int64_t line = 0;          // 1-based start line of the record, 0 when unknown
  int64_t source_index = 0;  // ordering key, part 1: the source's index
  int64_t offset = 0;        // ordering key, part 2: byte offset of the record
};

// A part of one source: records whose first byte lies in [begin, end).
struct WorkItem {
  int64_t source_index = 0;
  int64_t begin = 0;
  int64_t end = INT64_MAX;  // INT64_MAX: to the end of the source

  // Equality (tests).
  bool operator==(const WorkItem&) const = default;
};

// Streams documents; one per rank (or thread), not shared.
class DocumentReader {
 public:
  virtual ~DocumentReader() = default;
  // Fills `doc` with the next document (reusing its buffers); false at end.
  virtual bool Next(RawDocument& doc) = 0;
  // Counters so far, total and per source.
  virtual ReaderStats stats() const = 0;
};

// A reader over one work item of `source`. The reader keeps references to
// `source` and `options`: both must outlive it. Records that start before
// item.begin or at/after item.end are left to the neighbouring items.
//  - JSONL: a record is a line; the reader starts at the first line start
//    >= begin (begin itself when begin == 0 or byte begin-1 is '\n').
//  - CSV: quoted fields may hold line breaks, so a line start is not always a
//    record start. A reader with begin > 0 parses the header, then runs the
//    same record-boundary state machine over [0, begin) without storing fields
//    (~350 MB/s) and starts at the first record boundary >= begin. Exact for
//    any input, quoting errors included, at the cost of each rank scanning the
//    bytes before its range.
//  - txt: one document per file; ranges are not allowed (ConfigError).
//  - gzip sources only as whole files (ConfigError otherwise).
//  - database: item [r, r+1) is share r (AssignWork gives rank r share r).
std::unique_ptr<DocumentReader> OpenReader(const InputSource& source, const WorkItem& item,
                                           const ReaderOptions& options);

// A reader over several work items in the given order (a rank's share);
// `sources` and `options` must outlive it.
std::unique_ptr<DocumentReader> OpenReader(const std::vector<InputSource>& sources,
                                           const std::vector<WorkItem>& items,
                                           const ReaderOptions& options);

}  // namespace ntm
