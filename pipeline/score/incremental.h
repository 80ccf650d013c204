// Nightly incremental scoring (`ntm score --incremental`): only documents not
// scored before — keyed by id and content checksum — are scored, into a dated
// folder under the scores root. A run holds an exclusive lock on the root
// (a second concurrent run exits 75). Each dated folder carries its own
// ledger (scored.tsv) and appears under its final name by one atomic rename
// once complete, so a run killed midway leaves nothing that counts as scored
// and the next run redoes its work.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>

#include "libvi/base/communicator.h"

namespace ntm {

// The (id, content) keys already scored under a scores root.
class ScoredLedger {
 public:
  // Reads scored.tsv of every complete dated folder under `root`.
  static ScoredLedger Load(const std::filesystem::path& root);
  // True if this exact document (same id and same text) was scored before.
  bool Contains(uint64_t id_hash, uint64_t content_hash) const;
  // Number of keys.
  size_t size() const { return keys_.size(); }

 private:
  std::unordered_set<uint64_t> keys_;  // Mix of id and content hashes
};

// The ledger key of a document.
uint64_t LedgerKey(uint64_t id_hash, uint64_t content_hash);

// One ledger line: "<id hash>\t<content hash>\n" in hex (no document text).
std::string LedgerLine(uint64_t id_hash, uint64_t content_hash);

// The dated folder name for today (UTC), e.g. "2026-11-26", or "2026-11-26.2"
// if that exists already.
std::string NextDatedFolder(const std::filesystem::path& root);

// Removes leftovers of killed runs (".incoming-*" folders) under `root`.
void RemoveIncompleteRuns(const std::filesystem::path& root);

}  // namespace ntm
