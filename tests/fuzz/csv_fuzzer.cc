// libFuzzer target: the CSV reader (tokenizer/readers/readers.h OpenReader), plain or
// gzip, whole and split into byte ranges (the record-boundary scan of ranks
// with begin > 0). See reader_fuzz.h.
#include "tests/fuzz/reader_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ntm::fuzz::FuzzReader(data, size, ntm::InputFormat::kCsv);
}
