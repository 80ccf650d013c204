#include "pipeline/io/shard.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "libvi/base/errors.h"
#include "pipeline/io/checksum.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::ErrorMessage;
using testing::PermissionBits;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

constexpr int32_t kVocabSize = 500;
constexpr uint64_t kVocabChecksum = 0x1234abcd5678ef00ull;

struct TestDoc {
  std::string id;
  std::vector<int32_t> terms;
  std::vector<uint32_t> counts;
};

// Random documents plus the edge cases: an empty id, non-ASCII ids, a
// document with no terms, and one using the first and last term ids.
std::vector<TestDoc> MakeDocs(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TestDoc> docs = {
      {"", {3, 7}, {1, 2}},
      {"patient-ß-日本-😀", {0, kVocabSize - 1}, {5, 1}},
      {"no-terms", {}, {}},
      {"", {}, {}},
  };
  for (int i = 0; i < n; ++i) {
    TestDoc doc{"note-" + std::to_string(rng() % 100000), {}, {}};
    for (int32_t t = 0; t < kVocabSize; ++t) {
      if (rng() % 20 == 0) {
        doc.terms.push_back(t);
        doc.counts.push_back(1 + static_cast<uint32_t>(rng() % 9));
      }
    }
    docs.insert(docs.begin() + static_cast<long>(rng() % (docs.size() + 1)), doc);
  }
  return docs;
}

void WriteShard(const std::filesystem::path& path, const std::vector<TestDoc>& docs) {
  ShardWriter writer(path, kVocabSize, kVocabChecksum);
  for (const TestDoc& d : docs) writer.Add(d.id, d.terms, d.counts);
  writer.Finish();
}

// A small shard on disk whose bytes tests corrupt.
class ShardFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "shard-00003.bow";
    WriteShard(path_, MakeDocs(2, 7));
    bytes_ = ReadBytes(path_);
    ASSERT_GT(bytes_.size(), 200u);
  }
  // Message of the InputError thrown when opening `bytes` as the shard.
  std::string OpenError(const std::string& bytes, const ShardReadOptions& options = {}) {
    WriteBytes(path_, bytes);
    return ErrorMessage<InputError>([&] { ShardReader reader(path_, options); });
  }
  // Opens the shard with byte `pos` xor `mask`, patched in place: rewriting
  // the whole file each time makes ext4 flush on close (auto_da_alloc), slowly.
  std::string FlippedByteError(size_t pos, unsigned char mask) {
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(pos));
    file.put(static_cast<char>(bytes_[pos] ^ mask));
    file.flush();
    const std::string message = ErrorMessage<InputError>([&] { ShardReader reader(path_); });
    file.seekp(static_cast<std::streamoff>(pos));
    file.put(bytes_[pos]);
    return message;
  }
  uint64_t TrailerAt() const { return bytes_.size() - 16; }

  TempDir dir_;
  std::filesystem::path path_;
  std::string bytes_;
};

TEST(ShardTest, RoundTripKeepsEveryDocumentIdTermAndCount) {
  TempDir dir;
  const std::vector<TestDoc> docs = MakeDocs(300, 1);
  ShardWriter writer(dir / "shard-00000.bow", kVocabSize, kVocabChecksum);
  uint64_t tokens = 0;
  int64_t nnz = 0;
  for (const TestDoc& d : docs) {
    writer.Add(d.id, d.terms, d.counts);
    for (uint32_t c : d.counts) tokens += c;
    nnz += static_cast<int64_t>(d.terms.size());
  }
  const uint64_t predicted_size = writer.size_bytes();
  writer.Finish();

  const ShardReader reader(dir / "shard-00000.bow");
  const ShardHeader& h = reader.header();
  EXPECT_EQ(h.vocab_checksum, kVocabChecksum);
  EXPECT_EQ(h.vocab_size, kVocabSize);
  EXPECT_EQ(h.num_docs, static_cast<int64_t>(docs.size()));
  EXPECT_EQ(h.nnz, nnz);
  EXPECT_EQ(h.total_tokens, tokens);
  EXPECT_EQ(h.file_size, predicted_size);
  EXPECT_EQ(std::filesystem::file_size(dir / "shard-00000.bow"), predicted_size);
  EXPECT_EQ(PermissionBits(dir / "shard-00000.bow"), 0640u);

  const BowView& bow = reader.bow();
  ASSERT_EQ(bow.num_docs(), static_cast<int64_t>(docs.size()));
  EXPECT_EQ(bow.vocab_size, kVocabSize);
  for (size_t i = 0; i < docs.size(); ++i) {
    const DocView doc = bow.doc(static_cast<int64_t>(i));
    EXPECT_EQ(reader.doc_id(static_cast<int64_t>(i)), docs[i].id) << i;
    EXPECT_EQ(std::vector<int32_t>(doc.terms.begin(), doc.terms.end()), docs[i].terms) << i;
    EXPECT_EQ(std::vector<uint32_t>(doc.counts.begin(), doc.counts.end()), docs[i].counts) << i;
    EXPECT_EQ(doc.key, DocumentKey(docs[i].id)) << i;
  }
  EXPECT_EQ(ReadShardHeader(dir / "shard-00000.bow").total_tokens, tokens);
}

