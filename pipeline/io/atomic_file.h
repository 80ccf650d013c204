// Crash-safe output files. Every ntm output is written under a temporary name
// in its destination folder and renamed into place only when complete, so a
// crash, a full disk or a killed rank never leaves a partial file under the
// real name (a later stage would otherwise read it as valid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// Creates `dir` and any missing parents with mode 0750 (output is protected
// health information: owner and group only). OutputError naming the folder if
// it cannot be created or exists as a non-folder.
void CreateDirectories(const std::filesystem::path& dir);

// An output folder this run creates: unless Keep() is called, the destructor
// removes it again if it holds nothing but `.lock` (an early failure leaves no
// empty output folder behind). A folder that existed before is never removed.
class CreatedFolder {
 public:
  // CreateDirectories(dir), noting whether `dir` existed.
  explicit CreatedFolder(std::filesystem::path dir);
  ~CreatedFolder();
  CreatedFolder(const CreatedFolder&) = delete;
  CreatedFolder& operator=(const CreatedFolder&) = delete;
  // The run succeeded: keep the folder.
  void Keep() { created_ = false; }

 private:
  std::filesystem::path dir_;
  bool created_ = false;
};

// The file a writer of `path` replaces: `path` itself or, when `path` is a
// symbolic link, the file the link leads to (written through, the link kept).
// OutputError naming `path` if that exists and is not a regular file (a
// device, FIFO, folder or socket): ntm never replaces one, nor creates a
// temporary file beside it (a /dev/null.tmp-* in RAM-backed /dev).
std::filesystem::path RegularOutputTarget(const std::filesystem::path& path);

// Buffered writer of one file that appears under its final name only on Commit().
class AtomicFileWriter {
 public:
  // Opens `<target>.tmp-<pid>-<random>` beside RegularOutputTarget(path) with
  // mode 0640. OutputError if it cannot be created (missing folder, no
  // permission) or `path` is not a regular file.
  explicit AtomicFileWriter(std::filesystem::path path, size_t buffer_bytes = size_t{1} << 20);
  // Without Commit(), removes the temporary file: nothing appears under `path`.
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends bytes. IoError naming the file on failure, e.g.
  // "writing corpus/vocab.tsv: No space left on device".
  void Write(std::span<const std::byte> bytes);
  // Appends the bytes of `text`.
  void Write(std::string_view text);
  // Flushes, fsyncs the file, renames it to the final name and fsyncs the
  // folder, so the file survives a power loss once Commit() returns.
  void Commit();

  // Bytes written so far: the file offset the next Write() lands at.
  uint64_t bytes_written() const { return bytes_written_; }
  // The final name.
  const std::filesystem::path& path() const { return path_; }
  // The temporary name written to until Commit().
  const std::filesystem::path& temp_path() const { return temp_path_; }

 private:
  void Flush();
  void WriteToFd(const std::byte* data, size_t size);
  void CheckOpen() const;

  std::filesystem::path path_;
  std::filesystem::path target_;  // path_, or what a symbolic link path_ leads to
  std::filesystem::path temp_path_;
  int fd_ = -1;
  std::vector<std::byte> buffer_;
  size_t buffered_ = 0;
  uint64_t bytes_written_ = 0;
  bool committed_ = false;
};

// Writes `bytes` to `path` through an AtomicFileWriter and commits.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// The whole contents of a (small) file, the counterpart readers of the files
// written above use. MissingInputError if it cannot be opened, IoError if a read fails.
std::string ReadFileToString(const std::filesystem::path& path);

}  // namespace ntm
