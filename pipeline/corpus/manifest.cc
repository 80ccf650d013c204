#include "pipeline/corpus/manifest.h"

#include <nlohmann/json.hpp>
#include <set>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/shard.h"

namespace ntm {
namespace {

// "xxh3:<16 hex digits>", as tokenize writes it.
uint64_t ParseShardChecksum(const std::string& text, const std::string& where) {
  const auto value = text.rfind("xxh3:", 0) == 0 ? ParseChecksumHex(text.substr(5)) : std::nullopt;
  if (!value) throw InputError(where + ": a shard checksum is not xxh3:<16 hex digits>");
  return *value;
}

ManifestShard ShardEntry(const nlohmann::json& entry, const std::string& where) {
  ManifestShard s;
  s.file = entry.at("file").get<std::string>();
  if (s.file.find('/') != std::string::npos || !s.file.starts_with("shard-")) {
    throw InputError(where + ": shard entry '" + s.file + "' is not a shard file name");
  }
  s.documents = entry.at("documents").get<int64_t>();
  if (entry.contains("bytes")) s.bytes = entry.at("bytes").get<int64_t>();
  s.checksum = ParseShardChecksum(entry.at("checksum").get<std::string>(), where);
  return s;
}

}  // namespace

std::vector<ManifestShard> ReadManifestShards(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "manifest.json";
  const std::string where = path.string();
  const std::string text = ReadFileToString(path);
  const nlohmann::json manifest = nlohmann::json::parse(text, nullptr, false);
  if (manifest.is_discarded()) {
    throw InputError(where + ": malformed JSON (truncated?); rerun ntm tokenize");
  }
  std::vector<ManifestShard> shards;
  try {
    for (const auto& entry : manifest.at("shards")) shards.push_back(ShardEntry(entry, where));
  } catch (const nlohmann::json::exception&) {
    throw InputError(where + ": no valid \"shards\" list (file, documents, checksum)");
  }
  if (shards.empty()) throw InputError(where + ": lists no shards");
  return shards;
}

void CheckShardsMatchManifest(const std::filesystem::path& dir,
                              const std::vector<ManifestShard>& shards) {
  std::set<std::string> listed;
  for (const auto& s : shards) {
    const std::filesystem::path path = dir / s.file;
    if (!listed.insert(s.file).second) {
      throw InputError((dir / "manifest.json").string() + ": lists " + s.file + " twice");
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      throw InputError(path.string() + ": listed in manifest.json but missing (" + ec.message() +
                       ")");
    }
    if (s.bytes >= 0 && static_cast<int64_t>(size) != s.bytes) {
      throw InputError(path.string() + ": " + std::to_string(size) + " bytes, manifest.json says " +
                       std::to_string(s.bytes));
    }
  }
  for (const auto& path : ListShards(dir)) {
    if (!listed.contains(path.filename().string())) {
      throw InputError(path.string() +
                       ": not listed in manifest.json (left from another run? remove it or "
                       "rerun ntm tokenize into an empty folder)");
    }
  }
}

}  // namespace ntm
