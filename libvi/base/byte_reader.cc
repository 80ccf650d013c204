#include "libvi/base/byte_reader.h"

#include "libvi/base/errors.h"

namespace ntm {

std::string_view ByteReader::Take(uint64_t n) {
  if (n > remaining()) {
    Fail("truncated: needs " + std::to_string(n) + " more bytes, " + std::to_string(remaining()) +
         " left");
  }
  const std::string_view out = bytes_.substr(pos_, n);
  pos_ += n;
  return out;
}

void ByteReader::Fail(const std::string& message) const {
  throw InputError(what_ + ": " + message + " (at byte " + std::to_string(pos_) + ")");
}

}  // namespace ntm
