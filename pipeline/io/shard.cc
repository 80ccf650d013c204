#include "pipeline/io/shard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <utility>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"

namespace ntm {
namespace {

static_assert(std::endian::native == std::endian::little,
              "shards are little-endian and mapped without byte swapping");

constexpr char kMagic[8] = {'N', 'T', 'M', 'B', 'O', 'W', '\0', '\0'};
constexpr char kEndMagic[8] = {'N', 'T', 'M', 'E', 'N', 'D', '\0', '\0'};
constexpr uint64_t kTrailerSize = 16;  // checksum + end magic
// Upper bounds that keep layout arithmetic on untrusted headers overflow-free.
constexpr uint64_t kMaxCount = uint64_t{1} << 40;
constexpr uint64_t kMaxBlob = uint64_t{1} << 48;

// The fixed 128-byte header, exactly as stored (docs/shard-format.md).
struct RawHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint64_t vocab_checksum;
  uint32_t vocab_size;
  uint32_t reserved;  // zero
  uint64_t num_docs;
  uint64_t nnz;
  uint64_t total_tokens;
  uint64_t offsets_at;
  uint64_t terms_at;
  uint64_t counts_at;
  uint64_t keys_at;
  uint64_t id_offsets_at;
  uint64_t id_blob_at;
  uint64_t id_blob_size;
  uint64_t trailer_at;
  uint64_t reserved_tail;  // zero; pads the header to 128 bytes
};
static_assert(sizeof(RawHeader) == 128);
constexpr uint64_t kHeaderSize = sizeof(RawHeader);

// Where each section starts; a pure function of the three sizes, so readers
// can reject a header whose offsets disagree with its counts.
struct Layout {
  uint64_t offsets_at, terms_at, counts_at, keys_at, id_offsets_at, id_blob_at, trailer_at;
  uint64_t file_size;
};

constexpr uint64_t Align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

constexpr Layout ComputeLayout(uint64_t docs, uint64_t nnz, uint64_t blob) {
  Layout l{};
  l.offsets_at = kHeaderSize;
  l.terms_at = Align8(l.offsets_at + 8 * (docs + 1));
  l.counts_at = Align8(l.terms_at + 4 * nnz);
  l.keys_at = Align8(l.counts_at + 4 * nnz);
  l.id_offsets_at = l.keys_at + 8 * docs;
  l.id_blob_at = l.id_offsets_at + 8 * (docs + 1);
  l.trailer_at = Align8(l.id_blob_at + blob);
  l.file_size = l.trailer_at + kTrailerSize;
  return l;
}

// An empty shard: the smallest valid file.
constexpr uint64_t kMinFileSize = ComputeLayout(0, 0, 0).file_size;

[[noreturn]] void Corrupt(const std::filesystem::path& path, const std::string& what) {
  throw InputError(path.string() + ": " + what);
}

std::string SizeMismatch(uint64_t expected, uint64_t found) {
  return "(expected " + std::to_string(expected) + " bytes, found " + std::to_string(found) + ")";
}

void CheckSizes(const std::filesystem::path& path, const RawHeader& h) {
  if (h.header_size != kHeaderSize) Corrupt(path, "corrupt header (header size)");
  if (h.vocab_size > static_cast<uint32_t>(std::numeric_limits<int32_t>::max()) ||
      h.num_docs > kMaxCount || h.nnz > kMaxCount || h.id_blob_size > kMaxBlob) {
    Corrupt(path, "corrupt header (implausible sizes)");
  }
  const Layout l = ComputeLayout(h.num_docs, h.nnz, h.id_blob_size);
  if (h.offsets_at != l.offsets_at || h.terms_at != l.terms_at || h.counts_at != l.counts_at ||
      h.keys_at != l.keys_at || h.id_offsets_at != l.id_offsets_at ||
      h.id_blob_at != l.id_blob_at || h.trailer_at != l.trailer_at) {
    Corrupt(path, "corrupt header (section offsets do not match sizes)");
  }
}

// Checks everything knowable from the first bytes and the file length.
RawHeader ParseHeader(const std::filesystem::path& path, std::span<const std::byte> head,
                      uint64_t file_size) {
  if (head.size() >= sizeof kMagic && std::memcmp(head.data(), kMagic, sizeof kMagic) != 0) {
    Corrupt(path, "not an ntm shard (bad magic)");
  }
  if (head.size() < kHeaderSize) {
    Corrupt(path, "truncated (expected at least " + std::to_string(kMinFileSize) +
                      " bytes, found " + std::to_string(file_size) + ")");
  }
  RawHeader h;
  std::memcpy(&h, head.data(), sizeof h);
  if (h.version != kShardFormatVersion) {
    Corrupt(path, "unsupported shard format version " + std::to_string(h.version) +
                      " (this build reads version " + std::to_string(kShardFormatVersion) + ")");
  }
  CheckSizes(path, h);
  const uint64_t expected = h.trailer_at + kTrailerSize;
  if (file_size < expected) Corrupt(path, "truncated " + SizeMismatch(expected, file_size));
  if (file_size > expected) {
    Corrupt(path, "unexpected data after the trailer " + SizeMismatch(expected, file_size));
  }
  return h;
}

ShardHeader ToShardHeader(const RawHeader& h) {
  return {h.vocab_checksum,
          static_cast<int32_t>(h.vocab_size),
          static_cast<int64_t>(h.num_docs),
          static_cast<int64_t>(h.nnz),
          h.total_tokens,
          h.trailer_at + kTrailerSize};
}

template <typename T>
std::span<const T> Section(const std::byte* data, uint64_t at, uint64_t n) {
  return {reinterpret_cast<const T*>(data + at), static_cast<size_t>(n)};
}

// Writes sections while hashing them, padding each to its aligned start.
class SectionWriter {
 public:
  explicit SectionWriter(AtomicFileWriter& out) : out_(out) {}
  template <typename T>
  void Put(uint64_t at, std::span<const T> items) {
    static constexpr std::byte kZeros[8] = {};
    while (out_.bytes_written() < at) {
      const auto pad = std::min<uint64_t>(at - out_.bytes_written(), sizeof kZeros);
      Emit(std::span(kZeros, pad));
    }
    Emit(std::as_bytes(items));
  }
  uint64_t Digest() const { return checksum_.Digest(); }

