#include "pipeline/io/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <optional>
#include <string>

#include "libvi/base/errors.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::ErrorMessage;
using testing::ListNames;
using testing::PermissionBits;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(AtomicFileWriterTest, NothingUnderFinalNameUntilCommit) {
  TempDir dir;
  const auto final_path = dir / "out.bin";
  AtomicFileWriter writer(final_path);
  writer.Write("hello ");
  writer.Write(std::string(3 << 20, 'x'));  // larger than the buffer: reaches the disk
  EXPECT_FALSE(std::filesystem::exists(final_path));
  const auto names = ListNames(dir.path());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(names[0].starts_with("out.bin.tmp-")) << names[0];
  EXPECT_EQ(writer.temp_path().filename().string(), names[0]);
  EXPECT_EQ(writer.bytes_written(), 6u + (3u << 20));

  writer.Commit();
  EXPECT_EQ(ListNames(dir.path()), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(ReadBytes(final_path), "hello " + std::string(3 << 20, 'x'));
  EXPECT_EQ(PermissionBits(final_path), 0640u);
}

TEST(AtomicFileWriterTest, DestructionWithoutCommitRemovesTheTemporaryFile) {
  TempDir dir;
  {
    AtomicFileWriter writer(dir / "out.bin");
    writer.Write("partial");
  }
  EXPECT_TRUE(ListNames(dir.path()).empty());
}

TEST(AtomicFileWriterTest, ExistingFileKeepsOldContentsUntilCommit) {
  TempDir dir;
  WriteBytes(dir / "model.bin", "old");
  AtomicFileWriter writer(dir / "model.bin", 4);
  writer.Write("new contents written in several small pieces");
  EXPECT_EQ(ReadBytes(dir / "model.bin"), "old");
  writer.Commit();
  EXPECT_EQ(ReadBytes(dir / "model.bin"), "new contents written in several small pieces");
}

TEST(AtomicFileWriterTest, SmallBufferPreservesByteOrderAcrossMixedWriteSizes) {
  TempDir dir;
  std::string expected;
  AtomicFileWriter writer(dir / "f", 16);
  for (int i = 0; i < 200; ++i) {
    const std::string piece(static_cast<size_t>(i % 37), static_cast<char>('a' + i % 26));
    writer.Write(piece);
    expected += piece;
  }
  writer.Commit();
  EXPECT_EQ(ReadBytes(dir / "f"), expected);
}

TEST(AtomicFileWriterTest, MissingFolderIsOutputErrorNamingTheFile) {
  TempDir dir;
  const std::string message =
      ErrorMessage<OutputError>([&] { AtomicFileWriter writer(dir / "no" / "such.bin"); });
  EXPECT_TRUE(Contains(message, "such.bin")) << message;
}

TEST(AtomicFileWriterTest, FailedRenameIsOutputErrorAndLeavesNoTemporaryFile) {
  TempDir dir;
  {
    AtomicFileWriter writer(dir / "taken");
    writer.Write("data");
    // A folder appears under the name while writing: the rename onto it fails.
    std::filesystem::create_directories(dir / "taken" / "child");
    const std::string message = ErrorMessage<OutputError>([&] { writer.Commit(); });
    EXPECT_TRUE(Contains(message, "taken")) << message;
  }
  EXPECT_EQ(ListNames(dir.path()), std::vector<std::string>{"taken"});
}

TEST(AtomicFileWriterTest, RefusesAFolderOrFifoAndCreatesNoTemporaryBesideIt) {
  TempDir dir;
  std::filesystem::create_directories(dir / "folder");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  for (const std::string name : {"folder", "fifo"}) {
    const std::string message =
        ErrorMessage<OutputError>([&] { AtomicFileWriter writer(dir / name); });
    EXPECT_TRUE(Contains(message, name) && Contains(message, "not a regular file")) << message;
  }
  EXPECT_EQ(ListNames(dir.path()), (std::vector<std::string>{"fifo", "folder"}));
  EXPECT_TRUE(std::filesystem::is_fifo(dir / "fifo"));
}

TEST(AtomicFileWriterTest, WritesThroughASymbolicLink) {
  TempDir dir;
  std::filesystem::create_directories(dir / "real");
  std::filesystem::create_symlink("real/target.txt", dir / "link.txt");
  WriteFileAtomically(dir / "link.txt", "through\n");
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.txt"));
  EXPECT_EQ(ReadBytes(dir / "real" / "target.txt"), "through\n");
  EXPECT_EQ(ListNames(dir.path() / "real"), std::vector<std::string>{"target.txt"});
}

TEST(AtomicFileWriterTest, UseAfterCommitIsALogicError) {
  TempDir dir;
  AtomicFileWriter writer(dir / "f");
  writer.Commit();
  EXPECT_THROW(writer.Write("x"), std::logic_error);
  EXPECT_THROW(writer.Commit(), std::logic_error);
  EXPECT_EQ(ReadBytes(dir / "f"), "");
}

TEST(WriteFileAtomicallyTest, WritesExactBytesWithOwnerAndGroupPermissions) {
  TempDir dir;
  const std::string bytes("a\0b\nc", 5);
  WriteFileAtomically(dir / "x.txt", bytes);
  EXPECT_EQ(ReadBytes(dir / "x.txt"), bytes);
  EXPECT_EQ(PermissionBits(dir / "x.txt"), 0640u);
  EXPECT_EQ(ListNames(dir.path()), std::vector<std::string>{"x.txt"});
}

// A 64 KiB tmpfs: the only way to get a real ENOSPC without filling a real disk.
class TinyTmpfs {
 public:
  TinyTmpfs() {
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=64k") == 0) mounted_ = true;
  }
  ~TinyTmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::filesystem::path operator/(std::string_view name) const { return dir_ / name; }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

TEST(AtomicFileWriterTest, DiskFullIsIoErrorAndLeavesNothingBehind) {
  TinyTmpfs fs;
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)";
  {
    AtomicFileWriter writer(fs / "theta.npy", 4096);
    const std::string message = ErrorMessage<IoError>([&] {
      for (int i = 0; i < 64; ++i) writer.Write(std::string(4096, 'x'));
      writer.Commit();
    });
    EXPECT_TRUE(Contains(message, "writing " + (fs / "theta.npy").string())) << message;
    EXPECT_TRUE(Contains(message, "No space left on device")) << message;
  }
  EXPECT_TRUE(ListNames(fs.path()).empty());

  const std::string message = ErrorMessage<IoError>(
      [&] { WriteFileAtomically(fs / "vocab.tsv", std::string(256 << 10, 'y')); });
  EXPECT_TRUE(Contains(message, "vocab.tsv: No space left on device")) << message;
  EXPECT_TRUE(ListNames(fs.path()).empty());
}

// Lowers RLIMIT_FSIZE and ignores SIGXFSZ for the scope, so writes past the
// limit fail with EFBIG instead of killing the test.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit lowered = old_;
    lowered.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

TEST(AtomicFileWriterTest, FileSizeLimitIsIoErrorNamingTheFile) {
  TempDir dir;
  {
    FileSizeLimit limit(8192);
    AtomicFileWriter writer(dir / "bow.mtx", 1024);
    const std::string message = ErrorMessage<IoError>([&] {
      writer.Write(std::string(64 << 10, 'z'));
      writer.Commit();
    });
    EXPECT_TRUE(Contains(message, "writing " + (dir / "bow.mtx").string() + ": File too large"))
        << message;
  }
  EXPECT_TRUE(ListNames(dir.path()).empty());
}

TEST(CreateDirectoriesTest, CreatesNestedFoldersWithOwnerAndGroupPermissions) {
  TempDir dir;
  CreateDirectories(dir / "a" / "b" / "c");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a" / "b" / "c"));
  EXPECT_EQ(PermissionBits(dir / "a" / "b"), 0750u);
  CreateDirectories(dir / "a" / "b" / "c");  // existing folders are fine
  CreateDirectories(dir.path() / "a/b/c/");
}

TEST(CreateDirectoriesTest, FileInTheWayIsOutputError) {
  TempDir dir;
  WriteBytes(dir / "scores", "not a folder");
  const std::string message =
      ErrorMessage<OutputError>([&] { CreateDirectories(dir / "scores" / "run1"); });
  EXPECT_TRUE(Contains(message, "scores exists and is not a folder")) << message;
}

TEST(ReadFileToStringTest, ReadsBytesAndReportsMissingFiles) {
  TempDir dir;
  WriteBytes(dir / "f", std::string("x\0y", 3));
  EXPECT_EQ(ReadFileToString(dir / "f"), std::string("x\0y", 3));
  const std::string message =
      ErrorMessage<MissingInputError>([&] { ReadFileToString(dir / "gone.txt"); });
  EXPECT_TRUE(Contains(message, "gone.txt")) << message;
}

}  // namespace
}  // namespace ntm
