#include "pipeline/io/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>

#include "libvi/base/byte_reader.h"
#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/vocab_file.h"

namespace ntm {
namespace {

constexpr char kMagic[8] = {'N', 'T', 'M', 'M', 'O', 'D', 'E', 'L'};
constexpr char kEndMagic[8] = {'N', 'T', 'M', 'E', 'N', 'D', '\0', '\0'};

template <typename T>
void Append(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

void WriteModelFile(const std::filesystem::path& path, const ModelFileContents& contents) {
  std::string bytes(kMagic, sizeof kMagic);
  Append(bytes, kModelFormatVersion);
  Append(bytes, static_cast<uint64_t>(contents.metadata_json.size()));
  bytes += contents.metadata_json;
  Append(bytes, static_cast<uint64_t>(contents.state.size()));
  bytes.append(reinterpret_cast<const char*>(contents.state.data()), contents.state.size());
  Append(bytes, ChecksumBytes(bytes));
  bytes.append(kEndMagic, sizeof kEndMagic);
  AtomicFileWriter writer(path);
  writer.Write(bytes);
  writer.Commit();
}

ModelFileContents ReadModelFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(path.string() + ": cannot open the model file");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = path.string();
  ByteReader cursor(bytes, name);
  if (cursor.Take(sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    throw InputError(name + ": not an ntm model file (wrong magic)");
  }
  const auto version = cursor.Get<uint32_t>();
  if (version != kModelFormatVersion) {
    throw InputError(name + ": model format version " + std::to_string(version) +
                     " is not supported (this ntm reads version " +
                     std::to_string(kModelFormatVersion) + ")");
  }
  ModelFileContents contents;
  contents.metadata_json = std::string(cursor.LengthPrefixed());
  const std::string_view state = cursor.LengthPrefixed();
  contents.state.assign(state.begin(), state.end());
  const uint64_t expected = ChecksumBytes(std::string_view(bytes.data(), cursor.pos()));
  if (cursor.Get<uint64_t>() != expected)
    throw InputError(name + ": checksum mismatch (corrupted)");
  if (cursor.Take(sizeof kEndMagic) != std::string_view(kEndMagic, sizeof kEndMagic) ||
      cursor.pos() != bytes.size()) {
    throw InputError(name + ": trailing bytes after the end marker (corrupted)");
  }
  return contents;
}

void CheckModelMatchesVocabulary(const ModelFileContents& file, const Model& model,
                                 const std::filesystem::path& model_path,
                                 const std::filesystem::path& vocab_path) {
  const VocabFile vocab = ReadVocabFile(vocab_path.string());
  std::string recorded;
  try {
    recorded = nlohmann::json::parse(file.metadata_json).at("vocab_checksum").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(model_path.string() + ": metadata has no valid vocab_checksum");
  }
  const auto vocab_size = static_cast<int64_t>(vocab.pieces.size());
  if (recorded != ChecksumHex(vocab.checksum) || model.options().vocab_size != vocab_size) {
    throw InputError(model_path.string() + ": trained on a different vocabulary than " +
                     vocab_path.string() + " (vocabulary checksum " + recorded +
                     ", V=" + std::to_string(model.options().vocab_size) + "; the file has " +
                     ChecksumHex(vocab.checksum) + ", V=" + std::to_string(vocab_size) + ")");
  }
}

std::vector<float> TopicDistributions(const Model& model) {
  if (model.options().decoder == DecoderKind::kLda) return model.TopicMatrixRowMajor();
  std::vector<float> scores = model.TopicWordScores();  // prodlda: softmax of each row
  const size_t v = static_cast<size_t>(model.options().vocab_size);
  for (size_t begin = 0; begin < scores.size(); begin += v) {
    const auto row = std::span(scores).subspan(begin, v);
    const float max = *std::max_element(row.begin(), row.end());
    double sum = 0;
    for (float& x : row) sum += (x = std::exp(x - max));
    for (float& x : row) x = static_cast<float>(x / sum);
  }
  return scores;
}

}  // namespace ntm