 private:
  void Emit(std::span<const std::byte> bytes) {
    out_.Write(bytes);
    checksum_.Update(bytes);
  }
  AtomicFileWriter& out_;
  Checksum checksum_;
};

}  // namespace

uint64_t DocumentKey(std::string_view doc_id) { return ChecksumBytes(doc_id); }

std::string ShardFileName(int64_t index) {
  char name[40];
  std::snprintf(name, sizeof name, "shard-%05lld.bow", static_cast<long long>(index));
  return name;
}

namespace {

// The index in "shard-<digits>.bow", or nullopt for any other name.
std::optional<uint64_t> ShardIndex(const std::string& name) {
  constexpr std::string_view kPrefix = "shard-", kSuffix = ".bow";
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  const char* begin = name.data() + kPrefix.size();
  const char* end = name.data() + name.size() - kSuffix.size();
  uint64_t index = 0;
  const auto [stop, ec] = std::from_chars(begin, end, index);
  if (ec != std::errc() || stop != end || *begin == '+') return std::nullopt;
  return index;
}

}  // namespace

std::vector<std::filesystem::path> ListShards(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::pair<uint64_t, std::filesystem::path>> found;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto index = ShardIndex(it->path().filename().string());
    if (index && it->is_regular_file()) found.emplace_back(*index, it->path());
  }
  if (ec) throw MissingInputError("cannot read folder " + dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<std::filesystem::path> shards;
  for (auto& [index, path] : found) shards.push_back(std::move(path));
  return shards;
}

