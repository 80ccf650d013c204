// An exclusive lock on an output folder for the life of a run, so two runs
// never write the same model or scores folder at once. The lock is a flock on
// DIR/.lock: the kernel releases it when the process ends, however it ends.
#pragma once

#include <filesystem>

namespace ntm {

// Holds the lock on `dir` (which must exist) until destroyed.
class FolderLock {
 public:
  // TemporaryError (exit 75) naming the folder if another run holds it.
  explicit FolderLock(const std::filesystem::path& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ntm
