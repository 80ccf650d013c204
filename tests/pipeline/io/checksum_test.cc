#include "pipeline/io/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "libvi/base/errors.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::TempDir;
using testing::WriteBytes;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

TEST(ChecksumTest, MatchesPublishedXxh3VectorForEmptyInput) {
  EXPECT_EQ(ChecksumBytes(std::string_view()), 0x2D06800538D394C2ull);
  EXPECT_EQ(Checksum().Digest(), 0x2D06800538D394C2ull);
}

TEST(ChecksumTest, StreamingInAnyChunkingEqualsOneShot) {
  const std::string data = RandomBytes(100000, 1);
  const uint64_t expected = ChecksumBytes(data);
  std::mt19937 rng(2);
  for (int trial = 0; trial < 5; ++trial) {
    Checksum streaming;
    for (size_t pos = 0; pos < data.size();) {
      const size_t n = std::min<size_t>(data.size() - pos, rng() % 3000);
      streaming.Update(std::string_view(data).substr(pos, n));
      pos += n;
    }
    EXPECT_EQ(streaming.Digest(), expected) << "trial " << trial;
  }
  EXPECT_EQ(ChecksumBytes(std::as_bytes(std::span(data))), expected);
}

TEST(ChecksumTest, OneFlippedBitChangesTheChecksum) {
  std::string data = RandomBytes(4096, 3);
  const uint64_t before = ChecksumBytes(data);
  data[1234] ^= 0x10;
  EXPECT_NE(ChecksumBytes(data), before);
}

TEST(ChecksumTest, ChecksumFileEqualsChecksumOfItsBytes) {
  TempDir dir;
  const std::string data = RandomBytes(3 << 20, 4);  // spans several read chunks
  WriteBytes(dir / "f.bin", data);
  EXPECT_EQ(ChecksumFile(dir / "f.bin"), ChecksumBytes(data));
  WriteBytes(dir / "empty", "");
  EXPECT_EQ(ChecksumFile(dir / "empty"), ChecksumBytes(std::string_view()));
}

TEST(ChecksumTest, ChecksumFileOfMissingFileIsMissingInput) {
  TempDir dir;
  const std::string message =
      testing::ErrorMessage<MissingInputError>([&] { ChecksumFile(dir / "nope.tsv"); });
  EXPECT_NE(message.find("nope.tsv"), std::string::npos) << message;
}

TEST(ChecksumTest, HexIsSixteenLowercaseDigitsAndRoundTrips) {
  EXPECT_EQ(ChecksumHex(0), "0000000000000000");
  EXPECT_EQ(ChecksumHex(0x1ull), "0000000000000001");
  EXPECT_EQ(ChecksumHex(0xDEADBEEF01234567ull), "deadbeef01234567");
  for (const uint64_t v : {0ull, 1ull, 0xffffffffffffffffull, 0x0123456789abcdefull}) {
    EXPECT_EQ(ParseChecksumHex(ChecksumHex(v)), v);
  }
  EXPECT_EQ(ParseChecksumHex("DEADBEEF01234567"), 0xdeadbeef01234567ull);
}

TEST(ChecksumTest, ParseHexRejectsAnythingButSixteenHexDigits) {
  for (const char* bad :
       {"", "123", "0x23456789abcdef0", "deadbeef0123456", "deadbeef012345678", "deadbeef0123456g",
        "+eadbeef01234567", "-eadbeef01234567", " eadbeef01234567"}) {
    EXPECT_FALSE(ParseChecksumHex(bad).has_value()) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace ntm
