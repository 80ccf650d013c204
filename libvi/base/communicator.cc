#include "libvi/base/communicator.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <stdexcept>

namespace ntm {

void CheckBlockCounts(std::span<const int64_t> counts, int ranks, int rank, size_t total,
                      std::optional<size_t> block) {
  const bool negative = std::any_of(counts.begin(), counts.end(), [](int64_t c) { return c < 0; });
  if (counts.size() != static_cast<size_t>(ranks) || negative ||
      std::accumulate(counts.begin(), counts.end(), int64_t{0}) != static_cast<int64_t>(total) ||
      (block && counts[rank] != static_cast<int64_t>(*block))) {
    throw std::invalid_argument(
        "block collective: counts must give one block per rank, summing to the buffer size");
  }
}

void LocalCommunicator::ReduceScatterSum(std::span<const float> values,
                                         std::span<const int64_t> counts, std::span<float> block) {
  CheckBlockCounts(counts, 1, 0, values.size(), block.size());
  std::copy(values.begin(), values.end(), block.begin());
}

void LocalCommunicator::AllGatherInPlace(std::span<float> values, std::span<const int64_t> counts) {
  CheckBlockCounts(counts, 1, 0, values.size());
}

void LocalCommunicator::Abort(int exit_code) { std::_Exit(exit_code); }

}  // namespace ntm
