#include "pipeline/tokenize/support.h"

#include <unordered_set>

#include "libvi/base/errors.h"

namespace ntm {

SpillWriter::SpillWriter(std::filesystem::path path) : path_(std::move(path)) {
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw OutputError(path_.string() + ": cannot create the temporary spill file");
}

void SpillWriter::Add(std::string_view id, std::span<const std::pair<int32_t, uint32_t>> terms) {
  const auto id_size = static_cast<uint32_t>(id.size());
  const auto n = static_cast<uint32_t>(terms.size());
  out_.write(reinterpret_cast<const char*>(&id_size), sizeof id_size);
  out_.write(id.data(), id_size);
  out_.write(reinterpret_cast<const char*>(&n), sizeof n);
  out_.write(reinterpret_cast<const char*>(terms.data()),
             static_cast<std::streamsize>(terms.size_bytes()));
  if (!out_) throw IoError("writing " + path_.string() + ": write failed (disk full?)");
}

void SpillWriter::Close() {
  out_.flush();
  if (!out_) throw IoError("writing " + path_.string() + ": write failed (disk full?)");
  out_.close();
}

SpillReader::SpillReader(const std::filesystem::path& path) : path_(path) {
  in_.open(path_, std::ios::binary);
  if (!in_) throw IoError(path_.string() + ": cannot reopen the temporary spill file");
}

bool SpillReader::Next(std::string& id, std::vector<std::pair<int32_t, uint32_t>>& terms) {
  uint32_t id_size = 0, n = 0;
  if (!in_.read(reinterpret_cast<char*>(&id_size), sizeof id_size)) return false;
  id.resize(id_size);
  in_.read(id.data(), id_size);
  in_.read(reinterpret_cast<char*>(&n), sizeof n);
  terms.resize(n);
  in_.read(reinterpret_cast<char*>(terms.data()),
           static_cast<std::streamsize>(n * sizeof(terms[0])));
  if (!in_) throw IoError("reading " + path_.string() + ": truncated spill file");
  return true;
}

namespace {

std::vector<char> AsBytes(const std::vector<uint64_t>& values) {
  const auto* p = reinterpret_cast<const char*>(values.data());
  return std::vector<char>(p, p + values.size() * sizeof(uint64_t));
}

}  // namespace

std::vector<bool> DuplicateMask(Communicator& comm, const std::vector<uint64_t>& local_hashes,
                                const std::vector<std::string>& local_ids_for_errors,
                                const std::string& policy, int64_t* duplicates_total) {
  std::vector<bool> drop(local_hashes.size(), false);
  const auto all = comm.AllGather(AsBytes(local_hashes));
  std::unordered_set<uint64_t> seen;
  int64_t duplicates = 0;
  for (int r = 0; r < comm.size(); ++r) {
    const auto* hashes = reinterpret_cast<const uint64_t*>(all[r].data());
    const size_t n = all[r].size() / sizeof(uint64_t);
    for (size_t i = 0; i < n; ++i) {
      if (seen.insert(hashes[i]).second) continue;
      ++duplicates;
      if (r == comm.rank() && policy == "first") drop[i] = true;
      if (policy == "fail") {
        const std::string id = r == comm.rank() ? "'" + local_ids_for_errors[i] + "'" : "an id";
        throw InputError("duplicate document id " + id +
                         " (tokenize.duplicate_ids: fail; use first or all to continue)");
      }
    }
  }
  *duplicates_total = duplicates;
  return drop;
}

void SumOverRanks(Communicator& comm, std::span<int64_t> counters) { comm.AllReduceSum(counters); }

}  // namespace ntm
