#include "pipeline/runtime/run_info.h"

#include <unicode/uversion.h>
#include <unistd.h>

#include <Eigen/Core>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "pipeline/build_info.h"
#include "pipeline/git_commit.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/mpi_communicator.h"
#include "tokenizer/readers/postgres_connection.h"

namespace ntm {

std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string EigenVersion() {
  return std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION);
}

// Eigen's own SimdInstructionSetsInUse() does not tell AVX from AVX2 + FMA;
// the compiler's macros (the ones Eigen selects its kernels by) do.
std::string SimdInstructionSets() {
  std::string sets;
  const auto add = [&sets](const char* name) {
    sets += (sets.empty() ? "" : ", ") + std::string(name);
  };
#ifdef __AVX512F__
  add("AVX512F");
#endif
#ifdef __AVX2__
  add("AVX2");
#endif
#ifdef __FMA__
  add("FMA");
#endif
#ifdef __AVX__
  add("AVX");
#endif
#ifdef __SSE4_2__
  add("SSE4.2");
#endif
#ifdef __SSE4_1__
  add("SSE4.1");
#endif
#ifdef __SSSE3__
  add("SSSE3");
#endif
#ifdef __SSE3__
  add("SSE3");
#endif
#ifdef __SSE2__
  add("SSE2");
#endif
#ifdef __ARM_NEON
  add("NEON");
#endif
  return sets.empty() ? "none" : sets;
}

namespace {

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

nlohmann::json Libraries() {
  return {{"mpi", MpiLibraryVersion()},
          {"eigen", EigenVersion()},
          {"eigen_simd", SimdInstructionSets()},
          {"icu", U_ICU_VERSION},
          {"sentencepiece", NTM_SENTENCEPIECE_VERSION},
          {"yaml-cpp", NTM_YAML_CPP_VERSION},
          {"simdjson", NTM_SIMDJSON_VERSION}};
}

void WriteText(const std::filesystem::path& path, const std::string& text) {
  AtomicFileWriter out(path);
  out.Write(text);
  out.Commit();
}

// Inputs as recorded: database URIs without their password.
std::vector<std::string> WithoutPasswords(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& input : inputs) {
    out.push_back(IsPostgresUri(input) ? RedactPostgresUri(input) : input);
  }
  return out;
}

}  // namespace

RunRecorder::RunRecorder(std::string stage, std::filesystem::path out_dir)
    : stage_(std::move(stage)),
      out_dir_(std::move(out_dir)),
      started_utc_(UtcTimestamp()),
      start_(std::chrono::steady_clock::now()) {}

double RunRecorder::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void RunRecorder::Write(const StageContext& ctx, const std::vector<std::string>& inputs) const {
  const std::string config_yaml = ConfigToYaml(ctx.config);
  WriteText(out_dir_ / "config.yaml", config_yaml);
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx",
                static_cast<unsigned long long>(ChecksumBytes(ConfigToYaml(ctx.config, false))));
  const nlohmann::json run = {{"stage", stage_},
                              {"ntm_version", NTM_VERSION},
                              {"git_commit", NTM_GIT_COMMIT},
                              {"ranks", ctx.comm.size()},
                              {"host", HostName()},
                              {"cpu", CpuModelName()},
                              {"cores", std::thread::hardware_concurrency()},
                              {"started_utc", started_utc_},
                              {"wall_seconds", elapsed_seconds()},
                              {"config_checksum", checksum},
                              {"inputs", WithoutPasswords(inputs)},
                              {"libraries", Libraries()}};
  WriteText(out_dir_ / "run.json", run.dump(2) + "\n");
}

}  // namespace ntm