TEST(ShardTest, DocumentKeyIsXxh3OfTheIdBytes) {
  EXPECT_EQ(DocumentKey("note-17"), ChecksumBytes(std::string_view("note-17")));
  EXPECT_NE(DocumentKey("note-17"), DocumentKey("note-18"));
}

TEST(ShardTest, EmptyShardRoundTrips) {
  TempDir dir;
  ShardWriter(dir / "shard-00000.bow", kVocabSize, kVocabChecksum).Finish();
  const ShardReader reader(dir / "shard-00000.bow");
  EXPECT_EQ(reader.num_docs(), 0);
  EXPECT_EQ(reader.bow().num_docs(), 0);
  EXPECT_EQ(reader.bow().terms.size(), 0u);
  EXPECT_EQ(reader.header().file_size, 128u + 8u + 8u + 16u);
}

TEST(ShardTest, MovedReaderKeepsItsViewsValid) {
  TempDir dir;
  WriteShard(dir / "shard-00000.bow", MakeDocs(0, 2));  // the edge cases, in order
  std::vector<ShardReader> readers;
  readers.emplace_back(dir / "shard-00000.bow");
  readers.emplace_back(dir / "shard-00000.bow");  // reallocation moves the first
  ShardReader moved = std::move(readers[0]);
  EXPECT_EQ(moved.doc_id(1), "patient-ß-日本-😀");
  EXPECT_EQ(moved.bow().doc(1).terms.back(), kVocabSize - 1);
}

TEST(ShardTest, WriterRejectsMalformedDocuments) {
  TempDir dir;
  ShardWriter writer(dir / "shard-00000.bow", 10, kVocabChecksum);
  const std::vector<uint32_t> two = {1, 1};
  EXPECT_THROW(writer.Add("a", std::vector<int32_t>{3, 3}, two), std::invalid_argument);
  EXPECT_THROW(writer.Add("a", std::vector<int32_t>{4, 3}, two), std::invalid_argument);
  EXPECT_THROW(writer.Add("a", std::vector<int32_t>{3, 10}, two), std::invalid_argument);
  EXPECT_THROW(writer.Add("a", std::vector<int32_t>{-1, 3}, two), std::invalid_argument);
  EXPECT_THROW(writer.Add("a", std::vector<int32_t>{1, 3}, std::vector<uint32_t>{1, 0}),
               std::invalid_argument);
  EXPECT_THROW(writer.Add("a", std::vector<int32_t>{1}, two), std::invalid_argument);
  const std::string message = ErrorMessage<InputError>(
      [&] { writer.Add("line\nbreak", std::vector<int32_t>{1}, std::vector<uint32_t>{1}); });
  EXPECT_NE(message.find("document 0: id contains a line break"), std::string::npos) << message;
  EXPECT_EQ(writer.num_docs(), 0);
  writer.Finish();
  EXPECT_THROW(writer.Add("a", {}, {}), std::logic_error);
  EXPECT_EQ(ShardReader(dir / "shard-00000.bow").num_docs(), 0);
}

TEST(ShardTest, NothingIsWrittenWithoutFinish) {
  TempDir dir;
  {
    ShardWriter writer(dir / "shard-00000.bow", kVocabSize, kVocabChecksum);
    writer.Add("a", std::vector<int32_t>{1}, std::vector<uint32_t>{1});
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ShardTest, MissingFileIsMissingInput) {
  TempDir dir;
  EXPECT_THROW(ShardReader(dir / "shard-00009.bow"), MissingInputError);
  EXPECT_THROW(ReadShardHeader(dir / "shard-00009.bow"), MissingInputError);
}

TEST(ShardTest, FileNamesAndListingAreOrderedByIndex) {
  EXPECT_EQ(ShardFileName(3), "shard-00003.bow");
  EXPECT_EQ(ShardFileName(123456), "shard-123456.bow");
  TempDir dir;
  for (const char* name :
       {"shard-00002.bow", "shard-00000.bow", "shard-100000.bow", "shard-00010.bow",
        "shard-00001.bow.tmp-12-abcd", "shard-x.bow", "shard-.bow", "shard-+1.bow", "notes.txt"}) {
    WriteBytes(dir / name, "x");
  }
  std::filesystem::create_directory(dir / "shard-00005.bow");  // a folder is not a shard
  std::vector<std::string> names;
  for (const auto& p : ListShards(dir.path())) names.push_back(p.filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"shard-00000.bow", "shard-00002.bow",
                                             "shard-00010.bow", "shard-100000.bow"}));
  EXPECT_THROW(ListShards(dir / "missing"), MissingInputError);
}

