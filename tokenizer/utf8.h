// UTF-8 helpers shared by the readers and the normalizer. Invalid input is
// repaired, never rejected: one U+FFFD per maximal ill-formed subsequence (the
// Unicode "best practice", the same policy as ICU), so counts agree everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ntm {

// True when every byte is below 0x80 (checked eight bytes at a time).
bool IsAscii(std::string_view text);

// Number of ill-formed subsequences in `text` (0 for valid UTF-8).
int64_t CountInvalidUtf8(std::string_view text);

// Writes `text` to `out` (replacing its contents) with each ill-formed
// subsequence replaced by U+FFFD; returns the number of replacements.
int64_t ReplaceInvalidUtf8(std::string_view text, std::string& out);

// Repairs `text` in place when needed; returns the number of replacements.
// Valid text (the common case) is only scanned, never copied.
int64_t RepairUtf8InPlace(std::string& text, std::string& scratch);

// Length of the longest prefix of valid-UTF-8 `text` that is at most
// `max_bytes` long and does not split a code point.
size_t Utf8PrefixLength(std::string_view text, size_t max_bytes);

// Number of code points in valid UTF-8 `text`.
size_t Utf8Length(std::string_view text);

}  // namespace ntm
