// Helpers of the fault campaign (tests/fault/*_fault.cc): running ntm stages
// on the bundled MedQuAD sample with a tiny config, signalling ranks of a
// running job, checking that every file under a final name in an output folder
// is complete (an oracle independent of ntm's own readers), and recording one
// row of docs/reliability.md's table per fault tried.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/util/run_command.h"

namespace ntm::fault {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_util::Background;
using testing_util::CommandResult;
using testing_util::Mpirun;
using testing_util::ReadFile;
using testing_util::RunCommand;
using testing_util::TempDir;
using testing_util::WriteFile;

inline const std::string kNtm = NTM_BINARY;
inline const std::string kSample =
    std::string(NTM_SOURCE_DIR) + "/tests/data/medquad-sample.jsonl.gz";
inline const std::string kConfig = std::string(NTM_SOURCE_DIR) + "/configs/default.yaml";

// The small settings every fault test runs with (seconds per stage on 2 cores).
inline std::string Tiny() {
  return " --config " + kConfig +
         " --set tokenize.docs_per_shard=200 --set vocab.mode=words --set vocab.min_df=2"
         " --set vocab.max_size=1500 --set model.num_topics=5 --set model.hidden=20"
         " --set train.epochs=2 --set score.mc_samples=4 --set score.refine_steps=5"
         " --set score.classical_max_iter=50 --set log.progress_seconds=1 --set log.level=warn ";
}

// The first `n` records of the MedQuAD sample as a plain JSONL file.
inline void WriteSample(const fs::path& path, int n) {
  fs::create_directories(path.parent_path());
  RunCommand("gzip -dc " + kSample + " | head -n " + std::to_string(n) + " > " + path.string());
}

// A /proc file, read with read(2): a process may exit while it is read, and
// libstdc++'s filebuf throws on such a read error.
inline std::string ReadProcFile(const std::string& path) {
  std::string bytes;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    bytes.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return bytes;
}

// Lines of `output` that are ntm error messages ("ntm <stage>: error: ...").
inline std::vector<std::string> ErrorLines(const std::string& output) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(start, end - start);
    if (line.rfind("ntm ", 0) == 0 && line.find(": error: ") != std::string::npos) {
      lines.push_back(line);
    }
    start = end + 1;
  }
  return lines;
}

// The single error line, or a description of why there is not exactly one.
inline std::string OneErrorLine(const CommandResult& r) {
  const auto lines = ErrorLines(r.output);
  if (lines.size() == 1) return lines[0];
  // Appended piecewise: GCC 12 at -O3 warns (-Wrestrict, a false positive)
  // about "(" + std::to_string(...).
  std::string s = "(";
  s += std::to_string(lines.size());
  s += " error lines)";
  return s;
}

// Pids of the ntm processes (argv[0] == the tested binary) whose command line
// holds `out_dir` as an argument: the ranks of this test's own job.
inline std::vector<pid_t> RankPids(const std::string& out_dir) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = ReadProcFile((e.path() / "cmdline").string());
    std::vector<std::string> argv;
    for (size_t start = 0, end; start < cmdline.size(); start = end + 1) {
      end = cmdline.find('\0', start);
      if (end == std::string::npos) end = cmdline.size();
      argv.push_back(cmdline.substr(start, end - start));
    }
    if (argv.empty() || argv[0] != kNtm) continue;
    if (std::find(argv.begin(), argv.end(), out_dir) != argv.end()) {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

// True once none of `pids` is alive (zombies count as gone), polling up to `seconds`.
inline bool AllGone(const std::vector<pid_t>& pids, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    bool any = false;
    for (pid_t pid : pids) {
      const std::string stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
      const size_t paren = stat.rfind(')');
      any |= paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
    }
    if (!any) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Waits until `ready()` holds or the job ended; returns ready().
template <typename Ready>
bool WaitFor(Ready ready, const Background& job, double seconds = 120) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline && !job.done()) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ready();
}

// True for the names ntm writes while a file is incomplete.
inline bool IsTemporaryName(const std::string& name) {
  return name.find(".tmp-") != std::string::npos || name.ends_with(".partial") ||
         name.rfind(".", 0) == 0;
}

