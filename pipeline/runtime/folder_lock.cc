#include "pipeline/runtime/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvi/base/errors.h"

namespace ntm {

FolderLock::FolderLock(const std::filesystem::path& dir) {
  const auto path = dir / ".lock";
  // O_NOFOLLOW | O_NONBLOCK: a link, FIFO or device named .lock is refused, never opened.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0640);
  struct stat st;
  if (fd_ >= 0 && (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))) {
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) throw OutputError("cannot create the lock file " + path.string());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw TemporaryError("another run holds the lock on " + dir.string() +
                         "; try again when it has finished");
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace ntm
