// libFuzzer target: model.bin / training checkpoints.
//
// Input byte 0 picks the mode:
//  - container (even): the rest is a model.bin file, read by
//    pipeline/io/model_file.h ReadModelFile (magic, version, lengths, checksum);
//    a file that passes has its state handed to the two deserialisers;
//  - state (odd): the rest is libvi's state blob itself, handed straight to
//    Model::Deserialize and Trainer::Deserialize (libvi/model.h, trainer.h),
//    so the fuzzer is not stopped by the container checksum.
// A model that deserialises must be usable: its parameter buffer matches its
// layout and the topic matrices have K×V entries.
#include <cstdint>
#include <span>
#include <string_view>

#include "libvi/base/errors.h"
#include "libvi/model.h"
#include "libvi/trainer.h"
#include "pipeline/io/model_file.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void CheckModel(const ntm::Model& m) {
  const auto& layout = m.layout();
  NTM_FUZZ_CHECK(static_cast<int64_t>(m.parameters().size()) == layout.size(),
                 "parameter buffer matches the layout");
  NTM_FUZZ_CHECK(layout.vocab_size() == m.options().vocab_size &&
                     layout.num_topics() == m.options().num_topics &&
                     layout.hidden() == m.options().hidden_units,
                 "layout matches the options");
  const int64_t kv = int64_t{layout.num_topics()} * layout.vocab_size();
  NTM_FUZZ_CHECK(static_cast<int64_t>(m.TopicWordScores().size()) == kv,
                 "topic word scores are K x V");
  if (m.options().decoder == ntm::DecoderKind::kLda) {
    NTM_FUZZ_CHECK(static_cast<int64_t>(m.TopicMatrixRowMajor().size()) == kv,
                   "topic matrix is K x V");
  }
}

void Deserialize(std::span<const uint8_t> state) {
  try {
    CheckModel(ntm::Model::Deserialize(state));
  } catch (const ntm::Error&) {
  }
  try {
    const ntm::Trainer trainer = ntm::Trainer::Deserialize(state);
    CheckModel(trainer.model());
    NTM_FUZZ_CHECK(trainer.step() >= 0, "step count is not negative");
  } catch (const ntm::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ntm::fuzz::MemFile file("ntm-fuzz-model");
  if (size == 0) return 0;
  if (data[0] & 1) {
    Deserialize(std::span(data + 1, size - 1));
    return 0;
  }
  file.Set(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const ntm::ModelFileContents contents = ntm::ReadModelFile(file.path());
    Deserialize(contents.state);
  } catch (const ntm::Error&) {
  }
  return 0;
}
