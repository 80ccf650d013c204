// libFuzzer target: pipeline/io/shard.h ShardReader on an in-memory file.
//
// Input byte 0 picks the mode:
//  - raw (even): the rest is the file, read with and without checksum
//    verification (random bytes rarely get past the checksum, so the structural
//    checks are fuzzed with verification off);
//  - framed (odd; bit 1: leave garbage in the alignment gaps): the rest supplies a header and
//  section bytes; the target
//    clamps the sizes (D < 64, nnz < 256, id blob < 512), writes the layout
//    docs/shard-format.md specifies and a correct trailer, so every structural
//    rule (offsets, term order, counts, id offsets) is reached.
// After a successful open it walks every document and id and checks the
// guarantees ShardReader gives libvi: rows in range and ascending, counts > 0,
// every section inside the mapping, ids without line breaks.
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "libvi/base/errors.h"
#include "pipeline/io/shard.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using ntm::fuzz::MemFile;

uint64_t Align8(uint64_t x) { return (x + 7) & ~uint64_t{7}; }

template <typename T>
T Get(std::string_view bytes, size_t at) {
  T v{};
  if (at + sizeof(T) <= bytes.size()) std::memcpy(&v, bytes.data() + at, sizeof(T));
  return v;
}

template <typename T>
void Put(std::string& bytes, size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

// A shard with a correct layout and trailer around fuzz-chosen contents.
std::string Framed(std::string_view in, bool garbage_in_gaps) {
  const uint64_t d = Get<uint64_t>(in, 32) % 64;
  const uint64_t nnz = Get<uint64_t>(in, 40) % 256;
  const uint64_t blob = Get<uint64_t>(in, 104) % 512;
  const uint64_t offsets_at = 128;
  const uint64_t terms_at = Align8(offsets_at + 8 * (d + 1));
  const uint64_t counts_at = Align8(terms_at + 4 * nnz);
  const uint64_t keys_at = Align8(counts_at + 4 * nnz);
  const uint64_t id_offsets_at = keys_at + 8 * d;
  const uint64_t id_blob_at = id_offsets_at + 8 * (d + 1);
  const uint64_t trailer_at = Align8(id_blob_at + blob);
  std::string out(trailer_at + 16, '\0');
  // Section bytes come from the input after its header, repeated if short.
  const std::string_view body = in.size() > 128 ? in.substr(128) : std::string_view("\1\0\0\0");
  for (size_t i = 128; i < trailer_at; ++i) out[i] = body[(i - 128) % body.size()];
  std::memcpy(out.data(), "NTMBOW\0\0", 8);
  Put<uint32_t>(out, 8, 1);
  Put<uint32_t>(out, 12, 128);
  Put<uint64_t>(out, 16, Get<uint64_t>(in, 16));  // vocab checksum
  Put<uint32_t>(out, 24, Get<uint32_t>(in, 24));  // vocab size: any value
  Put<uint64_t>(out, 32, d);
  Put<uint64_t>(out, 40, nnz);
  Put<uint64_t>(out, 48, Get<uint64_t>(in, 48));  // total tokens
  Put<uint64_t>(out, 56, offsets_at);
  Put<uint64_t>(out, 64, terms_at);
  Put<uint64_t>(out, 72, counts_at);
  Put<uint64_t>(out, 80, keys_at);
  Put<uint64_t>(out, 88, id_offsets_at);
  Put<uint64_t>(out, 96, id_blob_at);
  Put<uint64_t>(out, 104, blob);
  Put<uint64_t>(out, 112, trailer_at);
  // Zero the alignment gaps unless the input asks for garbage there.
  if (!garbage_in_gaps) {
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(offsets_at + 8 * (d + 1)),
              out.begin() + static_cast<std::ptrdiff_t>(terms_at), '\0');
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(terms_at + 4 * nnz),
              out.begin() + static_cast<std::ptrdiff_t>(counts_at), '\0');
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(counts_at + 4 * nnz),
              out.begin() + static_cast<std::ptrdiff_t>(keys_at), '\0');
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(id_blob_at + blob),
              out.begin() + static_cast<std::ptrdiff_t>(trailer_at), '\0');
  }
  const uint64_t checksum = XXH3_64bits(out.data(), trailer_at);
  Put<uint64_t>(out, trailer_at, checksum);
  std::memcpy(out.data() + trailer_at + 8, "NTMEND\0\0", 8);
  return out;
}

