#include "pipeline/io/npy.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "libvi/base/errors.h"

namespace ntm {
namespace {

static_assert(std::endian::native == std::endian::little, ".npy data is written as '<' (little)");

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kAlign = 64;
constexpr int64_t kMaxDim = int64_t{1} << 40;

// "(7,)" for one dimension, "(2, 3)" for two: Python's tuple repr, as numpy writes it.
std::string ShapeRepr(std::span<const int64_t> shape) {
  std::string repr = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) repr += ", ";
    repr += std::to_string(shape[i]);
  }
  return repr + (shape.size() == 1 ? ",)" : ")");
}

template <typename T>
void WriteNpy(const std::filesystem::path& path, std::string_view descr,
              std::span<const int64_t> shape, std::span<const T> values) {
  AtomicFileWriter out(path);
  out.Write(NpyPreamble(descr, shape));
  out.Write(std::as_bytes(values));
  out.Commit();
}

}  // namespace

// Magic, version 1.0, header length, then the dict padded with spaces and
// ended by '\n' so that the whole preamble is a multiple of 64 bytes.
std::string NpyPreamble(std::string_view descr, std::span<const int64_t> shape) {
  std::string dict = "{'descr': '" + std::string(descr) +
                     "', 'fortran_order': False, 'shape': " + ShapeRepr(shape) + ", }";
  const size_t unpadded = kMagic.size() + 4 + dict.size() + 1;
  dict.append((kAlign - unpadded % kAlign) % kAlign, ' ');
  dict += '\n';
  const uint16_t header_len = static_cast<uint16_t>(dict.size());
  std::string preamble(kMagic);
  preamble += '\x01';
  preamble += '\x00';
  preamble += static_cast<char>(header_len & 0xff);
  preamble += static_cast<char>(header_len >> 8);
  return preamble + dict;
}

NpyMatrixWriter::NpyMatrixWriter(const std::filesystem::path& path, int64_t rows, int64_t cols)
    : out_(path), rows_(rows), cols_(cols) {
  if (rows < 0 || cols < 0) throw std::invalid_argument("NpyMatrixWriter: negative shape");
  const int64_t shape[] = {rows, cols};
  out_.Write(NpyPreamble("<f4", shape));
}

void NpyMatrixWriter::AppendRows(std::span<const float> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  if (cols_ == 0 ? n != 0 : (n % cols_ != 0 || rows_written_ + n / cols_ > rows_)) {
    throw std::logic_error("NpyMatrixWriter: rows do not fit " + out_.path().string());
  }
  out_.Write(std::as_bytes(values));
  if (cols_ > 0) rows_written_ += n / cols_;
}

void NpyMatrixWriter::Commit() {
  if (cols_ > 0 && rows_written_ != rows_) {
    throw std::logic_error("NpyMatrixWriter: " + std::to_string(rows_written_) + " of " +
                           std::to_string(rows_) + " rows written to " + out_.path().string());
  }
  out_.Commit();
}

void WriteNpyMatrix(const std::filesystem::path& path, std::span<const float> values, int64_t rows,
                    int64_t cols) {
  if (rows < 0 || cols < 0 || static_cast<uint64_t>(rows * cols) != values.size()) {
    throw std::invalid_argument("WriteNpyMatrix: shape does not match data for " + path.string());
  }
  const int64_t shape[] = {rows, cols};
  WriteNpy(path, "<f4", std::span<const int64_t>(shape), values);
}

void WriteNpyVector(const std::filesystem::path& path, std::span<const float> values) {
  const int64_t shape[] = {static_cast<int64_t>(values.size())};
  WriteNpy(path, "<f4", std::span<const int64_t>(shape), values);
}

void WriteNpyVector(const std::filesystem::path& path, std::span<const double> values) {
  const int64_t shape[] = {static_cast<int64_t>(values.size())};
  WriteNpy(path, "<f8", std::span<const int64_t>(shape), values);
}

// ---- reading ----

namespace {

// The three keys of a .npy header dict.
struct NpyHeaderFields {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

// Parses the Python dict literal of a .npy header, accepting exactly what
// numpy's writer can produce: quoted keys, a quoted descr, True/False and a
// tuple of non-negative integers, in any key order.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::filesystem::path& path)
      : text_(text), path_(path) {}