ShardHeader ReadShardHeader(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError("cannot open " + path.string() + ": " + strerror(errno));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw MissingInputError("cannot open " + path.string() + ": " + ec.message());
  std::byte head[kHeaderSize];
  in.read(reinterpret_cast<char*>(head), sizeof head);
  if (in.bad()) throw IoError("reading " + path.string() + ": read failed");
  return ToShardHeader(ParseHeader(path, std::span(head, in.gcount()), size));
}

// ---- ShardWriter ----

ShardWriter::ShardWriter(std::filesystem::path path, int32_t vocab_size, uint64_t vocab_checksum)
    : path_(std::move(path)), vocab_size_(vocab_size), vocab_checksum_(vocab_checksum) {
  if (vocab_size < 0) throw std::invalid_argument("ShardWriter: negative vocabulary size");
}

void ShardWriter::CheckDocument(std::span<const int32_t> terms,
                                std::span<const uint32_t> counts) const {
  const std::string where = path_.string() + ": document " + std::to_string(num_docs());
  if (terms.size() != counts.size()) {
    throw std::invalid_argument(where + ": terms and counts differ in length");
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i] < 0 || terms[i] >= vocab_size_) {
      throw std::invalid_argument(where + ": term id out of range");
    }
    if (i > 0 && terms[i] <= terms[i - 1]) {
      throw std::invalid_argument(where + ": term ids not ascending");
    }
    if (counts[i] == 0) throw std::invalid_argument(where + ": zero count");
  }
}

void ShardWriter::Add(std::string_view doc_id, std::span<const int32_t> terms,
                      std::span<const uint32_t> counts) {
  if (finished_) throw std::logic_error("ShardWriter::Add after Finish: " + path_.string());
  if (doc_id.find_first_of("\r\n") != std::string_view::npos) {
    throw InputError(path_.string() + ": document " + std::to_string(num_docs()) +
                     ": id contains a line break");
  }
  CheckDocument(terms, counts);
  for (const uint32_t c : counts) total_tokens_ += c;
  terms_.insert(terms_.end(), terms.begin(), terms.end());
  counts_.insert(counts_.end(), counts.begin(), counts.end());
  offsets_.push_back(static_cast<int64_t>(terms_.size()));
  keys_.push_back(DocumentKey(doc_id));
  id_blob_.append(doc_id);
  id_offsets_.push_back(id_blob_.size());
}

uint64_t ShardWriter::size_bytes() const {
  return ComputeLayout(keys_.size(), terms_.size(), id_blob_.size()).file_size;
}

namespace {

RawHeader MakeHeader(const Layout& l, int32_t vocab_size, uint64_t vocab_checksum,
                     uint64_t num_docs, uint64_t nnz, uint64_t total_tokens, uint64_t blob_size) {
  RawHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kShardFormatVersion;
  h.header_size = kHeaderSize;
  h.vocab_checksum = vocab_checksum;
  h.vocab_size = static_cast<uint32_t>(vocab_size);
  h.num_docs = num_docs;
  h.nnz = nnz;
  h.total_tokens = total_tokens;
  h.offsets_at = l.offsets_at;
  h.terms_at = l.terms_at;
  h.counts_at = l.counts_at;
  h.keys_at = l.keys_at;
  h.id_offsets_at = l.id_offsets_at;
  h.id_blob_at = l.id_blob_at;
  h.id_blob_size = blob_size;
  h.trailer_at = l.trailer_at;
  return h;
}

}  // namespace

