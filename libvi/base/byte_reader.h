// The one bounds-checked reader of binary images in the project: the model
// file container, model and training states, serialized term counts and the
// tokenizer's sample reservoir all read through it. It never reads past the
// end: a short image throws InputError naming the image, so a truncated or
// forged file fails with a message instead of reading out of bounds.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace ntm {

// Reads fixed-size native little-endian values and byte runs from an image.
// The image must outlive the reader.
class ByteReader {
 public:
  // Reads `bytes`; `what` names them in error messages ("…/model.bin").
  ByteReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}
  ByteReader(std::span<const uint8_t> bytes, std::string what)
      : ByteReader(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   std::move(what)) {}

  // The next `n` bytes; InputError "<what>: truncated: …" if fewer are left.
  std::string_view Take(uint64_t n);
  // The next trivially copyable value.
  template <typename V>
  V Get() {
    static_assert(std::is_trivially_copyable_v<V>);
    V value;
    std::memcpy(&value, Take(sizeof(V)).data(), sizeof(V));
    return value;
  }
  // A uint64 length, then that many bytes.
  std::string_view LengthPrefixed() { return Take(Get<uint64_t>()); }

  // Bytes read so far.
  size_t pos() const { return pos_; }
  // Bytes not read yet.
  size_t remaining() const { return bytes_.size() - pos_; }
  // True when every byte has been read.
  bool AtEnd() const { return pos_ == bytes_.size(); }
  // Throws InputError "<what>: <message> (at byte <pos>)".
  [[noreturn]] void Fail(const std::string& message) const;

 private:
  std::string_view bytes_;
  std::string what_;
  size_t pos_ = 0;
};

}  // namespace ntm
