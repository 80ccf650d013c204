// libFuzzer target: pipeline/io/npy.h ReadNpyMatrix and ReadNpyFloat64Vector on
// an in-memory file. Checks: only ntm::Error escapes; an accepted matrix holds
// rows × cols values. Huge shapes in the header must be rejected against the
// file length, not allocated (libFuzzer's malloc limit reports that).
#include <cstdint>
#include <string_view>

#include "libvi/base/errors.h"
#include "pipeline/io/npy.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ntm::fuzz::MemFile file("ntm-fuzz-npy");
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  file.Set(bytes);
  try {
    const ntm::NpyMatrix m = ntm::ReadNpyMatrix(file.path());
    NTM_FUZZ_CHECK(m.rows >= 0 && m.cols >= 0, "shape not negative");
    NTM_FUZZ_CHECK(static_cast<int64_t>(m.values.size()) == m.rows * m.cols, "rows * cols values");
    NTM_FUZZ_CHECK(m.values.size() * 4 <= size, "values come from the file");
  } catch (const ntm::Error&) {
  }
  try {
    const std::vector<double> v = ntm::ReadNpyFloat64Vector(file.path());
    NTM_FUZZ_CHECK(v.size() * 8 <= size, "values come from the file");
  } catch (const ntm::Error&) {
  }
  return 0;
}
