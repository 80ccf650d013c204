// XXH3-64: the checksum every ntm file records (shards, model bundles,
// manifest inputs). One algorithm and seed everywhere, so a checksum written by
// one stage can be compared by any other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct XXH3_state_s;  // from <xxhash.h>, kept out of this header

namespace ntm {

// Incremental XXH3-64 (seed 0): Update() in any chunking gives the same digest.
class Checksum {
 public:
  Checksum();
  ~Checksum();
  Checksum(Checksum&&) noexcept;
  Checksum& operator=(Checksum&&) noexcept;

  // Adds bytes to the running checksum.
  void Update(std::span<const std::byte> bytes);
  // Adds the bytes of `text` to the running checksum.
  void Update(std::string_view text);
  // The checksum of everything added so far (does not reset).
  uint64_t Digest() const;

 private:
  struct StateDeleter {
    void operator()(XXH3_state_s* state) const;
  };
  std::unique_ptr<XXH3_state_s, StateDeleter> state_;
};

// XXH3-64 of `bytes` in one call; equal to a Checksum fed the same bytes.
uint64_t ChecksumBytes(std::span<const std::byte> bytes);
// XXH3-64 of the bytes of `text`.
uint64_t ChecksumBytes(std::string_view text);
// XXH3-64 of a file's contents; MissingInputError if it cannot be opened,
// IoError if reading fails part-way.
uint64_t ChecksumFile(const std::filesystem::path& path);

// 16 lowercase hex digits, zero-padded: the form used in manifests and logs.
std::string ChecksumHex(uint64_t checksum);
// Inverse of ChecksumHex: exactly 16 hex digits (either case), else nullopt.
std::optional<uint64_t> ParseChecksumHex(std::string_view hex);

}  // namespace ntm
