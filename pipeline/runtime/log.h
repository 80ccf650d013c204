// Log lines carry UTC time, level and rank: "2026-11-26T06:40:01Z INFO  [0] ...".
// Rank 0 prints every level at or above the threshold; other ranks print only
// warnings and errors, so a P-rank job's log reads like a one-rank job's.
// Never log document text: ids, counts, file names and positions only.
#pragma once

#include <sstream>
#include <string>

namespace ntm {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets this process's rank (for the prefix) and the lowest level printed.
void InitLogging(int rank, LogLevel threshold);
// Parses "debug" | "info" | "warn" | "error".
LogLevel ParseLogLevel(const std::string& name);
// This process's rank as given to InitLogging.
int LogRank();
// True when a message at `level` would be printed by this rank.
bool LogEnabled(LogLevel level);
// Prints one line to stderr (thread-safe, one write per line).
void LogLine(LogLevel level, const std::string& message);
// Current UTC time as ISO 8601, e.g. 2026-11-26T06:40:01Z.
std::string UtcTimestamp();

// Streams a message and prints it when destroyed: NTM_LOG(kInfo) << "read " << n;
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  // The stream the message is built in.
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace ntm

#define NTM_LOG(level)                              \
  if (!::ntm::LogEnabled(::ntm::LogLevel::level)) { \
  } else                                            \
    ::ntm::LogMessage(::ntm::LogLevel::level).stream()
