#include "pipeline/io/shared_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/npy.h"

namespace ntm {
namespace {

[[noreturn]] void FailIo(const std::filesystem::path& path, const char* what) {
  throw IoError(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

void WriteAllAt(int fd, const std::byte* data, size_t size, uint64_t offset,
                const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) FailIo(path, "writing");
    data += n, size -= static_cast<size_t>(n), offset += static_cast<uint64_t>(n);
  }
}

}  // namespace

SharedNpyFile::SharedNpyFile(Communicator& comm, std::filesystem::path path, std::string descr,
                             int64_t rows, int64_t cols)
    : comm_(comm),
      path_(RegularOutputTarget(path)),  // written through a link; never a device
      temp_(path_.string() + ".partial") {
  const size_t element = descr == "<f8" ? 8 : 4;
  row_bytes_ = element * static_cast<size_t>(cols > 0 ? cols : 1);
  std::vector<int64_t> shape = {rows};
  if (cols > 0) shape.push_back(cols);
  const std::string preamble = NpyPreamble(descr, shape);
  data_offset_ = preamble.size();
  if (comm_.is_root()) {
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) throw OutputError("cannot create " + temp_.string() + ": " + std::strerror(errno));
    WriteAllAt(fd, reinterpret_cast<const std::byte*>(preamble.data()), preamble.size(), 0, temp_);
    const bool sized = ::ftruncate(fd, static_cast<off_t>(data_offset_ + rows * row_bytes_)) == 0;
    ::close(fd);
    if (!sized) FailIo(temp_, "sizing");
  }
  comm_.Barrier();
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) throw OutputError("cannot open " + temp_.string() + ": " + std::strerror(errno));
}

SharedNpyFile::~SharedNpyFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && comm_.is_root()) {
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

void SharedNpyFile::WriteRows(int64_t first_row, std::span<const std::byte> values) {
  WriteAllAt(fd_, values.data(), values.size(), data_offset_ + first_row * row_bytes_, temp_);
}

void SharedNpyFile::Commit() {
  if (::fsync(fd_) != 0) FailIo(temp_, "syncing");
  ::close(fd_);
  fd_ = -1;
  comm_.Barrier();
  if (comm_.is_root()) {
    std::error_code error;
    std::filesystem::rename(temp_, path_, error);
    if (error) throw IoError("renaming " + temp_.string() + ": " + error.message());
  }
  committed_ = true;
}

SharedTextFile::SharedTextFile(Communicator& comm, std::filesystem::path path, std::string header)
    : comm_(comm), path_(RegularOutputTarget(path)), header_(std::move(header)) {
  part_.open(PartPath(comm_.rank()), std::ios::binary | std::ios::trunc);
  if (!part_) throw OutputError("cannot create " + PartPath(comm_.rank()).string());
}

SharedTextFile::~SharedTextFile() {
  if (committed_) return;
  part_.close();
  std::error_code ignored;
  std::filesystem::remove(PartPath(comm_.rank()), ignored);
}

std::filesystem::path SharedTextFile::PartPath(int rank) const {
  return path_.string() + ".part-" + std::to_string(rank);
}

void SharedTextFile::Append(std::string_view text) {
  part_.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!part_) throw IoError("writing " + PartPath(comm_.rank()).string() + ": write failed");
}

void SharedTextFile::Commit() {
  part_.flush();
  if (!part_) throw IoError("writing " + PartPath(comm_.rank()).string() + ": write failed");
  part_.close();
  comm_.Barrier();
  if (comm_.is_root()) {
    AtomicFileWriter out(path_);
    out.Write(header_);
    std::vector<char> buffer(1 << 20);
    for (int r = 0; r < comm_.size(); ++r) {
      std::ifstream in(PartPath(r), std::ios::binary);
      while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount()) {
        out.Write(std::as_bytes(std::span(buffer.data(), static_cast<size_t>(in.gcount()))));
      }
    }
    out.Commit();
  }
  comm_.Barrier();  // parts are removed only after rank 0 has read them
  std::filesystem::remove(PartPath(comm_.rank()));
  committed_ = true;
}

}  // namespace ntm
