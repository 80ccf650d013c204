#include "pipeline/io/checksum.h"

#include <xxhash.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <new>
#include <vector>

#include "libvi/base/errors.h"

namespace ntm {

void Checksum::StateDeleter::operator()(XXH3_state_s* state) const { XXH3_freeState(state); }

Checksum::Checksum() : state_(XXH3_createState()) {
  if (!state_) throw std::bad_alloc();
  XXH3_64bits_reset(state_.get());
}

Checksum::~Checksum() = default;
Checksum::Checksum(Checksum&&) noexcept = default;
Checksum& Checksum::operator=(Checksum&&) noexcept = default;

void Checksum::Update(std::span<const std::byte> bytes) {
  XXH3_64bits_update(state_.get(), bytes.data(), bytes.size());
}

void Checksum::Update(std::string_view text) {
  XXH3_64bits_update(state_.get(), text.data(), text.size());
}

uint64_t Checksum::Digest() const { return XXH3_64bits_digest(state_.get()); }

uint64_t ChecksumBytes(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

uint64_t ChecksumBytes(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

uint64_t ChecksumFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw MissingInputError("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  Checksum checksum;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    checksum.Update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) throw IoError("reading " + path.string() + ": read failed");
  return checksum.Digest();
}

std::string ChecksumHex(uint64_t checksum) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, checksum >>= 4) hex[i] = kDigits[checksum & 0xf];
  return hex;
}

std::optional<uint64_t> ParseChecksumHex(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  if (ec != std::errc() || end != hex.data() + hex.size()) return std::nullopt;
  return value;
}

}  // namespace ntm
