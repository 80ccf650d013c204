// Progress of a long loop: done/total, rate and ETA. On a terminal it redraws
// a live bar (at most 5 times a second); when stderr is a file (a batch job
// log) it prints one log line every `interval_seconds`. Only rank 0 reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ntm {

// Reports progress of one loop over `total` units (documents, steps, bytes).
class ProgressReporter {
 public:
  // `enabled` is normally comm.is_root(); `total` may be 0 when unknown.
  ProgressReporter(std::string label, int64_t total, std::string unit, bool enabled,
                   double interval_seconds);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Sets the number of units done so far; prints if it is time to.
  void Update(int64_t done);
  // Prints the final line (once) with the overall rate.
  void Finish();
  // One status line: "label 4500/10000 (45.0%) 1234 docs/s ETA 0:00:05".
  std::string StatusLine(int64_t done, double elapsed_seconds) const;
  // Extra figures appended to every status line (e.g. "epoch 3, ELBO/token -7.2").
  void set_detail(std::string detail) { detail_ = std::move(detail); }
  // Forces terminal or file mode (tests).
  void set_terminal(bool terminal) { terminal_ = terminal; }

 private:
  using Clock = std::chrono::steady_clock;
  void Print(bool final);

  std::string label_;
  int64_t total_;
  std::string unit_;
  std::string detail_;
  bool enabled_;
  double interval_seconds_;
  bool terminal_;
  bool finished_ = false;
  int64_t done_ = 0;
  Clock::time_point start_;
  Clock::time_point last_print_;
};

// Formats seconds as H:MM:SS.
std::string FormatDuration(double seconds);

}  // namespace ntm
