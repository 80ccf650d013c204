#include "libvi/base/byte_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

std::string Bytes(uint64_t value) { return std::string(reinterpret_cast<char*>(&value), 8); }

TEST(ByteReaderTest, ReadsValuesAndLengthPrefixedRunsInOrder) {
  const std::string image = Bytes(7) + Bytes(3) + "abc" + "xy";
  ByteReader reader(image, "image");
  EXPECT_EQ(reader.Get<uint64_t>(), 7u);
  EXPECT_EQ(reader.LengthPrefixed(), "abc");
  EXPECT_EQ(reader.pos(), 19u);
  EXPECT_EQ(reader.remaining(), 2u);
  EXPECT_FALSE(reader.AtEnd());
  EXPECT_EQ(reader.Take(2), "xy");
  EXPECT_TRUE(reader.AtEnd());
}

TEST(ByteReaderTest, ShortImageThrowsInputErrorNamingItAndTheOffset) {
  const std::string image = Bytes(100) + "abc";
  ByteReader reader(image, "x/model.bin");
  try {
    reader.LengthPrefixed();
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "x/model.bin: truncated: needs 100 more bytes, 3 left (at byte 8)");
  }
}

TEST(ByteReaderTest, ForgedHugeLengthNeverReadsPastTheEnd) {
  const std::string image = Bytes(UINT64_MAX);
  ByteReader reader(image, "blob");
  EXPECT_THROW(reader.LengthPrefixed(), InputError);
  EXPECT_THROW(ByteReader(std::string_view(), "empty").Get<uint32_t>(), InputError);
}

TEST(ByteReaderTest, ReadsAByteSpan) {
  const uint8_t raw[] = {1, 0, 0, 0};
  ByteReader reader(std::span<const uint8_t>(raw), "span");
  EXPECT_EQ(reader.Get<uint32_t>(), 1u);
  EXPECT_TRUE(reader.AtEnd());
}

}  // namespace
}  // namespace ntm
