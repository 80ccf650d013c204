// The module rules of docs/design-notes.md ("Modules"), as a function of a
// file's path and its #include lines, so the layering test can check the real
// tree and, on made-up files, that each rule really fires.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ntm::layering {

// One #include line.
struct Include {
  std::string target;  // the path between the quotes or angle brackets
  bool angle = false;  // <...> rather than "..."
  int line = 0;        // 1-based line number
};

// The #include lines of `text`.
std::vector<Include> ParseIncludes(const std::string& text);

// Every rule that `file` (a path relative to the repository root, e.g.
// "pipeline/score/methods.cc") breaks with `includes`, one message each.
std::vector<std::string> Violations(const std::string& file, const std::vector<Include>& includes);

// Every folder under libvi/, tokenizer/ and pipeline/ of `root` holding more
// than `limit` source files (.cc, .h), one message each.
std::vector<std::string> CrowdedFolders(const std::filesystem::path& root, int limit);

// Violations() of every .cc and .h file under libvi/, tokenizer/, pipeline/
// and tests/ of `root`.
std::vector<std::string> CheckTree(const std::filesystem::path& root);

}  // namespace ntm::layering
