// Helpers shared by the tokenizer tests: scratch folders, file writers
// (plain and gzip), and reading a slice of the shared corpora. Corpus text is
// only ever read from NTM_SHARED_DATA_DIR, never copied into the repository.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tokenizer/document_tokenizer.h"
#include "tokenizer/readers/readers.h"

namespace ntm::testing {

// A fresh folder under the system temp dir, removed at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("ntm-tok-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // Path of `name` inside the folder.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  // The folder.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `bytes` to `path` (creating parent folders).
inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

// Writes `bytes` gzip-compressed to `path`.
inline void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr) << path;
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

// The whole content of a file.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Path of a shared corpus file (mtsamples.jsonl, medquad.jsonl).
inline std::string CorpusPath(const std::string& name) {
  return std::string(NTM_SHARED_DATA_DIR) + "/" + name;
}

// The first `n` lines of a shared corpus file, as JSONL bytes.
inline std::string CorpusHead(const std::string& name, size_t n) {
  std::ifstream in(CorpusPath(name), std::ios::binary);
  std::string line, out;
  for (size_t i = 0; i < n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

// Every document of `sources` read whole, in order.
inline std::vector<RawDocument> ReadAll(const std::vector<InputSource>& sources,
                                        const ReaderOptions& options,
                                        ReaderStats* stats = nullptr) {
  std::vector<WorkItem> items;
  for (const InputSource& s : sources) items.push_back({s.index, 0, INT64_MAX});
  auto reader = OpenReader(sources, items, options);
  std::vector<RawDocument> docs;
  RawDocument doc;
  while (reader->Next(doc)) docs.push_back(doc);
  if (stats != nullptr) *stats = reader->stats();
  return docs;
}

// The texts of the first `n` documents of a shared corpus.
inline std::vector<std::string> CorpusTexts(const std::string& name, size_t n) {
  const auto sources = ExpandInputs({CorpusPath(name)});
  std::vector<WorkItem> items = {{0, 0, INT64_MAX}};
  ReaderOptions options;
  auto reader = OpenReader(sources, items, options);
  std::vector<std::string> texts;
  RawDocument doc;
  while (texts.size() < n && reader->Next(doc)) texts.push_back(doc.text);
  return texts;
}

// SentencePiece training sentences (normalized words joined by spaces) of the
// first `n` documents of a shared corpus, as `ntm tokenize` samples them.
inline std::vector<std::string> TrainingSentences(const std::string& name, size_t n) {
  DocumentTokenizer tokenizer;
  std::vector<std::string> sentences;
  std::string sentence;
  for (const std::string& text : CorpusTexts(name, n)) {
    tokenizer.TrainingSentence(text, sentence);
    sentences.push_back(sentence);
  }
  return sentences;
}

}  // namespace ntm::testing
