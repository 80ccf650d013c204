#include "pipeline/runtime/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

std::atomic<int> g_rank{0};
std::atomic<int> g_threshold{static_cast<int>(LogLevel::kInfo)};
std::mutex g_write_mutex;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO ";
    case LogLevel::kWarn:
      return "WARN ";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

void InitLogging(int rank, LogLevel threshold) {
  g_rank = rank;
  g_threshold = static_cast<int>(threshold);
}

LogLevel ParseLogLevel(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  throw ConfigError("log.level: '" + name + "' is not one of debug | info | warn | error");
}

int LogRank() { return g_rank; }

bool LogEnabled(LogLevel level) {
  if (static_cast<int>(level) < g_threshold) return false;
  return g_rank == 0 || level >= LogLevel::kWarn;
}

std::string UtcTimestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

void LogLine(LogLevel level, const std::string& message) {
  std::string line = UtcTimestamp() + " " + LevelName(level) + " [" + std::to_string(g_rank) +
                     "] " + message + "\n";
  std::lock_guard<std::mutex> lock(g_write_mutex);
  // One write(2) per line keeps lines from different ranks whole in a shared log.
  for (size_t done = 0; done < line.size();) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace ntm
