// libFuzzer target: pipeline/export/bow_export.h ParseMatrixMarket (the strict
// reader of what `ntm export-bow` writes). Checks: only ntm::Error escapes; an
// accepted matrix has one row, column and value per entry, indices in range.
#include <cstdint>
#include <string_view>

#include "libvi/base/errors.h"
#include "pipeline/export/bow_export.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const ntm::MatrixMarketMatrix m = ntm::ParseMatrixMarket(text, "fuzz.mtx");
    NTM_FUZZ_CHECK(m.rows >= 0 && m.cols >= 0, "dimensions not negative");
    NTM_FUZZ_CHECK(m.row.size() == m.col.size() && m.col.size() == m.value.size(),
                   "one row, column and value per entry");
    for (size_t i = 0; i < m.row.size(); ++i) {
      NTM_FUZZ_CHECK(m.row[i] >= 1 && m.row[i] <= m.rows, "row index in [1, rows]");
      NTM_FUZZ_CHECK(m.col[i] >= 1 && m.col[i] <= m.cols, "column index in [1, cols]");
    }
  } catch (const ntm::Error&) {
  }
  return 0;
}