void ShardWriter::Finish() {
  if (finished_) throw std::logic_error("ShardWriter::Finish twice: " + path_.string());
  const Layout l = ComputeLayout(keys_.size(), terms_.size(), id_blob_.size());
  const RawHeader h = MakeHeader(l, vocab_size_, vocab_checksum_, keys_.size(), terms_.size(),
                                 total_tokens_, id_blob_.size());
  AtomicFileWriter out(path_);
  SectionWriter sections(out);
  sections.Put(0, std::span(&h, 1));
  sections.Put(l.offsets_at, std::span<const int64_t>(offsets_));
  sections.Put(l.terms_at, std::span<const int32_t>(terms_));
  sections.Put(l.counts_at, std::span<const uint32_t>(counts_));
  sections.Put(l.keys_at, std::span<const uint64_t>(keys_));
  sections.Put(l.id_offsets_at, std::span<const uint64_t>(id_offsets_));
  sections.Put(l.id_blob_at, std::span<const char>(id_blob_));
  sections.Put(l.trailer_at, std::span<const char>());  // pads the blob to 8 bytes
  const uint64_t checksum = sections.Digest();
  out.Write(std::as_bytes(std::span(&checksum, 1)));
  out.Write(std::string_view(kEndMagic, sizeof kEndMagic));
  out.Commit();
  finished_ = true;
}

// ---- ShardReader ----

ShardReader::ShardReader(const std::filesystem::path& path, const ShardReadOptions& options)
    : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw MissingInputError("cannot open " + path.string() + ": " + strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw MissingInputError("cannot open " + path.string() + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (map == MAP_FAILED) throw IoError("mapping " + path.string() + ": " + strerror(err));
    data_ = static_cast<const std::byte*>(map);
  } else {
    ::close(fd);
  }
  try {
    Validate(options);
  } catch (...) {
    Unmap();
    throw;
  }
}

ShardReader::~ShardReader() { Unmap(); }

uint64_t ShardReader::FileChecksum() const {
  return ChecksumBytes(std::span<const std::byte>(data_, size_));
}

ShardReader::ShardReader(ShardReader&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      header_(other.header_),
      bow_(other.bow_),
      id_offsets_(other.id_offsets_),
      id_blob_(other.id_blob_) {}

ShardReader& ShardReader::operator=(ShardReader&& other) noexcept {
  if (this != &other) {
    Unmap();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    header_ = other.header_;
    bow_ = other.bow_;
    id_offsets_ = other.id_offsets_;
    id_blob_ = other.id_blob_;
  }
  return *this;
}

void ShardReader::Unmap() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  data_ = nullptr;
}

std::string_view ShardReader::doc_id(int64_t d) const {
  return id_blob_.substr(id_offsets_[d], id_offsets_[d + 1] - id_offsets_[d]);
}

