#include "pipeline/report/format.h"

#include <cmath>
#include <cstdio>

namespace ntm {
namespace {

// Inserts a comma every three digits into the integer part of `digits`
// (an unsigned decimal such as "1234567.89").
std::string GroupThousands(const std::string& digits) {
  const size_t point = digits.find('.');
  const size_t int_end = point == std::string::npos ? digits.size() : point;
  std::string out;
  for (size_t i = 0; i < int_end; ++i) {
    if (i > 0 && (int_end - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out + digits.substr(int_end);
}

constexpr std::string_view kWordMarker = "\xE2\x96\x81";  // U+2581

}  // namespace

std::string FormatFixed(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, std::fabs(value));
  std::string digits = GroupThousands(buffer);
  const bool all_zero = digits.find_first_not_of("0.,") == std::string::npos;
  return (value < 0 && !all_zero ? "-" : "") + digits;
}

std::string FormatCount(int64_t value) { return FormatFixed(static_cast<double>(value), 0); }

std::string FormatAdaptive(double value) {
  const double magnitude = std::fabs(value);
  if (!std::isfinite(value)) return "n/a";
  if (magnitude >= 100 || magnitude == 0) return FormatFixed(value, 0);
  if (magnitude >= 10) return FormatFixed(value, 1);
  if (magnitude >= 1) return FormatFixed(value, 2);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

std::string FormatCompact(double value) {
  if (!std::isfinite(value)) return "n/a";
  if (value == std::round(value)) return FormatFixed(value, 0);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

std::string FormatRatio(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double magnitude = std::fabs(value);
  const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return FormatFixed(value, decimals) + "\xC3\x97";  // U+00D7 multiplication sign
}

std::string FormatPercent(double share) {
  if (!std::isfinite(share)) return "n/a";
  return FormatFixed(share * 100.0, 1) + "%";
}

std::string FormatDurationOrDays(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "n/a";
  constexpr double kDay = 86400.0;
  if (seconds >= kDay) return FormatFixed(seconds / kDay, 1) + " days";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  return buffer;
}

std::string FormatSeconds(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  if (std::fabs(seconds) >= 1) return FormatAdaptive(seconds) + " s";
  return FormatFixed(seconds, 3) + " s";
}

std::string FormatOptional(const std::optional<double>& value, int decimals) {
  return value ? FormatFixed(*value, decimals) : "\xE2\x80\x94";  // em dash
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeMarkdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      if (std::string_view("\\|*_`[]#~").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

std::string DecodePiece(std::string_view piece) {
  std::string word;
  for (size_t i = 0; i < piece.size();) {
    if (piece.substr(i, kWordMarker.size()) == kWordMarker) {
      i += kWordMarker.size();
    } else {
      word += piece[i++];
    }
  }
  return word.empty() ? std::string(piece) : word;
}

}  // namespace ntm
