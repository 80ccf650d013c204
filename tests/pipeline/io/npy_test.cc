#include "pipeline/io/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "libvi/base/errors.h"
#include "tests/util/file_test_util.h"

namespace ntm {
namespace {

using testing::ErrorMessage;
using testing::ListNames;
using testing::PermissionBits;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

// The preamble the .npy v1.0 spec prescribes: magic, version 1.0, a
// little-endian uint16 header length, the dict, spaces, '\n', with
// 10 + header length a multiple of 64.
std::string SpecPreamble(const std::string& dict, uint16_t header_len) {
  std::string p = "\x93NUMPY";
  p += '\x01';
  p += '\x00';
  p += static_cast<char>(header_len & 0xff);
  p += static_cast<char>(header_len >> 8);
  return p + dict + std::string(header_len - dict.size() - 1, ' ') + "\n";
}

template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

TEST(NpyTest, MatrixFileIsByteExactPerSpec) {
  TempDir dir;
  const std::vector<float> values = {1.0f, -2.5f, 0.0f, 3.25f, 1e-20f, 7.0f};
  WriteNpyMatrix(dir / "topics.npy", values, 2, 3);
  // 10 + 59 + 1 = 70 bytes unpadded -> 128: header length 118.
  const std::string expected =
      SpecPreamble("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 118) +
      RawBytes(values);
  const std::string actual = ReadBytes(dir / "topics.npy");
  EXPECT_EQ(actual.size(), 128u + 24u);
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(PermissionBits(dir / "topics.npy"), 0640u);
}

TEST(NpyTest, VectorFilesAreByteExactPerSpec) {
  TempDir dir;
  const std::vector<double> elbo = {-10.5, -3.0, 0.125, -1e300, 2.0};
  WriteNpyVector(dir / "elbo.npy", std::span<const double>(elbo));
  EXPECT_EQ(ReadBytes(dir / "elbo.npy"),
            SpecPreamble("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", 118) +
                RawBytes(elbo));
  const std::vector<float> weights(1000, 0.5f);
  WriteNpyVector(dir / "w.npy", std::span<const float>(weights));
  EXPECT_EQ(ReadBytes(dir / "w.npy"),
            SpecPreamble("{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }", 118) +
                RawBytes(weights));
}

TEST(NpyTest, MatrixRoundTripsIncludingEmptyShapes) {
  TempDir dir;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (const auto& [rows, cols] :
       std::vector<std::pair<int64_t, int64_t>>{{37, 11}, {1, 1}, {0, 4}, {3, 0}, {1000, 50}}) {
    std::vector<float> values(static_cast<size_t>(rows * cols));
    for (float& v : values) v = normal(rng);
    WriteNpyMatrix(dir / "m.npy", values, rows, cols);
    const NpyMatrix m = ReadNpyMatrix(dir / "m.npy");
    EXPECT_EQ(m.rows, rows);
    EXPECT_EQ(m.cols, cols);
    EXPECT_EQ(m.values, values);
    EXPECT_EQ(ReadBytes(dir / "m.npy").size() % 64, (values.size() * 4) % 64);
  }
}

TEST(NpyTest, Float64VectorRoundTrips) {
  TempDir dir;
  const std::vector<double> values = {1.0 / 3.0, -2e-300, 4e300, 0.0};
  WriteNpyVector(dir / "elbo.npy", std::span<const double>(values));
  EXPECT_EQ(ReadNpyFloat64Vector(dir / "elbo.npy"), values);
}

TEST(NpyTest, StreamingWriterEqualsOneShotWriter) {
  TempDir dir;
  std::vector<float> values(12 * 5);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f;
  WriteNpyMatrix(dir / "a.npy", values, 12, 5);
  NpyMatrixWriter writer(dir / "b.npy", 12, 5);
  writer.AppendRows(std::span(values).subspan(0, 15));
  writer.AppendRows(std::span(values).subspan(15, 0));
  writer.AppendRows(std::span(values).subspan(15));
  writer.Commit();
  EXPECT_EQ(ReadBytes(dir / "b.npy"), ReadBytes(dir / "a.npy"));
}

TEST(NpyTest, StreamingWriterRefusesWrongRowCounts) {
  TempDir dir;
  {
    NpyMatrixWriter writer(dir / "theta.npy", 3, 2);
    const std::vector<float> row = {0.5f, 0.5f};
    EXPECT_THROW(writer.AppendRows(std::vector<float>{1.0f, 2.0f, 3.0f}), std::logic_error);
    writer.AppendRows(row);
    EXPECT_THROW(writer.Commit(), std::logic_error);  // 1 of 3 rows
    writer.AppendRows(row);
    writer.AppendRows(row);
    EXPECT_THROW(writer.AppendRows(row), std::logic_error);  // a 4th row
  }
  EXPECT_TRUE(ListNames(dir.path()).empty());
  EXPECT_THROW(WriteNpyMatrix(dir / "x.npy", std::vector<float>(5), 2, 3), std::invalid_argument);
}

// Writes `header_dict` + `data` as a .npy v1.0 file and returns the reader's error.
std::string ReadError(const TempDir& dir, const std::string& dict, const std::string& data) {
  const size_t len = ((10 + dict.size() + 1 + 63) / 64) * 64 - 10;
  WriteBytes(dir / "bad.npy", SpecPreamble(dict, static_cast<uint16_t>(len)) + data);
  return ErrorMessage<InputError>([&] { ReadNpyMatrix(dir / "bad.npy"); });
}

TEST(NpyTest, ReaderAcceptsOtherKeyOrdersAndSpacing) {
  TempDir dir;
  const std::vector<float> v = {1, 2, 3, 4};
  EXPECT_EQ(ReadError(dir, "{\"shape\":(2,2),'fortran_order':False,'descr':'<f4'}", RawBytes(v)),
            "");
  EXPECT_EQ(ReadNpyMatrix(dir / "bad.npy").values, v);
}

TEST(NpyTest, ReaderRejectsMalformedFilesNamingThem) {
  TempDir dir;
  const std::string four(16, '\0');
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  EXPECT_EQ(ReadError(dir, ok, four), "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", "dtype <f8, expected <f4"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", "dtype >f4"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran order"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", "1-D array, expected 2-D"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2), }", "bad dimension"},
      {"{'descr': '<f4', 'fortran_order': False, }", "missing key"},
      {"{'descr': '<f4', 'fortran_order': Nope, 'shape': (2, 2), }", "True or False"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2), }", "bad .npy header"},
      {"{'descr': '<f4', 'descr': '<f4', 'shape': (2, 2), }", "repeated key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } x", "after the dict"},
      {"['descr', '<f4']", "expected '{'"},
  };
  for (const auto& [dict, expected] : cases) {
    const std::string message = ReadError(dir, dict, four);
    EXPECT_NE(message.find(expected), std::string::npos) << dict << " -> " << message;
    EXPECT_NE(message.find("bad.npy"), std::string::npos) << message;
  }
  EXPECT_NE(
      ReadError(dir, ok, four.substr(0, 12)).find("truncated (expected 16 data bytes, found 12)"),
      std::string::npos);
  EXPECT_NE(ReadError(dir, ok, four + "x").find("unexpected trailing data"), std::string::npos);
}

TEST(NpyTest, ReaderRejectsBadMagicVersionAndShortFiles) {
  TempDir dir;
  const auto error = [&](const std::string& bytes) {
    WriteBytes(dir / "t.npy", bytes);
    return ErrorMessage<InputError>([&] { ReadNpyMatrix(dir / "t.npy"); });
  };
  EXPECT_NE(error("").find("bad magic"), std::string::npos);
  EXPECT_NE(error("PK\x03\x04 not numpy at all").find("t.npy: not a .npy file"), std::string::npos);
  EXPECT_NE(error(std::string("\x93NUMPY\x09\x00\x10\x00", 10) + std::string(16, ' '))
                .find("unsupported .npy version 9"),
            std::string::npos);
  EXPECT_NE(error(std::string("\x93NUMPY\x01\x00\x76\x00{'descr'", 17)).find("truncated"),
            std::string::npos);
  EXPECT_THROW(ReadNpyMatrix(dir / "missing.npy"), MissingInputError);
}

// A Python that can import numpy: the one on PATH, else the system's (a
// pyenv or venv python on PATH often lacks the distribution's numpy).
std::string PythonWithNumpy() {
  for (const std::string python : {"python3", "/usr/bin/python3"}) {
    if (std::system((python + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0) return python;
  }
  return "";
}

// The last word: numpy itself loads what we write.
TEST(NpyTest, NumpyLoadsOurFiles) {
  const std::string python = PythonWithNumpy();
  if (python.empty()) GTEST_SKIP() << "no python3 with numpy installed";
  TempDir dir;
  WriteNpyMatrix(dir / "m.npy", std::vector<float>{1, 2, 3, 4.5f, 5, 6}, 2, 3);
  WriteNpyVector(dir / "v.npy", std::span<const double>(std::vector<double>{0.25, -1}));
  const std::string script =
      "import numpy as np, sys; m = np.load(sys.argv[1]); v = np.load(sys.argv[2]); "
      "assert m.dtype == np.float32 and m.shape == (2, 3) and m.flags.c_contiguous; "
      "assert m.tolist() == [[1, 2, 3], [4.5, 5, 6]]; "
      "assert v.dtype == np.float64 and v.tolist() == [0.25, -1.0]";
  const std::string command = python + " -c \"" + script + "\" " + (dir / "m.npy").string() + " " +
                              (dir / "v.npy").string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace
}  // namespace ntm
