// Number and text formatting shared by the report renderers, so report.html
// and report.md show every figure with the same digits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ntm {

// `value` rounded to `decimals` places with thousands separators:
// FormatFixed(1234567.891, 2) == "1,234,567.89". NaN/Inf give "n/a".
std::string FormatFixed(double value, int decimals);
// An integer count with thousands separators: "2,480".
std::string FormatCount(int64_t value);
// A rate or size with precision that suits its magnitude: 124000 -> "124,000",
// 62.5 -> "62.5", 5.5 -> "5.50", 0.0123 -> "0.0123".
std::string FormatAdaptive(double value);
// The shortest readable form: 1000 -> "1,000", 0.5 -> "0.5", 2 -> "2" (axis labels, bin edges).
std::string FormatCompact(double value);
// A ratio such as a speedup: 200 -> "200×", 19.74 -> "19.7×", 1.93 -> "1.93×".
std::string FormatRatio(double value);
// A share in [0, 1] as a percentage with one decimal: 0.834 -> "83.4%".
std::string FormatPercent(double share);
// A duration: under a day "h:mm:ss" (80.6 -> "0:01:21"), else "23.1 days".
std::string FormatDurationOrDays(double seconds);
// Seconds with precision that suits the magnitude: 0.02 -> "0.020 s", 12.5 -> "12.5 s".
std::string FormatSeconds(double seconds);
// FormatFixed for an optional value; "—" when absent.
std::string FormatOptional(const std::optional<double>& value, int decimals);

// Text escaped for HTML element content and attribute values.
std::string EscapeHtml(std::string_view text);
// Text escaped for a Markdown table cell (pipes, emphasis, HTML, line breaks).
std::string EscapeMarkdownCell(std::string_view text);
// A SentencePiece piece as a readable word: the U+2581 word marker removed
// ("▁heart" -> "heart"); a piece that is only markers stays as it is.
std::string DecodePiece(std::string_view piece);

}  // namespace ntm
