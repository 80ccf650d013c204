#include "pipeline/score/incremental.h"

#include <ctime>
#include <fstream>

#include "libvi/base/errors.h"
#include "pipeline/corpus/batch_plan.h"

namespace ntm {

uint64_t LedgerKey(uint64_t id_hash, uint64_t content_hash) {
  return Mix64(id_hash ^ Mix64(content_hash));
}

std::string LedgerLine(uint64_t id_hash, uint64_t content_hash) {
  char line[40];
  std::snprintf(line, sizeof line, "%016llx\t%016llx\n", static_cast<unsigned long long>(id_hash),
                static_cast<unsigned long long>(content_hash));
  return line;
}

ScoredLedger ScoredLedger::Load(const std::filesystem::path& root) {
  ScoredLedger ledger;
  if (!std::filesystem::is_directory(root)) return ledger;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    const auto ledger_file = entry.path() / "scored.tsv";
    if (name.starts_with(".") || !std::filesystem::exists(ledger_file)) continue;
    std::ifstream in(ledger_file);
    std::string id_hex, content_hex;
    int64_t line = 0;
    while (in >> id_hex >> content_hex) {
      ++line;
      try {
        ledger.keys_.insert(
            LedgerKey(std::stoull(id_hex, nullptr, 16), std::stoull(content_hex, nullptr, 16)));
      } catch (const std::exception&) {
        throw InputError(ledger_file.string() + ":" + std::to_string(line) +
                         ": not a ledger line (two hex checksums)");
      }
    }
  }
  return ledger;
}

bool ScoredLedger::Contains(uint64_t id_hash, uint64_t content_hash) const {
  return keys_.count(LedgerKey(id_hash, content_hash)) > 0;
}

std::string NextDatedFolder(const std::filesystem::path& root) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &utc);
  std::string name = date;
  for (int n = 2; std::filesystem::exists(root / name); ++n) {
    name = std::string(date) + "." + std::to_string(n);
  }
  return name;
}

void RemoveIncompleteRuns(const std::filesystem::path& root) {
  if (!std::filesystem::is_directory(root)) return;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(".incoming-")) {
      std::filesystem::remove_all(entry.path());
    }
  }
}

}  // namespace ntm
