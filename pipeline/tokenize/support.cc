#include "pipeline/tokenize/support.h"

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"

namespace ntm {
namespace {

// The failed write's errno (EFBIG under ulimit -f, ENOSPC on a full disk):
// the stream keeps the error the last write(2) left.
[[noreturn]] void FailSpillWrite(const std::filesystem::path& path, int err) {
  throw IoError("writing " + path.string() + ": " +
                (err != 0 ? std::strerror(err) : "write failed"));
}

}  // namespace

SpillWriter::SpillWriter(std::filesystem::path path) : path_(RegularOutputTarget(path)) {
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw OutputError(path_.string() + ": cannot create the temporary spill file");
}

void SpillWriter::Add(std::string_view id, std::span<const std::pair<int32_t, uint32_t>> terms) {
  const auto id_size = static_cast<uint32_t>(id.size());
  const auto n = static_cast<uint32_t>(terms.size());
  errno = 0;
  out_.write(reinterpret_cast<const char*>(&id_size), sizeof id_size);
  out_.write(id.data(), id_size);
  out_.write(reinterpret_cast<const char*>(&n), sizeof n);
  out_.write(reinterpret_cast<const char*>(terms.data()),
             static_cast<std::streamsize>(terms.size_bytes()));
  if (!out_) FailSpillWrite(path_, errno);
}

void SpillWriter::Close() {
  errno = 0;
  out_.flush();
  if (!out_) FailSpillWrite(path_, errno);
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

namespace {

// Rank `owner`'s label of its document `index`, on every rank (collective).
std::string LabelFrom(Communicator& comm, int owner, const std::vector<std::string>& labels,
                      size_t index) {
  std::vector<char> text;
  if (comm.rank() == owner) text.assign(labels[index].begin(), labels[index].end());
  comm.Broadcast(text, owner);
  return std::string(text.begin(), text.end());
}

}  // namespace

std::vector<bool> DuplicateMask(Communicator& comm, const std::vector<uint64_t>& local_hashes,
                                const std::vector<std::string>& local_ids_for_errors,
                                const std::vector<std::string>& local_places_for_errors,
                                const std::string& policy, int64_t* duplicates_total) {
  std::vector<bool> drop(local_hashes.size(), false);
  const auto all = comm.AllGather(AsBytes(local_hashes));
  std::unordered_map<uint64_t, std::pair<int, size_t>> first;  // hash -> (rank, index)
  int64_t duplicates = 0;
  for (int r = 0; r < comm.size(); ++r) {
    const auto* hashes = reinterpret_cast<const uint64_t*>(all[r].data());
    const size_t n = all[r].size() / sizeof(uint64_t);
    for (size_t i = 0; i < n; ++i) {
      const auto [seen, fresh] = first.emplace(hashes[i], std::pair{r, i});
      if (fresh) continue;
      ++duplicates;
      if (r == comm.rank() && policy == "first") drop[i] = true;
      if (policy == "fail") {
        // Every rank finds it at the same point: the labels travel to all.
        const std::string id = LabelFrom(comm, r, local_ids_for_errors, i);
        const std::string at = LabelFrom(comm, r, local_places_for_errors, i);
        const auto [first_rank, first_index] = seen->second;
        const std::string first_at =
            LabelFrom(comm, first_rank, local_places_for_errors, first_index);
        throw CollectiveStopError("duplicate document id '" + id + "' at " + at + ", first at " +
                                      first_at +
                                      " (tokenize.duplicate_ids: fail; use first or all to "
                                      "continue)",
                                  kExitDataErr);
      }
    }
  }
  *duplicates_total = duplicates;
  return drop;
}

void SumOverRanks(Communicator& comm, std::span<int64_t> counters) { comm.AllReduceSum(counters); }

}  // namespace ntm
