// vocab.tsv: the corpus vocabulary, one term per line in id order, with
// document and corpus frequencies and, in corpora tokenized into pieces, the
// readable word each piece stands for in reports (tokenizer/piece_display.h).
// Shards record the checksum of its bytes, so a shard is never read against a
// different vocabulary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// The header line of vocab.tsv (without its line break).
inline constexpr std::string_view kVocabHeader = "id\tpiece\tdf\tcf";
// The header line of a vocab.tsv with readable words.
inline constexpr std::string_view kVocabHeaderWithWords = "id\tpiece\tdf\tcf\tword";

// The contents of vocab.tsv: term id = index into each vector.
struct VocabFile {
  std::vector<std::string> pieces;  // the piece (or word) of each term id
  std::vector<uint64_t> df;         // documents containing the term
  std::vector<uint64_t> cf;         // occurrences of the term in the corpus
  std::vector<std::string> words;   // readable form of each term; empty: the file has none
  uint64_t checksum = 0;            // XXH3-64 of the file's bytes (set by Parse/Write)
};

// The exact bytes of vocab.tsv: the header line, then "id\tpiece\tdf\tcf\n" per
// term ("...\tcf\tword\n" when `words` is not empty). std::invalid_argument if
// the vectors differ in length or a piece or word is empty or contains a tab
// or line break (a tokenizer bug).
std::string FormatVocabFile(const VocabFile& vocab);
// Writes vocab.tsv atomically; returns the checksum of the bytes written (the
// value every shard built with this vocabulary records).
uint64_t WriteVocabFile(const std::filesystem::path& path, const VocabFile& vocab);
// Parses vocab.tsv text. InputError "<name>:<line>: <problem>" for a wrong
// header, a line without exactly the header's 4 or 5 fields, ids not contiguous from 0, a number
// that does not parse, a piece or word FormatVocabFile refuses (empty, or
// holding a '\r'), a repeated piece, or a missing final line break.
VocabFile ParseVocabFile(std::string_view text, const std::string& name);
// Reads and parses a vocab.tsv file; MissingInputError if it cannot be opened.
VocabFile ReadVocabFile(const std::filesystem::path& path);

// How many of a topic's top terms its `n` distinct readable words are drawn
// from (several pieces can stand for one word).
constexpr int32_t ReadableWordCandidates(int32_t n) { return 4 * n; }

// The first `n` distinct names of the terms `ids` (a topic's terms by
// weight): readable words repeat when several pieces stand for one word.
std::vector<std::string> DistinctTermNames(std::span<const int32_t> ids,
                                           const std::vector<std::string>& names, size_t n);

}  // namespace ntm
