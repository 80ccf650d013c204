// manifest.json as the later stages read it: the list of shards a corpus has.
// The manifest, not the folder listing, decides which shards belong to the
// corpus: a shard deleted, copied in or left from an earlier run with another
// tokenize.docs_per_shard is an error naming the file, never a silent change
// of the documents trained on or scored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ntm {

// One shard as the manifest lists it.
struct ManifestShard {
  std::string file;       // name inside the corpus folder, e.g. "shard-00003.bow"
  int64_t documents = 0;  // documents it holds
  int64_t bytes = -1;     // file size; -1 in manifests written before it was recorded
  uint64_t checksum = 0;  // XXH3-64 of the whole file
};

// The shards of `dir`/manifest.json in corpus order. MissingInputError if the
// manifest is missing; InputError naming it if it is malformed or truncated.
std::vector<ManifestShard> ReadManifestShards(const std::filesystem::path& dir);

// Checks the folder against the manifest: every listed shard present with its
// size, no other shard-*.bow beside them. InputError naming the file otherwise.
void CheckShardsMatchManifest(const std::filesystem::path& dir,
                              const std::vector<ManifestShard>& shards);

}  // namespace ntm
