// Output files that all ranks write together, each its own share of the rows
// in global document order, so nothing is gathered on one rank: memory per
// rank stays bounded by its own chunk whatever the corpus size. Like every
// ntm output, a file appears under its final name only when complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "libvi/base/communicator.h"

namespace ntm {

// A .npy file of `rows` × `cols` (cols = 0: a 1-D array of `rows`) values of
// dtype `descr` ("<f4" or "<f8"). Rank 0 lays out the file under a temporary
// name; every rank writes its rows in place (pwrite); Commit renames it.
class SharedNpyFile {
 public:
  // Collective: every rank constructs it with the same path, dtype and shape.
  SharedNpyFile(Communicator& comm, std::filesystem::path path, std::string descr, int64_t rows,
                int64_t cols);
  ~SharedNpyFile();
  SharedNpyFile(const SharedNpyFile&) = delete;
  SharedNpyFile& operator=(const SharedNpyFile&) = delete;

  // Writes rows [first_row, first_row + n) from `values` (n × max(cols,1) elements).
  void WriteRows(int64_t first_row, std::span<const std::byte> values);
  // Collective: syncs every rank's rows, then rank 0 renames the file into place.
  void Commit();

 private:
  Communicator& comm_;
  std::filesystem::path path_, temp_;
  size_t row_bytes_ = 0;
  uint64_t data_offset_ = 0;
  int fd_ = -1;
  bool committed_ = false;
};

// A text file whose lines come from every rank in rank order: each rank
// appends to its own part; Commit concatenates the parts on rank 0.
class SharedTextFile {
 public:
  // Collective; `header` (may be empty) starts the file.
  SharedTextFile(Communicator& comm, std::filesystem::path path, std::string header);
  ~SharedTextFile();
  SharedTextFile(const SharedTextFile&) = delete;
  SharedTextFile& operator=(const SharedTextFile&) = delete;

  // Appends text (whole lines) to this rank's part.
  void Append(std::string_view text);
  // Collective: rank 0 writes header + parts 0..P-1 atomically to the final name.
  void Commit();

 private:
  std::filesystem::path PartPath(int rank) const;

  Communicator& comm_;
  std::filesystem::path path_;
  std::string header_;
  std::ofstream part_;
  bool committed_ = false;
};

}  // namespace ntm
