#include "pipeline/io/model_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "libvi/base/errors.h"
#include "tests/util/run_command.h"

namespace ntm {
namespace {

using testing_util::ReadFile;
using testing_util::TempDir;
using testing_util::WriteFile;

ModelFileContents Sample() {
  ModelFileContents c;
  c.metadata_json = R"({"step": 42})";
  for (int i = 0; i < 1000; ++i) c.state.push_back(static_cast<uint8_t>(i * 31));
  return c;
}

std::string ErrorReading(const std::string& path) {
  try {
    ReadModelFile(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ModelFileTest, RoundTrip) {
  TempDir dir;
  WriteModelFile(dir / "model.bin", Sample());
  const ModelFileContents back = ReadModelFile(dir / "model.bin");
  EXPECT_EQ(back.metadata_json, Sample().metadata_json);
  EXPECT_EQ(back.state, Sample().state);
}

TEST(ModelFileTest, EveryFlippedByteIsDetected) {
  TempDir dir;
  WriteModelFile(dir / "model.bin", Sample());
  const std::string good = ReadFile(dir / "model.bin");
  for (size_t pos = 0; pos < good.size(); pos += 7) {
    std::string bad = good;
    bad[pos] ^= 0x10;
    WriteFile(dir / "bad.bin", bad);
    const std::string e = ErrorReading(dir / "bad.bin");
    EXPECT_NE(e.find("bad.bin"), std::string::npos) << "byte " << pos << ": " << e;
  }
}

TEST(ModelFileTest, TruncationIsDetected) {
  TempDir dir;
  WriteModelFile(dir / "model.bin", Sample());
  const std::string good = ReadFile(dir / "model.bin");
  for (size_t keep : {size_t{0}, size_t{5}, size_t{20}, good.size() / 2, good.size() - 1}) {
    WriteFile(dir / "cut.bin", good.substr(0, keep));
    EXPECT_NE(ErrorReading(dir / "cut.bin"), "no error") << keep;
  }
}

TEST(ModelFileTest, WrongVersionIsNamed) {
  TempDir dir;
  WriteModelFile(dir / "model.bin", Sample());
  std::string bytes = ReadFile(dir / "model.bin");
  bytes[8] = 9;
  WriteFile(dir / "v9.bin", bytes);
  EXPECT_NE(ErrorReading(dir / "v9.bin").find("version 9"), std::string::npos);
}

TEST(ModelFileTest, MissingFile) {
  EXPECT_THROW(ReadModelFile("/nonexistent/model.bin"), MissingInputError);
}

}  // namespace
}  // namespace ntm