TEST_F(ShardFileTest, EveryFlippedByteIsDetected) {
  for (size_t pos = 0; pos < bytes_.size(); ++pos) {
    for (const unsigned char mask : {0x01, 0x80}) {
      const std::string message = FlippedByteError(pos, mask);
      ASSERT_NE(message.find("shard-00003.bow"), std::string::npos)
          << "byte " << pos << " mask " << int{mask} << ": '" << message << "'";
      if (pos >= 128 && pos < TrailerAt() + 8) {
        EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << pos << ": " << message;
      }
    }
  }
}

TEST_F(ShardFileTest, WithoutChecksumVerificationStructureIsStillChecked) {
  ShardReadOptions fast;
  fast.verify_checksum = false;
  std::string id_flipped = bytes_;
  id_flipped[TrailerAt() - 9] ^= 0x01;  // inside the last id (or its padding)
  EXPECT_EQ(OpenError(id_flipped, fast), "");
  EXPECT_NE(OpenError(id_flipped).find("checksum mismatch"), std::string::npos);

  // The terms section starts right after D+1 offsets: make the first term huge.
  const ShardHeader h = ReadShardHeader(path_);
  std::string bad_term = bytes_;
  const size_t terms_at = (128 + 8 * (h.num_docs + 1) + 7) / 8 * 8;
  const int32_t huge = 1 << 30;
  std::memcpy(bad_term.data() + terms_at, &huge, sizeof huge);
  EXPECT_NE(OpenError(bad_term, fast)
                .find("document 0: term id 1073741824 out of range (vocabulary size 500)"),
            std::string::npos);
}

TEST_F(ShardFileTest, TruncationAtAnyLengthIsDetectedWithSizes) {
  for (const size_t length :
       {size_t{0}, size_t{4}, size_t{8}, size_t{100}, size_t{128}, size_t{200}, bytes_.size() - 17,
        bytes_.size() - 16, bytes_.size() - 1}) {
    const std::string message = OpenError(bytes_.substr(0, length));
    EXPECT_NE(message.find(path_.string() + ": truncated"), std::string::npos)
        << length << ": " << message;
    if (length >= 128) {
      EXPECT_NE(message.find("(expected " + std::to_string(bytes_.size()) + " bytes, found " +
                             std::to_string(length) + ")"),
                std::string::npos)
          << message;
    }
    EXPECT_THROW(ReadShardHeader(path_), InputError) << length;
  }
}

TEST_F(ShardFileTest, TrailingBytesAreDetected) {
  const std::string message = OpenError(bytes_ + std::string(8, '\0'));
  EXPECT_NE(message.find("unexpected data after the trailer"), std::string::npos) << message;
}

TEST_F(ShardFileTest, WrongMagicIsDetected) {
  std::string bytes = bytes_;
  bytes.replace(0, 8, "PK\x03\x04zip!");
  EXPECT_EQ(OpenError(bytes), path_.string() + ": not an ntm shard (bad magic)");
  EXPECT_EQ(OpenError("hello world, this is text"),
            path_.string() + ": not an ntm shard (bad magic)");
}

TEST_F(ShardFileTest, OtherFormatVersionIsDetected) {
  std::string bytes = bytes_;
  const uint32_t version = 2;
  std::memcpy(bytes.data() + 8, &version, sizeof version);
  EXPECT_EQ(OpenError(bytes), path_.string() +
                                  ": unsupported shard format version 2 (this build reads "
                                  "version 1)");
}

TEST_F(ShardFileTest, DifferentVocabularyIsDetected) {
  ShardReadOptions options;
  options.expected_vocab_checksum = kVocabChecksum + 1;
  const std::string message = OpenError(bytes_, options);
  EXPECT_NE(message.find(path_.string() + ": built with a different vocabulary"), std::string::npos)
      << message;
  EXPECT_NE(message.find(ChecksumHex(kVocabChecksum)), std::string::npos) << message;
  options.expected_vocab_checksum = kVocabChecksum;
  EXPECT_EQ(OpenError(bytes_, options), "");
}

}  // namespace
}  // namespace ntm
