// Helpers for end-to-end tests: run a shell command and capture its output
// and exit code; make and remove a temporary folder; read and write whole
// files; take a slice of a JSONL corpus.
#pragma once

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace ntm::testing_util {

// What a finished command left behind.
struct CommandResult {
  int exit_code = -1;    // the process exit code, or 128 + signal
  std::string output;    // stdout and stderr, interleaved
  double seconds = 0.0;  // wall time
};

// Runs `command` with /bin/sh, stderr merged into stdout.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

// `mpirun -np N` with the flags this machine needs (2 cores, root in CI).
inline std::string Mpirun(int np) {
  return std::string("env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ") +
         NTM_MPIEXEC + " -np " + std::to_string(np) + " --oversubscribe ";
}

// A fresh folder under the system temp dir, removed when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ntm-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // The folder's path.
  const std::filesystem::path& path() const { return path_; }
  // A path inside the folder.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs a command on a thread, so the test can signal its processes meanwhile.
class Background {
 public:
  explicit Background(const std::string& command)
      : thread_([this, command] {
          result_ = RunCommand(command);
          done_ = true;
        }) {}
  ~Background() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_; }
  CommandResult Wait() {
    thread_.join();
    return result_;
  }

 private:
  CommandResult result_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The bytes of a file ("" if it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes `bytes` as the whole file, creating its folder first.
inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Lines [first, first + n) of a JSONL file, each ending in a line break.
inline std::string JsonlSlice(const std::filesystem::path& path, int first, int n) {
  std::ifstream in(path);
  std::string text;
  int i = 0;
  for (std::string line; i < first + n && std::getline(in, line); ++i) {
    if (i >= first) text += line + "\n";
  }
  return text;
}

}  // namespace ntm::testing_util
