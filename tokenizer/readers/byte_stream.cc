#include "tokenizer/readers/byte_stream.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

constexpr size_t kInitialLineBuffer = 64 << 10;  // grows by doubling up to the line cap

int OpenForReading(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw MissingInputError("cannot open input " + path + ": " + std::strerror(errno));
  }
  return fd;
}

bool HasGzipMagic(int fd) {
  unsigned char magic[2] = {0, 0};
  return ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

class PlainStream final : public ByteStream {
 public:
  PlainStream(std::string path, int fd) : ByteStream(std::move(path)), fd_(fd) {
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  ~PlainStream() override { ::close(fd_); }
  size_t Read(char* buffer, size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, buffer, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) throw IoError("reading " + path() + ": " + std::strerror(errno));
    }
  }
  void Seek(int64_t offset) override {
    if (::lseek(fd_, offset, SEEK_SET) < 0) {
      throw IoError("seeking in " + path() + ": " + std::strerror(errno));
    }
  }
  bool compressed() const override { return false; }

 private:
  int fd_;
};

// gzip through zlib's inflate rather than gzread: gzread silently ignores
// bytes after the last gzip member, and a .gz with trailing garbage (a file
// appended to, or two files mixed up) must be an error, not a quiet success.
// Concatenated members (gzip a >> f; gzip b >> f) are read one after another.
class GzipStream final : public ByteStream {
 public:
  GzipStream(std::string path, int fd) : ByteStream(std::move(path)), fd_(fd), in_(1 << 18) {
    if (inflateInit2(&z_, 15 + 16) != Z_OK) {
      ::close(fd_);
      throw IoError("cannot start gzip decoding of " + this->path());
    }
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  ~GzipStream() override {
    inflateEnd(&z_);
    ::close(fd_);
  }
  size_t Read(char* buffer, size_t n) override {
    const auto wanted = static_cast<uInt>(std::min<size_t>(n, INT_MAX / 2));
    z_.next_out = reinterpret_cast<Bytef*>(buffer);
    z_.avail_out = wanted;
    while (z_.avail_out == wanted && Step()) {
    }
    return wanted - z_.avail_out;
  }
  void Seek(int64_t) override {
    throw ConfigError(path() + ": a gzip file cannot be read from a byte offset");
  }
  bool compressed() const override { return true; }

 private:
  // One inflate call (or the start of the next member); false at the end.
  bool Step() {
    if (z_.avail_in < 2 && !at_eof_) Fill();
    if (!in_member_) {
      if (z_.avail_in == 0) return false;  // ended after a whole member
      if (z_.avail_in < 2 || z_.next_in[0] != 0x1f || z_.next_in[1] != 0x8b) {
        throw InputError(path() + ": data after the end of the gzip stream (from byte " +
                         std::to_string(consumed()) + " of the file)");
      }
      in_member_ = true;
    }
    if (z_.avail_in == 0) Corrupt("unexpected end of file");
    const int rc = inflate(&z_, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      in_member_ = false;
      inflateReset(&z_);
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      Corrupt(z_.msg != nullptr ? z_.msg : "inflate error");
    }
    return true;
  }
  // Moves the unread input to the front and reads more behind it.
  void Fill() {
    if (z_.avail_in > 0) std::memmove(in_.data(), z_.next_in, z_.avail_in);
    for (;;) {
      const ssize_t got = ::read(fd_, in_.data() + z_.avail_in, in_.size() - z_.avail_in);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw IoError("reading " + path() + ": " + std::strerror(errno));
      at_eof_ = got == 0;
      read_ += got;
      z_.avail_in += static_cast<uInt>(got);
      z_.next_in = reinterpret_cast<Bytef*>(in_.data());
      return;
    }
  }
  int64_t consumed() const { return read_ - z_.avail_in; }
  [[noreturn]] void Corrupt(const std::string& what) const {
    throw InputError(path() + ": corrupt or truncated gzip data (" + what + ")");
  }

  int fd_;
  std::vector<char> in_;
  z_stream z_{};
  int64_t read_ = 0;
  bool at_eof_ = false, in_member_ = false;
};

}  // namespace

std::unique_ptr<ByteStream> ByteStream::Open(const std::string& path) {
  const int fd = OpenForReading(path);
  if (HasGzipMagic(fd)) return std::make_unique<GzipStream>(path, fd);
  return std::make_unique<PlainStream>(path, fd);
}

bool ByteStream::IsGzipFile(const std::string& path) {
  const int fd = OpenForReading(path);
  const bool gz = HasGzipMagic(fd);
  ::close(fd);
  return gz;
}

LineReader::LineReader(ByteStream& stream, int64_t start_offset, size_t max_line_bytes)
    : stream_(stream),
      max_line_bytes_(max_line_bytes),
      buffer_(std::min(kInitialLineBuffer, max_line_bytes + 1)),
      base_offset_(start_offset) {}

bool LineReader::Fill() {
  if (head_ > 0) {  // compact: keep only the unread part
    std::memmove(buffer_.data(), buffer_.data() + head_, tail_ - head_);
    base_offset_ += static_cast<int64_t>(head_);
    tail_ -= head_;
    head_ = 0;
  }
  if (tail_ == buffer_.size()) {
    buffer_.resize(std::min(buffer_.size() * 2, max_line_bytes_ + 1));
  }
  const size_t got = stream_.Read(buffer_.data() + tail_, buffer_.size() - tail_);
  tail_ += got;
  eof_ = got == 0;
  return got > 0;
}

void LineReader::SkipRestOfLine() {
  for (;;) {
    const char* start = buffer_.data() + head_;
    const void* nl = std::memchr(start, '\n', tail_ - head_);
    if (nl != nullptr) {
      head_ += static_cast<const char*>(nl) - start + 1;
      return;
    }
    head_ = tail_;  // drop everything buffered: bounded memory
    if (!Fill()) return;
  }
}

bool LineReader::Next(std::string_view& line, int64_t& offset, bool& too_long) {
  too_long = false;
  scanned_ = 0;
  for (;;) {
    const char* start = buffer_.data() + head_;
    const size_t avail = tail_ - head_;
    const void* nl = std::memchr(start + scanned_, '\n', avail - scanned_);
    const size_t len = nl ? static_cast<const char*>(nl) - start : avail;
    if (len > max_line_bytes_) {
      offset = position();
      too_long = true;
      line = {};
      SkipRestOfLine();
      return true;
    }
    if (nl != nullptr || (eof_ && avail > 0)) {
      offset = position();
      line = std::string_view(start, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      head_ += nl ? len + 1 : len;
      return true;
    }
    if (eof_) return false;
    scanned_ = avail;
    Fill();
  }
}

}  // namespace ntm
