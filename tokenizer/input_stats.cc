#include "tokenizer/input_stats.h"

#include <string>

namespace ntm {

std::string_view MalformedReasonName(MalformedReason reason) {
  switch (reason) {
    case MalformedReason::kInvalidJson:
      return "invalid_json";
    case MalformedReason::kNotAnObject:
      return "not_an_object";
    case MalformedReason::kMissingId:
      return "missing_id";
    case MalformedReason::kBadId:
      return "bad_id";
    case MalformedReason::kMissingText:
      return "missing_text";
    case MalformedReason::kNonStringText:
      return "non_string_text";
    case MalformedReason::kLineTooLong:
      return "line_too_long";
    case MalformedReason::kBadQuoting:
      return "bad_quoting";
    case MalformedReason::kUnterminatedQuote:
      return "unterminated_quote";
    case MalformedReason::kFieldCount:
      return "field_count";
    case MalformedReason::kCount:
      break;
  }
  return "unknown";
}

std::array<std::string_view, InputCounters::kFlatSize> InputCounters::FieldNames() {
  // Backed by static strings so the views stay valid.
  static const std::array<std::string, kMalformedReasonCount> malformed_names = [] {
    std::array<std::string, kMalformedReasonCount> names;
    for (size_t i = 0; i < kMalformedReasonCount; ++i) {
      names[i] = "malformed." + std::string(MalformedReasonName(static_cast<MalformedReason>(i)));
    }
    return names;
  }();
  std::array<std::string_view, kFlatSize> names{"records", "bytes_read", "truncated",
                                                "empty_skipped", "invalid_utf8_replaced"};
  for (size_t i = 0; i < kMalformedReasonCount; ++i) names[5 + i] = malformed_names[i];
  return names;
}

int64_t InputCounters::malformed_total() const {
  int64_t sum = 0;
  for (const int64_t m : malformed) sum += m;
  return sum;
}

InputCounters& InputCounters::operator+=(const InputCounters& other) {
  const auto a = Flatten();
  const auto b = other.Flatten();
  std::array<int64_t, kFlatSize> sum;
  for (size_t i = 0; i < kFlatSize; ++i) sum[i] = a[i] + b[i];
  *this = Unflatten(sum);
  return *this;
}

std::array<int64_t, InputCounters::kFlatSize> InputCounters::Flatten() const {
  std::array<int64_t, kFlatSize> flat{records, bytes_read, truncated, empty_skipped,
                                      invalid_utf8_replaced};
  for (size_t i = 0; i < kMalformedReasonCount; ++i) flat[5 + i] = malformed[i];
  return flat;
}

InputCounters InputCounters::Unflatten(const std::array<int64_t, kFlatSize>& flat) {
  InputCounters c;
  c.records = flat[0];
  c.bytes_read = flat[1];
  c.truncated = flat[2];
  c.empty_skipped = flat[3];
  c.invalid_utf8_replaced = flat[4];
  for (size_t i = 0; i < kMalformedReasonCount; ++i) c.malformed[i] = flat[5 + i];
  return c;
}

void ReaderStats::Add(int64_t source_index, const InputCounters& counters) {
  per_source[source_index] += counters;
  total += counters;
}

ReaderStats& ReaderStats::operator+=(const ReaderStats& other) {
  for (const auto& [index, counters] : other.per_source) per_source[index] += counters;
  total += other.total;
  return *this;
}

std::vector<int64_t> ReaderStats::FlattenPerSource(int64_t num_sources) const {
  std::vector<int64_t> flat(static_cast<size_t>(num_sources) * InputCounters::kFlatSize, 0);
  for (const auto& [index, counters] : per_source) {
    if (index < 0 || index >= num_sources) continue;
    const auto row = counters.Flatten();
    for (size_t i = 0; i < row.size(); ++i) flat[index * InputCounters::kFlatSize + i] = row[i];
  }
  return flat;
}

}  // namespace ntm
