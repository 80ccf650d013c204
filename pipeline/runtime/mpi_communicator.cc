#include "pipeline/runtime/mpi_communicator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

// MPI counts are `int`: large buffers travel in chunks of this many elements
// (a variable only so that tests can exercise the chunked paths).
constexpr size_t kMaxChunk = size_t{1} << 28;
size_t g_max_chunk = kMaxChunk;

// Up to this many ranks, ReduceScatterSum is one MPI_Reduce per block to its
// owner rather than MPI_Reduce_scatter: Open MPI 4.1's reduce-scatter (ring)
// first copies the whole send buffer. For the 12 MB training buffer plus the
// all-gather (tests/benchmarks/bench_sharded_collectives.sh, median CPU ms):
// P = 2: 2.7 rooted against 5.7 reduce-scatter (one all-reduce: 1.9);
// P = 3: 4.4 against 11.6. The P sequential reductions' latency grows as
// P · log P, so larger jobs use the reduce-scatter collective. (A variable for
// tests.)
constexpr int kRootedReduceMaxRanks = 8;
int g_rooted_reduce_max_ranks = kRootedReduceMaxRanks;

bool g_we_initialized_mpi = false;

void Check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw IoError(std::string("MPI ") + what + " failed: " + std::string(text, length));
}

template <typename T>
MPI_Datatype TypeOf();
template <>
MPI_Datatype TypeOf<char>() {
  return MPI_BYTE;
}
template <>
MPI_Datatype TypeOf<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype TypeOf<double>() {
  return MPI_DOUBLE;
}
template <>
MPI_Datatype TypeOf<int64_t>() {
  return MPI_INT64_T;
}

// A Communicator over a private duplicate of MPI_COMM_WORLD.
class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    Check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "Comm_dup");
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiCommunicator() override = default;  // Free() is explicit: see FinalizeCommunicator.

  void Free() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void AllReduceSum(std::span<float> v) override { AllReduce(v, MPI_SUM); }
  void AllReduceSum(std::span<double> v) override { AllReduce(v, MPI_SUM); }
  void AllReduceSum(std::span<int64_t> v) override { AllReduce(v, MPI_SUM); }
  void AllReduceMax(std::span<float> v) override { AllReduce(v, MPI_MAX); }
  void AllReduceMax(std::span<double> v) override { AllReduce(v, MPI_MAX); }
  void AllReduceMax(std::span<int64_t> v) override { AllReduce(v, MPI_MAX); }
  void ReduceScatterSum(std::span<const float> values, std::span<const int64_t> counts,
                        std::span<float> block) override;
  void AllGatherInPlace(std::span<float> values, std::span<const int64_t> counts) override;
  void Broadcast(std::vector<char>& bytes, int root) override;
  std::vector<std::vector<char>> AllGather(std::span<const char> bytes) override;
  void Barrier() override;
  [[noreturn]] void Abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);
  }

 private:
  template <typename T>
  void AllReduce(std::span<T> values, MPI_Op op) {
    for (size_t begin = 0; begin < values.size(); begin += g_max_chunk) {
      const size_t n = std::min(g_max_chunk, values.size() - begin);
      Check(MPI_Allreduce(MPI_IN_PLACE, values.data() + begin, static_cast<int>(n), TypeOf<T>(), op,
                          comm_),
            "Allreduce");
    }
  }
  template <typename T>
  void BroadcastChunks(T* data, size_t size, int root) {
    for (size_t begin = 0; begin < size; begin += g_max_chunk) {
      const size_t n = std::min(g_max_chunk, size - begin);
      Check(MPI_Bcast(data + begin, static_cast<int>(n), TypeOf<T>(), root, comm_), "Bcast");
    }
  }
  // counts as MPI's int counts, and (optionally) their offsets.
  static void IntCounts(std::span<const int64_t> counts, std::vector<int>& ints,
                        std::vector<int>* offsets);
  void ReduceToOwners(std::span<const float> values, std::span<const int64_t> counts,
                      std::span<float> block);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

// Open MPI's blocking calls spin at full speed while they wait, so a rank
// that waits long (for rank 0 to train the SentencePiece model, for the
// slowest rank to finish its share) would burn a core for nothing. A barrier
// is where ranks are expected to wait: it spins briefly (short waits stay
// fast), then sleeps between tests, backing off to kMaxIdleSleep.
void MpiCommunicator::Barrier() {
  using Clock = std::chrono::steady_clock;
  constexpr auto kSpin = std::chrono::microseconds(200);
  constexpr auto kMaxIdleSleep = std::chrono::microseconds(2000);
  MPI_Request request;
  Check(MPI_Ibarrier(comm_, &request), "Ibarrier");
  const auto spin_until = Clock::now() + kSpin;
  auto sleep = std::chrono::microseconds(20);
  for (int done = 0;;) {
    Check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "Test");
    if (done) return;
    if (Clock::now() < spin_until) continue;
    std::this_thread::sleep_for(sleep);
    sleep = std::min(kMaxIdleSleep, sleep * 2);
  }
}

