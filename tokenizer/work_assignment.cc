#include "tokenizer/work_assignment.h"

#include <algorithm>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

// First byte of rank r's share of a `total`-byte space split `num_ranks` ways.
int64_t ShareStart(int64_t total, int r, int num_ranks) {
  return static_cast<int64_t>(static_cast<__int128>(total) * r / num_ranks);
}

// The rank whose share holds byte `g` (the last rank for g == total): the
// largest r with ShareStart(r) <= g, by binary search.
int OwnerOf(int64_t g, int64_t total, int num_ranks) {
  int lo = 0, hi = num_ranks - 1;
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (ShareStart(total, mid, num_ranks) <= g)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

bool Splittable(const InputSource& s, const AssignOptions& options) {
  if (s.gzip || s.size_bytes == 0) return false;
  return s.format == InputFormat::kJsonl || (s.format == InputFormat::kCsv && options.split_csv);
}

// Rank `rank`'s part [lo, hi) of the source at global offset g, if any.
void AddRange(const InputSource& s, int64_t g, int64_t lo, int64_t hi,
              std::vector<WorkItem>& items) {
  const int64_t begin = std::max(lo, g) - g;
  const int64_t end = std::min(hi, g + s.size_bytes) - g;
  if (begin >= end) return;
  // The piece reaching the end of the file reads to its end, whatever it holds.
  items.push_back({s.index, begin, end == s.size_bytes ? INT64_MAX : end});
}

}  // namespace

std::vector<WorkItem> AssignWork(const std::vector<InputSource>& sources, int rank, int num_ranks,
                                 const AssignOptions& options) {
  if (num_ranks < 1 || rank < 0 || rank >= num_ranks) {
    throw ConfigError("AssignWork: rank " + std::to_string(rank) + " out of range for " +
                      std::to_string(num_ranks) + " ranks");
  }
  // A database input is the only input (ExpandInputs); rank r reads share r.
  if (sources.size() == 1 && sources[0].format == InputFormat::kDatabase) {
    return {{sources[0].index, rank, rank + 1}};
  }
  int64_t total = 0;
  for (const InputSource& s : sources) total += s.size_bytes;
  const int64_t lo = ShareStart(total, rank, num_ranks);
  const int64_t hi = rank + 1 == num_ranks ? INT64_MAX : ShareStart(total, rank + 1, num_ranks);
  std::vector<WorkItem> items;
  int64_t g = 0;
  for (const InputSource& s : sources) {
    if (Splittable(s, options)) {
      AddRange(s, g, lo, hi, items);
    } else if (OwnerOf(g, total, num_ranks) == rank) {
      items.push_back({s.index, 0, INT64_MAX});
    }
    g += s.size_bytes;
  }
  return items;
}

}  // namespace ntm
