#include "pipeline/runtime/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "pipeline/runtime/log.h"

namespace ntm {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buffer;
}

ProgressReporter::ProgressReporter(std::string label, int64_t total, std::string unit, bool enabled,
                                   double interval_seconds)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      interval_seconds_(interval_seconds),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_print_(start_) {}

ProgressReporter::~ProgressReporter() {
  if (enabled_ && terminal_ && !finished_ && done_ > 0) std::fputs("\n", stderr);
}

std::string ProgressReporter::StatusLine(int64_t done, double elapsed) const {
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  char buffer[256];
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - done) / rate : NAN;
    std::snprintf(buffer, sizeof buffer, "%s %lld/%lld (%.1f%%) %.0f %s/s ETA %s", label_.c_str(),
                  static_cast<long long>(done), static_cast<long long>(total_),
                  100.0 * done / total_, rate, unit_.c_str(), FormatDuration(eta).c_str());
  } else {
    std::snprintf(buffer, sizeof buffer, "%s %lld %s, %.0f %s/s, elapsed %s", label_.c_str(),
                  static_cast<long long>(done), unit_.c_str(), rate, unit_.c_str(),
                  FormatDuration(elapsed).c_str());
  }
  return buffer;
}

void ProgressReporter::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  const double since = std::chrono::duration<double>(Clock::now() - last_print_).count();
  if (since >= (terminal_ ? 0.2 : interval_seconds_)) Print(false);
}

void ProgressReporter::Finish() {
  if (!enabled_ || finished_) return;
  Print(true);
  finished_ = true;
}

void ProgressReporter::Print(bool final) {
  last_print_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_print_ - start_).count();
  const std::string status = StatusLine(done_, elapsed) + (detail_.empty() ? "" : "; " + detail_);
  if (!terminal_) {
    LogLine(LogLevel::kInfo, status);
    return;
  }
  constexpr int kWidth = 30;
  const int filled =
      total_ > 0 ? static_cast<int>(kWidth * std::min<double>(1.0, double(done_) / total_)) : 0;
  std::string bar(filled, '#');
  bar.resize(kWidth, total_ > 0 ? '.' : ' ');
  std::fprintf(stderr, "\r[%s] %s\033[K%s", bar.c_str(), status.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace ntm
