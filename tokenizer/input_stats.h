// Counters kept by the document readers. Every field is an int64 that can be
// summed across ranks: Flatten() gives a fixed-size array for one all-reduce,
// and kFieldNames labels it for the manifest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

namespace ntm {

// Why a record was rejected. Append only: the order is part of Flatten().
enum class MalformedReason : int {
  kInvalidJson = 0,    // JSONL line that does not parse
  kNotAnObject,        // JSONL line that parses to something other than an object
  kMissingId,          // id field/column absent or null
  kBadId,              // id neither a string nor an integer, or longer than 1 KiB
  kMissingText,        // text field/column absent or null
  kNonStringText,      // text field present but not a string
  kLineTooLong,        // JSONL line or CSV record longer than max_line_bytes
  kBadQuoting,         // CSV: stray quote in an unquoted field, text after a closing quote
  kUnterminatedQuote,  // CSV: quoted field still open at end of input
  kFieldCount,         // CSV: record with a different number of fields than the header
  kCount
};

// Number of MalformedReason values.
inline constexpr size_t kMalformedReasonCount = static_cast<size_t>(MalformedReason::kCount);

// Short snake_case name of a reason ("invalid_json"), for messages and manifests.
std::string_view MalformedReasonName(MalformedReason reason);

// Counters for one source file (or summed over many).
struct InputCounters {
  int64_t records = 0;                // documents handed out by Next()
  int64_t bytes_read = 0;             // bytes of (decompressed) input belonging to this reader
  int64_t truncated = 0;              // documents cut to max_doc_bytes
  int64_t empty_skipped = 0;          // records whose text is empty or whitespace only
  int64_t invalid_utf8_replaced = 0;  // ill-formed UTF-8 sequences replaced by U+FFFD
  std::array<int64_t, kMalformedReasonCount> malformed{};  // rejected records by reason

  // Number of fields in Flatten().
  static constexpr size_t kFlatSize = 5 + kMalformedReasonCount;
  // Names of the Flatten() entries, e.g. "records", "malformed.invalid_json".
  static std::array<std::string_view, kFlatSize> FieldNames();

  // Sum of malformed over all reasons.
  int64_t malformed_total() const;
  // Adds `other` field by field (for merging ranks or files).
  InputCounters& operator+=(const InputCounters& other);
  // Field-by-field equality (tests).
  bool operator==(const InputCounters& other) const = default;
  // The counters as one array, in FieldNames() order.
  std::array<int64_t, kFlatSize> Flatten() const;
  // Inverse of Flatten().
  static InputCounters Unflatten(const std::array<int64_t, kFlatSize>& flat);
};

// Counters of a reader: the total and a breakdown by source index (the
// source's position in ExpandInputs(), the first part of the ordering key).
struct ReaderStats {
  InputCounters total;
  std::map<int64_t, InputCounters> per_source;

  // Adds counters for one source to both the breakdown and the total.
  void Add(int64_t source_index, const InputCounters& counters);
  // Merges another reader's stats.
  ReaderStats& operator+=(const ReaderStats& other);
  // Per-source counters as a [num_sources x kFlatSize] row-major array for an
  // all-reduce; sources this reader never saw are zero.
  std::vector<int64_t> FlattenPerSource(int64_t num_sources) const;
};

}  // namespace ntm
