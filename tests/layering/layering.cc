#include "tests/layering/layering.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace ntm::layering {
namespace {

namespace fs = std::filesystem;

// The one file allowed to include <mpi.h>.
const std::string kMpiFile = "pipeline/runtime/mpi_communicator.cc";
// The one file allowed to include libpq (<libpq-fe.h>): the PgConnection wrapper.
const std::string kLibpqFile = "tokenizer/readers/postgres_connection.cc";

// pipeline/ subfolders: stages never include each other; shared concerns
// never include a stage. Top-level headers every folder may include (the
// stage contract and the generated build headers); the rest of the top
// level (main.cc, cli.*) is the CLI, which may include anything.
const std::set<std::string> kStageFolders = {"tokenize", "train",  "score",
                                             "report",   "export", "synth"};
const std::set<std::string> kSharedFolders = {"config", "runtime", "io", "corpus"};
const std::set<std::string> kSharedTopHeaders = {"pipeline/stages.h", "pipeline/build_info.h",
                                                 "pipeline/git_commit.h"};

// Third-party headers a module must not see, by path prefix.
const std::map<std::string, std::vector<std::string>> kForbiddenSystemHeaders = {
    {"base",
     {"mpi.h", "Eigen/", "yaml-cpp/", "nlohmann/", "unicode/", "sentencepiece", "simdjson",
      "zlib.h", "xxhash.h", "CLI/"}},
    {"libvi",
     {"mpi.h", "yaml-cpp/", "nlohmann/", "unicode/", "sentencepiece", "simdjson", "zlib.h",
      "CLI/"}},
    {"tokenizer", {"mpi.h", "Eigen/", "yaml-cpp/", "CLI/"}},
};

bool StartsWith(const std::string& s, const std::string& prefix) { return s.starts_with(prefix); }

// "base", "libvi", "tokenizer", "pipeline" or "" (tests and the rest).
std::string ModuleOf(const std::string& path) {
  if (StartsWith(path, "libvi/base/")) return "base";
  for (const char* m : {"libvi", "tokenizer", "pipeline"}) {
    if (StartsWith(path, std::string(m) + "/")) return m;
  }
  return "";
}

// The pipeline/ subfolder of `path`, or "" for a file at pipeline/'s top.
std::string PipelineFolderOf(const std::string& path) {
  const std::string rest = path.substr(std::string("pipeline/").size());
  const size_t slash = rest.find('/');
  return slash == std::string::npos ? "" : rest.substr(0, slash);
}

bool MayIncludeModule(const std::string& from, const std::string& to) {
  if (to == "base") return true;
  if (from == "base") return false;
  if (from == "libvi" || from == "tokenizer") return to == from;
  return true;  // pipeline includes libvi, tokenizer and itself
}

// Why `file` (in pipeline/) may not include `target` (in pipeline/), or "".
std::string PipelineRule(const std::string& file, const std::string& target) {
  const std::string from = PipelineFolderOf(file);
  if (from.empty()) return "";  // the CLI
  const bool from_stage = kStageFolders.contains(from);
  if (!from_stage && !kSharedFolders.contains(from)) {
    return "pipeline/" + from + "/ is in no layering table (stage or shared concern)";
  }
  const std::string to = PipelineFolderOf(target);
  if (to.empty()) {
    return kSharedTopHeaders.contains(target) ? "" : "only the CLI includes " + target;
  }
  if (to == from || kSharedFolders.contains(to)) return "";
  if (from_stage && kStageFolders.contains(to)) {
    return "stage folder pipeline/" + from + "/ includes another stage's " + target +
           " (move what both need to a shared folder)";
  }
  if (!from_stage && kStageFolders.contains(to)) {
    return "shared folder pipeline/" + from + "/ includes the stage header " + target;
  }
  return "";
}

std::string SystemRule(const std::string& module, const std::string& file,
                       const std::string& target) {
  if (target == "mpi.h" && file != kMpiFile) return "only " + kMpiFile + " includes <mpi.h>";
  if (target.starts_with("libpq") && file != kLibpqFile) {
    return "only " + kLibpqFile + " includes <" + target + ">";
  }
  const auto it = kForbiddenSystemHeaders.find(module);
  if (it == kForbiddenSystemHeaders.end()) return "";
  for (const std::string& prefix : it->second) {
    if (StartsWith(target, prefix)) return module + " may not depend on <" + target + ">";
  }
  return "";
}

std::string Rule(const std::string& file, const Include& inc) {
  const std::string module = ModuleOf(file);
  if (inc.angle) return SystemRule(module, file, inc.target);
  const std::string to = ModuleOf(inc.target);
  if (module.empty() || to.empty()) return "";
  if (!MayIncludeModule(module, to)) {
    return (module == "base" ? "libvi/base" : module) + " may not include " + inc.target;
  }
  if (module == "pipeline" && to == "pipeline") return PipelineRule(file, inc.target);
  return "";
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool IsSource(const fs::path& p) { return p.extension() == ".cc" || p.extension() == ".h"; }

}  // namespace

std::vector<Include> ParseIncludes(const std::string& text) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Include> out;
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, kInclude)) out.push_back({m[2], m[1] == "<", n});
  }
  return out;
}

std::vector<std::string> Violations(const std::string& file, const std::vector<Include>& includes) {
  std::vector<std::string> out;
  for (const Include& inc : includes) {
    const std::string why = Rule(file, inc);
    if (!why.empty()) out.push_back(file + ":" + std::to_string(inc.line) + ": " + why);
  }
  return out;
}

std::vector<std::string> CrowdedFolders(const fs::path& root, int limit) {
  std::map<fs::path, int> counts;
  for (const char* module : {"libvi", "tokenizer", "pipeline"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / module)) {
      if (e.is_regular_file() && IsSource(e.path())) ++counts[e.path().parent_path()];
    }
  }
  std::vector<std::string> out;
  for (const auto& [dir, n] : counts) {
    if (n > limit) {
      out.push_back(fs::relative(dir, root).string() + "/ holds " + std::to_string(n) +
                    " source files (at most " + std::to_string(limit) + ")");
    }
  }
  return out;
}

std::vector<std::string> CheckTree(const fs::path& root) {
  std::vector<std::string> out;
  for (const char* top : {"libvi", "tokenizer", "pipeline", "tests"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / top)) {
      if (!e.is_regular_file() || !IsSource(e.path())) continue;
      const std::string file = fs::relative(e.path(), root).generic_string();
      const auto v = Violations(file, ParseIncludes(ReadText(e.path())));
      out.insert(out.end(), v.begin(), v.end());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ntm::layering
