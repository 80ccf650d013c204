// libFuzzer target: pipeline/config/config.h ParseConfig (YAML via yaml-cpp, strict
// keys and ranges) and --set overrides.
//
// Input: YAML text; if it holds NUL bytes, the parts after the first NUL are
// `--set` overrides ("section.key=value"), one per NUL-separated part.
// Checks: only ntm::Error types escape (a yaml-cpp or std exception would be
// exit 70, "internal error", for what is a user's config mistake); a config
// that loads round-trips: ConfigToYaml(c) parses back to the same YAML.
#include <cstdint>
#include <string>
#include <vector>

#include "libvi/base/errors.h"
#include "pipeline/config/config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t nul = input.find('\0', start);
    parts.push_back(input.substr(start, nul == std::string::npos ? nul : nul - start));
    if (nul == std::string::npos || parts.size() > 8) break;
    start = nul + 1;
  }
  const std::string yaml = parts.front();
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  ntm::Config config;
  try {
    config = ntm::ParseConfig(yaml, "fuzz.yaml", overrides);
  } catch (const ntm::Error&) {
    return 0;
  }
  const std::string once = ntm::ConfigToYaml(config, true);
  std::string twice;
  try {
    twice = ntm::ConfigToYaml(ntm::ParseConfig(once, "roundtrip.yaml", {}), true);
  } catch (const ntm::Error& e) {
    NTM_FUZZ_CHECK(false, "the effective config (ConfigToYaml) loads again");
  }
  NTM_FUZZ_CHECK(once == twice, "ConfigToYaml(ParseConfig(ConfigToYaml(c))) == ConfigToYaml(c)");
  return 0;
}