void MpiCommunicator::IntCounts(std::span<const int64_t> counts, std::vector<int>& ints,
                                std::vector<int>* offsets) {
  ints.assign(counts.begin(), counts.end());
  if (offsets == nullptr) return;
  offsets->assign(counts.size(), 0);
  for (size_t r = 1; r < counts.size(); ++r) (*offsets)[r] = (*offsets)[r - 1] + ints[r - 1];
}

// MPI_Reduce_scatter for more than g_rooted_reduce_max_ranks ranks while the
// whole buffer fits the chunk size (so every count and offset fits in int);
// otherwise one (chunked) MPI_Reduce per block to its owner.
void MpiCommunicator::ReduceScatterSum(std::span<const float> values,
                                       std::span<const int64_t> counts, std::span<float> block) {
  CheckBlockCounts(counts, size_, rank_, values.size(), block.size());
  if (size_ <= g_rooted_reduce_max_ranks || values.size() > g_max_chunk) {
    ReduceToOwners(values, counts, block);
    return;
  }
  std::vector<int> ints;
  IntCounts(counts, ints, nullptr);
  Check(MPI_Reduce_scatter(values.data(), block.data(), ints.data(), MPI_FLOAT, MPI_SUM, comm_),
        "Reduce_scatter");
}

void MpiCommunicator::ReduceToOwners(std::span<const float> values, std::span<const int64_t> counts,
                                     std::span<float> block) {
  size_t offset = 0;
  for (int r = 0; r < size_; ++r) {
    const auto count = static_cast<size_t>(counts[r]);
    for (size_t begin = 0; begin < count; begin += g_max_chunk) {
      const size_t n = std::min(g_max_chunk, count - begin);
      float* out = r == rank_ ? block.data() + begin : nullptr;
      Check(MPI_Reduce(values.data() + offset + begin, out, static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                       r, comm_),
            "Reduce");
    }
    offset += count;
  }
}

// One MPI_Allgatherv (MPI_IN_PLACE) while offsets fit in int; otherwise each
// owner broadcasts its block in chunks.
void MpiCommunicator::AllGatherInPlace(std::span<float> values, std::span<const int64_t> counts) {
  CheckBlockCounts(counts, size_, rank_, values.size());
  if (values.size() <= g_max_chunk) {
    std::vector<int> ints, offsets;
    IntCounts(counts, ints, &offsets);
    Check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values.data(), ints.data(),
                         offsets.data(), MPI_FLOAT, comm_),
          "Allgatherv");
    return;
  }
  size_t offset = 0;
  for (int r = 0; r < size_; ++r) {
    BroadcastChunks(values.data() + offset, static_cast<size_t>(counts[r]), r);
    offset += static_cast<size_t>(counts[r]);
  }
}

void MpiCommunicator::Broadcast(std::vector<char>& bytes, int root) {
  int64_t size = static_cast<int64_t>(bytes.size());
  Check(MPI_Bcast(&size, 1, MPI_INT64_T, root, comm_), "Bcast");
  bytes.resize(static_cast<size_t>(size));
  BroadcastChunks(bytes.data(), bytes.size(), root);
}

std::vector<std::vector<char>> MpiCommunicator::AllGather(std::span<const char> bytes) {
  std::vector<int64_t> sizes(size_);
  int64_t mine = static_cast<int64_t>(bytes.size());
  Check(MPI_Allgather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm_), "Allgather");
  // One broadcast per rank keeps any size legal (Allgatherv counts are int).
  std::vector<std::vector<char>> out(size_);
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) {
      out[r].assign(bytes.begin(), bytes.end());
    } else {
      out[r].resize(static_cast<size_t>(sizes[r]));
    }
    BroadcastChunks(out[r].data(), out[r].size(), r);
  }
  return out;
}

}  // namespace

bool LaunchedUnderMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

std::unique_ptr<Communicator> CreateCommunicator(bool force_mpi) {
  if (!force_mpi && !LaunchedUnderMpi()) return std::make_unique<LocalCommunicator>();
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    Check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "Init_thread");
    g_we_initialized_mpi = true;
  }
  return std::make_unique<MpiCommunicator>();
}

void FinalizeCommunicator(std::unique_ptr<Communicator>& comm) {
  if (auto* mpi = dynamic_cast<MpiCommunicator*>(comm.get())) mpi->Free();
  comm.reset();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (g_we_initialized_mpi && !finalized) MPI_Finalize();
  g_we_initialized_mpi = false;
}

void SetMpiLimitsForTesting(size_t max_chunk, int rooted_reduce_max_ranks) {
  g_max_chunk = max_chunk == 0 ? kMaxChunk : max_chunk;
  g_rooted_reduce_max_ranks =
      rooted_reduce_max_ranks < 0 ? kRootedReduceMaxRanks : rooted_reduce_max_ranks;
}

std::string MpiLibraryVersion() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, length);
  const auto comma = version.find(',');  // "Open MPI v4.1.4, package: ..." -> first part
  if (comma != std::string::npos) version.resize(comma);
  int major = 0, minor = 0;
  MPI_Get_version(&major, &minor);
  return version + " (MPI " + std::to_string(major) + "." + std::to_string(minor) + ")";
}

}  // namespace ntm