namespace {

void CheckTrailer(const std::filesystem::path& path, std::span<const std::byte> file,
                  uint64_t trailer_at, bool verify) {
  uint64_t stored = 0;
  std::memcpy(&stored, file.data() + trailer_at, sizeof stored);
  if (std::memcmp(file.data() + trailer_at + 8, kEndMagic, sizeof kEndMagic) != 0) {
    Corrupt(path, "corrupt trailer (bad end magic)");
  }
  if (!verify) return;
  const uint64_t actual = ChecksumBytes(file.first(trailer_at));
  if (actual != stored) {
    Corrupt(path, "checksum mismatch (trailer says " + ChecksumHex(stored) + ", contents hash to " +
                      ChecksumHex(actual) + ")");
  }
}

// Which rule entry `i` of a document starting at `begin` breaks.
std::string BadEntry(const BowView& bow, int64_t begin, int64_t i) {
  const int32_t t = bow.terms[i];
  if (t < 0 || t >= bow.vocab_size) {
    return "term id " + std::to_string(t) + " out of range (vocabulary size " +
           std::to_string(bow.vocab_size) + ")";
  }
  if (i > begin && t <= bow.terms[i - 1]) return "term ids not ascending";
  return "zero count";
}

void CheckDocuments(const std::filesystem::path& path, const BowView& bow, uint64_t total_tokens) {
  if (bow.offsets[0] != 0 || bow.offsets.back() != static_cast<int64_t>(bow.terms.size())) {
    Corrupt(path, "corrupt document offsets");
  }
  uint64_t tokens = 0;
  for (int64_t d = 0; d < bow.num_docs(); ++d) {
    const int64_t begin = bow.offsets[d], end = bow.offsets[d + 1];
    if (end < begin || end > bow.offsets.back()) {
      Corrupt(path, "corrupt document offsets at document " + std::to_string(d));
    }
    for (int64_t i = begin; i < end; ++i) {
      const int32_t t = bow.terms[i];
      if (t < 0 || t >= bow.vocab_size || (i > begin && t <= bow.terms[i - 1]) ||
          bow.counts[i] == 0) {
        Corrupt(path, "document " + std::to_string(d) + ": " + BadEntry(bow, begin, i));
      }
      tokens += bow.counts[i];
    }
  }
  if (tokens != total_tokens) Corrupt(path, "total token count does not match the counts");
}

void CheckIdTable(const std::filesystem::path& path, std::span<const uint64_t> id_offsets,
                  uint64_t blob_size) {
  if (id_offsets.front() != 0 || id_offsets.back() != blob_size) {
    Corrupt(path, "corrupt document id table");
  }
  for (size_t d = 0; d + 1 < id_offsets.size(); ++d) {
    if (id_offsets[d + 1] < id_offsets[d]) {
      Corrupt(path, "corrupt document id table at document " + std::to_string(d));
    }
  }
}

// Position of the first '\n' or '\r' in `blob`, or npos: two memchr passes.
size_t FirstLineBreak(std::string_view blob) {
  size_t first = std::string_view::npos;
  for (const char c : {'\n', '\r'}) {
    const void* hit = std::memchr(blob.data(), c, std::min(first, blob.size()));
    if (hit != nullptr) first = static_cast<const char*>(hit) - blob.data();
  }
  return first;
}

// Ids hold no line breaks (docs/shard-format.md): doc_ids.txt has one per line.
// Needs a valid id table; names the document, never its id.
void CheckIdsHaveNoLineBreaks(const std::filesystem::path& path,
                              std::span<const uint64_t> id_offsets, std::string_view blob) {
  const size_t at = FirstLineBreak(blob);
  if (at == std::string_view::npos) return;
  const auto doc = std::upper_bound(id_offsets.begin(), id_offsets.end(), at) - id_offsets.begin();
  Corrupt(path, "document " + std::to_string(doc - 1) + ": id contains a line break");
}

}  // namespace

void ShardReader::Validate(const ShardReadOptions& options) {
  const std::span<const std::byte> file(data_, size_);
  const RawHeader h = ParseHeader(path_, file.first(std::min<size_t>(size_, kHeaderSize)), size_);
  header_ = ToShardHeader(h);
  CheckTrailer(path_, file, h.trailer_at, options.verify_checksum);
  if (options.expected_vocab_checksum && *options.expected_vocab_checksum != h.vocab_checksum) {
    Corrupt(path_, "built with a different vocabulary (shard has vocabulary checksum " +
                       ChecksumHex(h.vocab_checksum) + ", expected " +
                       ChecksumHex(*options.expected_vocab_checksum) + ")");
  }
  bow_.vocab_size = header_.vocab_size;
  bow_.offsets = Section<int64_t>(data_, h.offsets_at, h.num_docs + 1);
  bow_.terms = Section<int32_t>(data_, h.terms_at, h.nnz);
  bow_.counts = Section<uint32_t>(data_, h.counts_at, h.nnz);
  bow_.keys = Section<uint64_t>(data_, h.keys_at, h.num_docs);
  id_offsets_ = Section<uint64_t>(data_, h.id_offsets_at, h.num_docs + 1);
  id_blob_ = std::string_view(reinterpret_cast<const char*>(data_) + h.id_blob_at, h.id_blob_size);
  CheckDocuments(path_, bow_, h.total_tokens);
  CheckIdTable(path_, id_offsets_, h.id_blob_size);
  CheckIdsHaveNoLineBreaks(path_, id_offsets_, id_blob_);
}

}  // namespace ntm
