// The pieces of `ntm tokenize` around its three passes: the per-rank spill
// file of tokenized documents, duplicate-id resolution across
// ranks, and the counters that end up in manifest.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libvi/base/communicator.h"
#include "pipeline/config/config.h"
#include "tokenizer/document_tokenizer.h"
#include "tokenizer/readers/readers.h"

namespace ntm {

// A rank's tokenized documents between pass 2 and pass 3, on local disk:
// per document its id and (local term id, count) pairs. Local term ids index
// the rank's own term table; they become vocabulary ids in pass 3.
class SpillWriter {
 public:
  explicit SpillWriter(std::filesystem::path path);
  // Appends one document.
  void Add(std::string_view id, std::span<const std::pair<int32_t, uint32_t>> terms);
  // Flushes; IoError naming the file if any write failed (e.g. disk full).
  void Close();

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

// Reads a spill file back in order.
class SpillReader {
 public:
  explicit SpillReader(const std::filesystem::path& path);
  // Next document; false at the end. IoError if the file is truncated.
  bool Next(std::string& id, std::vector<std::pair<int32_t, uint32_t>>& terms);

 private:
  std::filesystem::path path_;
  std::ifstream in_;
};

// Which of this rank's documents (by position in its read order) are dropped
// as duplicates under `policy` ("first" | "fail" | "all"), given the id hashes
// of every rank's documents in read order. Ranks hold consecutive runs of the
// global input order, so "first" keeps the earliest in input order on any P.
// "fail" throws, on every rank, CollectiveStopError (exit 65) naming the
// repeated id and both records' file:line (`local_ids_for_errors` and
// `local_places_for_errors`, by position; ids are not note text).
std::vector<bool> DuplicateMask(Communicator& comm, const std::vector<uint64_t>& local_hashes,
                                const std::vector<std::string>& local_ids_for_errors,
                                const std::vector<std::string>& local_places_for_errors,
                                const std::string& policy, int64_t* duplicates_total);

// Sums an int64 counter array over ranks.
void SumOverRanks(Communicator& comm, std::span<int64_t> counters);

}  // namespace ntm
