// Internal: sequential byte input from a plain or gzip file, and a line
// splitter with a hard cap on line length. zlib stays in byte_stream.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// A readable file; gzip is recognised by its magic bytes, whatever the name.
class ByteStream {
 public:
  // Opens `path`. MissingInputError if it cannot be opened.
  static std::unique_ptr<ByteStream> Open(const std::string& path);
  // True when `path` starts with the gzip magic (MissingInputError if unreadable).
  static bool IsGzipFile(const std::string& path);
  virtual ~ByteStream() = default;
  // Reads up to `n` bytes (decompressed); 0 only at end of input. IoError on a
  // failed read, InputError on corrupt or truncated gzip data.
  virtual size_t Read(char* buffer, size_t n) = 0;
  // Moves to byte `offset` of a plain file; ConfigError for gzip input.
  virtual void Seek(int64_t offset) = 0;
  // True for gzip input (which cannot be split into byte ranges).
  virtual bool compressed() const = 0;
  // The path given to Open(), for messages.
  const std::string& path() const { return path_; }

 protected:
  explicit ByteStream(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

// Splits a stream into '\n'-terminated lines. A line longer than the cap is
// consumed without being buffered and reported as too long.
class LineReader {
 public:
  // Reads `stream` from its current position, which is byte `start_offset`.
  LineReader(ByteStream& stream, int64_t start_offset, size_t max_line_bytes);
  // The next line, without its '\n' or a '\r' before it. Returns false at end.
  // `offset` is the byte offset of its first byte; when `too_long` is set the
  // line was dropped and `line` is empty.
  bool Next(std::string_view& line, int64_t& offset, bool& too_long);
  // Byte offset just past the last line returned (its '\n' included).
  int64_t position() const { return base_offset_ + static_cast<int64_t>(head_); }

 private:
  bool Fill();
  void SkipRestOfLine();

  ByteStream& stream_;
  size_t max_line_bytes_;
  std::vector<char> buffer_;
  size_t head_ = 0;          // start of the unread data
  size_t tail_ = 0;          // end of the valid data
  size_t scanned_ = 0;       // bytes from head_ known to hold no '\n'
  int64_t base_offset_ = 0;  // file offset of buffer_[0]
  bool eof_ = false;
};

}  // namespace ntm