void Walk(const ntm::ShardReader& shard, size_t file_size) {
  const ntm::BowView& bow = shard.bow();
  const int64_t d = shard.num_docs();
  NTM_FUZZ_CHECK(d >= 0 && bow.num_docs() == d, "documents in the view match the header");
  NTM_FUZZ_CHECK(bow.vocab_size >= 0, "vocabulary size is not negative");
  if (bow.offsets.empty()) {
    NTM_FUZZ_CHECK(d == 0, "no offsets only for an empty shard");
    return;
  }
  // The offsets section starts at byte 128 of the mapping.
  const char* base = reinterpret_cast<const char*>(bow.offsets.data()) - 128;
  const char* end = base + file_size;
  auto inside = [&](const void* p, size_t bytes) {
    const char* c = static_cast<const char*>(p);
    return c >= base && c + bytes <= end;
  };
  NTM_FUZZ_CHECK(inside(bow.offsets.data(), bow.offsets.size_bytes()), "offsets inside the file");
  NTM_FUZZ_CHECK(inside(bow.terms.data(), bow.terms.size_bytes()), "terms inside the file");
  NTM_FUZZ_CHECK(inside(bow.counts.data(), bow.counts.size_bytes()), "counts inside the file");
  NTM_FUZZ_CHECK(inside(bow.keys.data(), bow.keys.size_bytes()), "keys inside the file");
  NTM_FUZZ_CHECK(bow.keys.size() == static_cast<size_t>(d), "one key per document");
  NTM_FUZZ_CHECK(bow.offsets.front() == 0, "offsets[0] == 0");
  NTM_FUZZ_CHECK(static_cast<size_t>(bow.offsets.back()) == bow.terms.size() &&
                     bow.terms.size() == bow.counts.size(),
                 "offsets[D] == nnz == terms == counts");
  for (int64_t i = 0; i < d; ++i) {
    NTM_FUZZ_CHECK(bow.offsets[i] <= bow.offsets[i + 1], "offsets non-decreasing");
    const ntm::DocView doc = bow.doc(i);
    for (size_t k = 0; k < doc.terms.size(); ++k) {
      NTM_FUZZ_CHECK(doc.terms[k] >= 0 && doc.terms[k] < bow.vocab_size, "term id in range");
      NTM_FUZZ_CHECK(k == 0 || doc.terms[k - 1] < doc.terms[k], "terms ascending in a row");
      NTM_FUZZ_CHECK(doc.counts[k] > 0, "count > 0");
    }
    const std::string_view id = shard.doc_id(i);
    NTM_FUZZ_CHECK(id.empty() || inside(id.data(), id.size()), "document id inside the file");
    NTM_FUZZ_CHECK(id.find_first_of("\r\n") == std::string_view::npos,
                   "document id without line breaks");
  }
}

void Open(const MemFile& file, size_t size, bool verify) {
  ntm::ShardReadOptions options;
  options.verify_checksum = verify;
  try {
    ntm::ShardReader shard(file.path(), options);
    Walk(shard, size);
    ntm::ShardReader moved(std::move(shard));
    NTM_FUZZ_CHECK(moved.num_docs() == static_cast<int64_t>(moved.bow().keys.size()),
                   "a moved reader keeps its documents");
  } catch (const ntm::Error&) {
  }
  try {
    const ntm::ShardHeader h = ntm::ReadShardHeader(file.path());
    NTM_FUZZ_CHECK(h.file_size == size, "header file size equals the file's");
  } catch (const ntm::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MemFile file("ntm-fuzz-shard");
  ntm::fuzz::Bytes in(data, size);
  const uint8_t mode = in.Take();
  const std::string_view rest = in.Rest();
  if (mode & 1) {
    const std::string framed = Framed(rest, mode & 2);
    file.Set(framed);
    Open(file, framed.size(), true);
  } else {
    file.Set(rest);
    Open(file, rest.size(), false);
    Open(file, rest.size(), true);
  }
  return 0;
}