// Why `path` (a file under its final name) is not a complete ntm output, or "".
inline std::string IncompleteReason(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string bytes = ReadFile(path);
  auto ends_with_trailer = [&](const char* magic) -> std::string {
    if (bytes.size() < 32) return "shorter than a header and trailer";
    if (std::memcmp(bytes.data(), magic, 6) != 0) return "wrong magic";
    if (bytes.compare(bytes.size() - 8, 8, std::string("NTMEND\0\0", 8)) != 0) {
      return "no end magic (truncated)";
    }
    uint64_t stored;
    std::memcpy(&stored, bytes.data() + bytes.size() - 16, 8);
    if (XXH3_64bits(bytes.data(), bytes.size() - 16) != stored) return "checksum mismatch";
    return "";
  };
  if (name.ends_with(".bow")) return ends_with_trailer("NTMBOW");
  if (name == "model.bin") return ends_with_trailer("NTMMOD");
  if (name.ends_with(".npy")) {
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return "not a .npy file";
    const size_t header_len = static_cast<unsigned char>(bytes[8]) |
                              (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    if (bytes.size() < 10 + header_len) return "truncated header";
    const std::string header = bytes.substr(10, header_len);
    // No <regex>: GCC 12 with -fsanitize=address warns inside it (-Wmaybe-uninitialized).
    size_t item = 0;
    if (header.find("'descr': '<f4'") != std::string::npos) item = 4;
    if (header.find("'descr': '<f8'") != std::string::npos) item = 8;
    if (item == 0) return "bad dtype";
    const size_t shape = header.find("'shape': (");
    const size_t close = header.find(')', shape);
    if (shape == std::string::npos || close == std::string::npos) return "bad shape";
    size_t count = 1;
    bool any = false;
    uint64_t dim = 0;
    for (size_t i = shape + 10; i <= close; ++i) {
      const char c = header[i];
      if (c >= '0' && c <= '9') {
        dim = dim * 10 + static_cast<uint64_t>(c - '0');
        any = true;
      } else if (any) {
        count *= dim;
        dim = 0;
        any = false;
      }
    }
    if (bytes.size() != 10 + header_len + count * item) return "data length differs from shape";
    return "";
  }
  if (name.ends_with(".json")) {
    return json::accept(bytes) ? "" : "not valid JSON (truncated?)";
  }
  if (name.ends_with(".jsonl")) {
    if (!bytes.empty() && bytes.back() != '\n') return "last line incomplete";
    size_t start = 0;
    while (start < bytes.size()) {
      const size_t end = bytes.find('\n', start);
      if (!json::accept(bytes.substr(start, end - start))) return "a line is not valid JSON";
      start = end + 1;
    }
    return "";
  }
  if (name.ends_with(".tsv") || name.ends_with(".txt") || name.ends_with(".csv") ||
      name.ends_with(".yaml") || name.ends_with(".mtx") || name.ends_with(".md")) {
    if (!bytes.empty() && bytes.back() != '\n') return "does not end with a line break";
    return "";
  }
  return "";
}

// What an output folder holds after a fault.
struct FolderCheck {
  std::vector<std::string> incomplete;  // "name: reason" for broken files under final names
  std::vector<std::string> temporary;   // leftovers under temporary names
  int complete = 0;                     // files under final names that check out
  bool ok() const { return incomplete.empty(); }
  // "intact (N files)", "intact (N files; 2 temporary leftovers)" or the problems.
  std::string Summary() const {
    if (!ok()) {
      std::string s = "BROKEN:";
      for (const auto& p : incomplete) s += " " + p + ";";
      return s;
    }
    std::string s = "intact (" + std::to_string(complete) + " files";
    if (!temporary.empty()) s += "; " + std::to_string(temporary.size()) + " temporary leftover(s)";
    return s + ")";
  }
};

inline FolderCheck CheckFolder(const fs::path& dir) {
  FolderCheck check;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return check;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name == ".lock") continue;  // train's and score's lock file: kept by design
    if (IsTemporaryName(name)) {
      check.temporary.push_back(name);
      continue;
    }
    const std::string why = IncompleteReason(e.path());
    if (why.empty()) {
      ++check.complete;
    } else {
      check.incomplete.push_back(fs::relative(e.path(), dir).string() + ": " + why);
    }
  }
  return check;
}

// Appends one row to the table file named by $NTM_FAULT_TABLE (fault_table.sh
// sets it); no-op otherwise. Columns: fault, inputs tried, outcome, exit code,
// files intact. Tabs and line breaks in cells become spaces.
inline void Row(const std::string& fault, const std::string& inputs, const std::string& outcome,
                const std::string& exit_code, const std::string& intact) {
  const char* table = std::getenv("NTM_FAULT_TABLE");
  if (table == nullptr || *table == '\0') return;
  auto clean = [](std::string s) {
    for (char& c : s) {
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
      if (c == '|') c = '/';
    }
    return s;
  };
  std::ofstream out(table, std::ios::app);
  out << clean(fault) << '\t' << clean(inputs) << '\t' << clean(outcome) << '\t' << clean(exit_code)
      << '\t' << clean(intact) << '\n';
}

// True when the slow cases (1 GB line, ...) should run: fault_table.sh sets NTM_FAULT_SLOW=1.
inline bool SlowCasesEnabled() {
  const char* v = std::getenv("NTM_FAULT_SLOW");
  return v != nullptr && std::string(v) == "1";
}

// `path` relative to `base` for table cells (no temp-folder names).
inline std::string Short(const fs::path& path, const fs::path& base) {
  return fs::relative(path, base).string();
}

}  // namespace ntm::fault
