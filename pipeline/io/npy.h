// NumPy .npy files (format version 1.0): how topic and document-topic matrices
// leave ntm for Python tools (`numpy.load`). Written atomically, little-endian,
// C order, header padded so the data starts on a 64-byte boundary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/io/atomic_file.h"

namespace ntm {

// Streams a rows×cols float32 matrix to a .npy file, a block of rows at a time,
// so D×K document-topic matrices never need to be held whole.
class NpyMatrixWriter {
 public:
  // Writes the header for shape (rows, cols) to a temporary file beside `path`.
  NpyMatrixWriter(const std::filesystem::path& path, int64_t rows, int64_t cols);
  // Appends whole rows (values.size() a multiple of cols) in row-major order.
  void AppendRows(std::span<const float> values);
  // Renames the file into place; std::logic_error unless exactly `rows` rows were appended.
  void Commit();

 private:
  AtomicFileWriter out_;
  int64_t rows_;
  int64_t cols_;
  int64_t rows_written_ = 0;
};

// The .npy preamble (magic, version 1.0, header dict padded to 64 bytes) for
// dtype `descr` ("<f4", "<f8") and `shape`; the data follows it directly.
std::string NpyPreamble(std::string_view descr, std::span<const int64_t> shape);

// Writes a rows×cols float32 matrix (row-major `values`) as a 2-D .npy file.
void WriteNpyMatrix(const std::filesystem::path& path, std::span<const float> values, int64_t rows,
                    int64_t cols);
// Writes a 1-D float32 .npy file.
void WriteNpyVector(const std::filesystem::path& path, std::span<const float> values);
// Writes a 1-D float64 .npy file (per-document ELBO in nats needs the precision).
void WriteNpyVector(const std::filesystem::path& path, std::span<const double> values);

// A float32 matrix read from a .npy file.
struct NpyMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // row-major, rows * cols entries
};

// Reads a 2-D little-endian float32 C-order .npy file (versions 1.0 to 3.0).
// InputError naming the file for a bad magic, header, dtype, order, shape or
// data length; MissingInputError if it cannot be opened.
NpyMatrix ReadNpyMatrix(const std::filesystem::path& path);
// Reads a 1-D little-endian float64 .npy file, with the same checks.
std::vector<double> ReadNpyFloat64Vector(const std::filesystem::path& path);

}  // namespace ntm
