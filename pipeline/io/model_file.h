// model.bin: a trained model or a training checkpoint. Layout (little-endian):
//   "NTMMODEL" | uint32 format version | uint64 metadata length | metadata (JSON text)
//   | uint64 state length | state bytes (libvi's serialised model and optimiser)
//   | uint64 XXH3-64 of everything before it | "NTMEND\0\0"
// The metadata holds what the pipeline needs to resume and to check
// compatibility: step, epoch, data position, vocabulary checksum, sizes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "libvi/model.h"

namespace ntm {

// Version written by WriteModelFile; readers reject any other.
inline constexpr uint32_t kModelFormatVersion = 1;

// The two parts of a model file.
struct ModelFileContents {
  std::string metadata_json;
  std::vector<uint8_t> state;
};

// Writes `path` atomically (temporary file, fsync, rename): a crash or a full
// disk leaves the previous file intact.
void WriteModelFile(const std::filesystem::path& path, const ModelFileContents& contents);

// Reads and verifies `path`: InputError naming the file for a wrong magic,
// version, truncation or checksum mismatch; MissingInputError if absent.
ModelFileContents ReadModelFile(const std::filesystem::path& path);

// Checks that `file` (read from `model_path`, its state already deserialized
// into `model`) was trained on the vocabulary in `vocab_path`: the checksum and
// size recorded in its metadata must match. InputError naming both files if
// not (a model.bin copied into another model's bundle would otherwise score
// against the wrong word list without any error).
void CheckModelMatchesVocabulary(const ModelFileContents& file, const Model& model,
                                 const std::filesystem::path& model_path,
                                 const std::filesystem::path& vocab_path);

// K×V topic-term distributions, rows summing to 1, for either decoder: what
// topics.npy holds and what scoring's quality figures read.
std::vector<float> TopicDistributions(const Model& model);

}  // namespace ntm
