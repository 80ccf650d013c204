#include "pipeline/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

constexpr mode_t kFileMode = 0640;
constexpr mode_t kDirMode = 0750;

std::string ErrnoText(int err) { return std::strerror(err); }

// "<path>.tmp-<pid>-<8 hex digits>": unique per process and attempt, and in the
// same folder so the final rename never crosses file systems.
std::filesystem::path TempName(const std::filesystem::path& path) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%08x", static_cast<long>(getpid()),
                static_cast<unsigned>(rng() & 0xffffffffu));
  return std::filesystem::path(path.string() + suffix);
}

// Opens a fresh temporary file, retrying on the rare name collision.
int OpenTemp(const std::filesystem::path& path, std::filesystem::path* temp) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    *temp = TempName(path);
    const int fd = ::open(temp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (fd >= 0) return fd;
    if (errno != EEXIST) {
      throw OutputError("creating " + path.string() + ": " + ErrnoText(errno));
    }
  }
  throw OutputError("creating " + path.string() + ": no free temporary name");
}

// fsync of the folder makes the rename itself durable.
void SyncDirectory(const std::filesystem::path& dir, const std::filesystem::path& file) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError("syncing folder of " + file.string() + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a folder; the rename has happened anyway.
  if (rc != 0 && err != EINVAL && err != ENOTSUP) {
    throw IoError("syncing folder of " + file.string() + ": " + ErrnoText(err));
  }
}

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Follows a chain of symbolic links at `path` (relative ones from their folder).
std::filesystem::path FollowLinks(const std::filesystem::path& path) {
  std::filesystem::path at = path;
  for (int hop = 0; hop < 40; ++hop) {
    std::error_code ec;
    if (!std::filesystem::is_symlink(std::filesystem::symlink_status(at, ec))) return at;
    const std::filesystem::path next = std::filesystem::read_symlink(at, ec);
    if (ec) throw OutputError("creating " + path.string() + ": " + ec.message());
    at = next.is_absolute() ? next : at.parent_path() / next;
  }
  throw OutputError("creating " + path.string() + ": too many levels of symbolic links");
}

}  // namespace

std::filesystem::path RegularOutputTarget(const std::filesystem::path& path) {
  const std::filesystem::path target = FollowLinks(path);
  struct stat st;
  if (::stat(target.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return target;
  throw OutputError("creating " + path.string() + ": it is " + FileKind(st.st_mode) +
                    ", not a regular file; ntm writes only regular files");
}

void CreateDirectories(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), kDirMode) == 0) continue;
    const int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(partial.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    if (err == EEXIST) {
      throw OutputError("creating folder " + dir.string() + ": " + partial.string() +
                        " exists and is not a folder");
    }
    throw OutputError("creating folder " + partial.string() + ": " + ErrnoText(err));
  }
}

CreatedFolder::CreatedFolder(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  created_ = !std::filesystem::exists(dir_, ec);
  CreateDirectories(dir_);
}

CreatedFolder::~CreatedFolder() {
  if (!created_) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().filename() != ".lock") return;  // something was written: keep it
  }
  if (ec) return;
  std::filesystem::remove(dir_ / ".lock", ec);
  std::filesystem::remove(dir_, ec);
}

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path, size_t buffer_bytes)
    : path_(std::move(path)),
      target_(RegularOutputTarget(path_)),
      buffer_(buffer_bytes == 0 ? 1 : buffer_bytes) {
  fd_ = OpenTemp(target_, &temp_path_);
  // The mode passed to open() is masked by the umask; the design fixes 0640.
  if (::fchmod(fd_, kFileMode) != 0) {
    const int err = errno;
    ::close(fd_);
    ::unlink(temp_path_.c_str());
    throw OutputError("creating " + path_.string() + ": " + ErrnoText(err));
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::CheckOpen() const {
  if (fd_ < 0) throw std::logic_error("AtomicFileWriter used after Commit: " + path_.string());
}

void AtomicFileWriter::Write(std::span<const std::byte> bytes) {
  CheckOpen();
  if (bytes.empty()) return;  // an empty span may carry a null pointer: no memcpy
  if (bytes.size() > buffer_.size() - buffered_) {
    Flush();
    if (bytes.size() >= buffer_.size()) {  // large writes skip the copy
      WriteToFd(bytes.data(), bytes.size());
      bytes_written_ += bytes.size();
      return;
    }
  }
  std::memcpy(buffer_.data() + buffered_, bytes.data(), bytes.size());
  buffered_ += bytes.size();
  bytes_written_ += bytes.size();
}

void AtomicFileWriter::Write(std::string_view text) { Write(std::as_bytes(std::span(text))); }

void AtomicFileWriter::Flush() {
  WriteToFd(buffer_.data(), buffered_);
  buffered_ = 0;
}

void AtomicFileWriter::WriteToFd(const std::byte* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;  // write() returning 0 means no room
      throw IoError("writing " + path_.string() + ": " + ErrnoText(err));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::Commit() {
  CheckOpen();
  Flush();
  // Network file systems may report a full disk only at fsync or close.
  if (::fsync(fd_) != 0) throw IoError("writing " + path_.string() + ": " + ErrnoText(errno));
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) throw IoError("writing " + path_.string() + ": " + ErrnoText(errno));
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    throw OutputError("creating " + path_.string() + ": " + ErrnoText(errno));
  }
  committed_ = true;
  SyncDirectory(target_.parent_path(), path_);
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  AtomicFileWriter writer(path, std::min<size_t>(bytes.size() + 1, size_t{1} << 20));
  writer.Write(bytes);
  writer.Commit();
}

std::string ReadFileToString(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError("cannot open " + path.string() + ": " + ErrnoText(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError("reading " + path.string() + ": read failed");
  return bytes;
}

}  // namespace ntm
