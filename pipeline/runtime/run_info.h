// run.json and config.yaml: what every stage leaves beside its outputs, so a
// report can say which version, configuration, ranks and machine produced them.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/stages.h"

namespace ntm {

// Eigen's version, e.g. "3.4.0".
std::string EigenVersion();
// The SIMD instruction sets this binary was compiled for, which Eigen's
// kernels use, widest first (e.g. "AVX2, FMA, AVX, SSE4.2, ...").
std::string SimdInstructionSets();

// Times a stage and writes its run.json and config.yaml when it ends.
class RunRecorder {
 public:
  // Starts the clock for `stage` writing into `out_dir`.
  RunRecorder(std::string stage, std::filesystem::path out_dir);
  // Writes out_dir/config.yaml (effective config, with comments) and
  // out_dir/run.json. Call on rank 0 after the outputs are complete.
  void Write(const StageContext& ctx, const std::vector<std::string>& inputs) const;
  // Changes the folder Write() writes to (a run that renames its output folder).
  void set_out_dir(std::filesystem::path dir) { out_dir_ = std::move(dir); }
  // Seconds since construction.
  double elapsed_seconds() const;

 private:
  std::string stage_;
  std::filesystem::path out_dir_;
  std::string started_utc_;
  std::chrono::steady_clock::time_point start_;
};

// The CPU model name from /proc/cpuinfo ("unknown" elsewhere).
std::string CpuModelName();

}  // namespace ntm