  NpyHeaderFields Parse() {
    NpyHeaderFields fields;
    Expect('{');
    while (Peek() != '}') {
      const std::string key = ParseString();
      Expect(':');
      if (key == "descr" && !fields.descr) {
        fields.descr = ParseString();
      } else if (key == "fortran_order" && !fields.fortran_order) {
        fields.fortran_order = ParseBool();
      } else if (key == "shape" && !fields.shape) {
        fields.shape = ParseShape();
      } else {
        Fail("unexpected or repeated key");
      }
      if (Peek() != '}') Expect(',');
    }
    Expect('}');
    if (Peek() != '\0') Fail("unexpected text after the dict");
    return fields;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw InputError(path_.string() + ": bad .npy header (" + what + " at header byte " +
                     std::to_string(pos_) + ")");
  }
  char Peek() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string ParseString() {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Fail("expected a quoted string");
    const size_t end = text_.find(quote, ++pos_);
    if (end == std::string_view::npos) Fail("unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  bool ParseBool() {
    Peek();
    for (const bool value : {true, false}) {
      const std::string_view word = value ? "True" : "False";
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    Fail("expected True or False");
  }
  std::vector<int64_t> ParseShape() {
    std::vector<int64_t> shape;
    Expect('(');
    while (Peek() != ')') {
      int64_t dim = -1;
      const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), dim);
      if (ec != std::errc() || dim < 0 || dim > kMaxDim) Fail("bad dimension");
      pos_ = static_cast<size_t>(end - text_.data());
      shape.push_back(dim);
      if (Peek() != ')') Expect(',');
    }
    Expect(')');
    return shape;
  }

  std::string_view text_;
  const std::filesystem::path& path_;
  size_t pos_ = 0;
};

[[noreturn]] void Bad(const std::filesystem::path& path, const std::string& what) {
  throw InputError(path.string() + ": " + what);
}

uint32_t LittleEndian(std::string_view bytes) {
  uint32_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;) value = value << 8 | static_cast<uint8_t>(bytes[i]);
  return value;
}

// Splits a .npy file into its header dict text and the offset of the data.
std::string_view HeaderText(std::string_view file, const std::filesystem::path& path,
                            size_t* data_at) {
  if (file.size() < 10 || file.substr(0, kMagic.size()) != kMagic) {
    Bad(path, "not a .npy file (bad magic)");
  }
  const int major = static_cast<uint8_t>(file[6]);
  if (major < 1 || major > 3) Bad(path, "unsupported .npy version " + std::to_string(major));
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (file.size() < 8 + len_bytes) Bad(path, "truncated .npy header");
  const size_t header_len = LittleEndian(file.substr(8, len_bytes));
  const size_t start = 8 + len_bytes;
  if (file.size() - start < header_len) Bad(path, "truncated .npy header");
  *data_at = start + header_len;
  return file.substr(start, header_len);
}

// Checks dtype, order and rank, and that the data length matches the shape;
// returns the shape.
std::vector<int64_t> CheckNpy(std::string_view file, const std::filesystem::path& path,
                              std::string_view descr, size_t ndim, size_t* data_at) {
  const NpyHeaderFields f = HeaderParser(HeaderText(file, path, data_at), path).Parse();
  if (!f.descr || !f.fortran_order || !f.shape) Bad(path, "bad .npy header (missing key)");
  if (*f.descr != descr) Bad(path, "dtype " + *f.descr + ", expected " + std::string(descr));
  if (*f.fortran_order) Bad(path, "Fortran order is not supported (expected C order)");
  if (f.shape->size() != ndim) {
    Bad(path,
        std::to_string(f.shape->size()) + "-D array, expected " + std::to_string(ndim) + "-D");
  }
  uint64_t expected = descr == "<f8" ? 8 : 4;
  for (const int64_t dim : *f.shape) {
    if (dim != 0 && expected > (uint64_t{1} << 60) / static_cast<uint64_t>(dim)) {
      Bad(path, "implausible shape");
    }
    expected *= static_cast<uint64_t>(dim);
  }
  const uint64_t found = file.size() - *data_at;
  if (found != expected) {
    Bad(path, std::string(found < expected ? "truncated" : "unexpected trailing data") +
                  " (expected " + std::to_string(expected) + " data bytes, found " +
                  std::to_string(found) + ")");
  }
  return *f.shape;
}

}  // namespace

NpyMatrix ReadNpyMatrix(const std::filesystem::path& path) {
  const std::string file = ReadFileToString(path);
  size_t data_at = 0;
  const std::vector<int64_t> shape = CheckNpy(file, path, "<f4", 2, &data_at);
  NpyMatrix m{shape[0], shape[1], std::vector<float>(shape[0] * shape[1])};
  if (!m.values.empty()) {
    std::memcpy(m.values.data(), file.data() + data_at, m.values.size() * sizeof(float));
  }
  return m;
}

std::vector<double> ReadNpyFloat64Vector(const std::filesystem::path& path) {
  const std::string file = ReadFileToString(path);
  size_t data_at = 0;
  const std::vector<int64_t> shape = CheckNpy(file, path, "<f8", 1, &data_at);
  std::vector<double> values(shape[0]);
  if (!values.empty()) {
    std::memcpy(values.data(), file.data() + data_at, values.size() * sizeof(double));
  }
  return values;
}

}  // namespace ntm
