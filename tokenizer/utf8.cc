#include "tokenizer/utf8.h"

#include <cstring>

namespace ntm {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Length of the well-formed sequence at text[i], or 0 with `*bad_len` set to
// the length of the maximal ill-formed subpart to replace (>= 1).
size_t DecodeLength(const unsigned char* s, size_t n, size_t i, size_t* bad_len) {
  const unsigned char c = s[i];
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad_len = 1;
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    const bool ok =
        i + k < n && s[i + k] >= (k == 1 ? lo : 0x80) && s[i + k] <= (k == 1 ? hi : 0xBF);
    if (!ok) {
      *bad_len = k;
      return 0;
    }
  }
  return need + 1;
}

// Index of the first non-ASCII byte at or after `i`.
size_t SkipAscii(const unsigned char* s, size_t n, size_t i) {
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    if (w & kHighBits) break;
    i += 8;
  }
  while (i < n && s[i] < 0x80) ++i;
  return i;
}

}  // namespace

bool IsAscii(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  return SkipAscii(s, text.size(), 0) == text.size();
}

int64_t CountInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  int64_t bad = 0;
  size_t i = SkipAscii(s, n, 0);
  while (i < n) {
    size_t bad_len = 0;
    const size_t len = DecodeLength(s, n, i, &bad_len);
    if (len == 0) ++bad;
    i = SkipAscii(s, n, i + (len ? len : bad_len));
  }
  return bad;
}

int64_t ReplaceInvalidUtf8(std::string_view text, std::string& out) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  out.clear();
  out.reserve(n + 8);
  int64_t bad = 0;
  size_t i = 0;
  while (i < n) {
    const size_t run_end = SkipAscii(s, n, i);
    out.append(text.data() + i, run_end - i);
    if ((i = run_end) >= n) break;
    size_t bad_len = 0;
    const size_t len = DecodeLength(s, n, i, &bad_len);
    if (len != 0) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++bad;
      i += bad_len;
    }
  }
  return bad;
}

int64_t RepairUtf8InPlace(std::string& text, std::string& scratch) {
  if (CountInvalidUtf8(text) == 0) return 0;
  const int64_t bad = ReplaceInvalidUtf8(text, scratch);
  text.swap(scratch);
  return bad;
}

size_t Utf8PrefixLength(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  size_t end = max_bytes;
  // Step back over continuation bytes so the cut falls before a lead byte.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return end;
}

size_t Utf8Length(std::string_view text) {
  size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

}  // namespace ntm
