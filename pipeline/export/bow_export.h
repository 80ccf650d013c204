// `ntm export-bow`: the corpus as MatrixMarket for tools outside ntm
// (scipy.io.mmread, R's Matrix::readMM, gensim), plus a strict reader of the
// same format used by tests and fuzzing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// The banner ExportBow writes and ParseMatrixMarket accepts.
inline constexpr std::string_view kMatrixMarketBanner =
    "%%MatrixMarket matrix coordinate integer general";

// What ExportBow wrote.
struct BowExportSummary {
  int64_t documents = 0;  // rows of bow.mtx, lines of doc_ids.txt
  int64_t terms = 0;      // columns of bow.mtx, lines of vocab.txt
  int64_t entries = 0;    // non-zero entries of bow.mtx
};

// Writes to `out_dir` (created if missing): bow.mtx (documents × terms counts,
// 1-based, rows in shard order), vocab.txt (one piece per line in id order) and
// doc_ids.txt (one id per line, row order). Streams one shard at a time, so
// memory stays at one shard. Every shard must match `vocab` in size and share
// one vocabulary checksum (`vocab_checksum` when given); InputError naming the
// shard otherwise. Each file is written atomically.
BowExportSummary ExportBow(std::span<const std::filesystem::path> shards,
                           std::span<const std::string> vocab, const std::filesystem::path& out_dir,
                           std::optional<uint64_t> vocab_checksum = std::nullopt);

// What ExportCompletionSplit wrote.
struct CompletionSplitSummary {
  int64_t documents = 0;        // rows of both .mtx files, lines of completion-doc-ids.txt
  int64_t observed_tokens = 0;  // Σ counts of completion-observed.mtx (θ is inferred from these)
  int64_t heldout_tokens = 0;   // Σ counts of completion-heldout.mtx (these are scored)
};

// Writes to `out_dir` the documents `ntm score` holds out for document
// completion (SelectCompletionDocuments with score.heldout_fraction and
// score.seed), split in halves exactly as score splits them
// (SplitDocumentHalves with score.seed): completion-observed.mtx and
// completion-heldout.mtx (rows = those documents in corpus order, columns as
// bow.mtx) and completion-doc-ids.txt. Shards are checked as by ExportBow.
CompletionSplitSummary ExportCompletionSplit(std::span<const std::filesystem::path> shards,
                                             int64_t vocab_size,
                                             const std::filesystem::path& out_dir,
                                             double heldout_fraction, uint64_t score_seed,
                                             std::optional<uint64_t> vocab_checksum);

// A MatrixMarket "coordinate integer general" matrix.
struct MatrixMarketMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> row;    // 1-based row of each entry, in file order
  std::vector<int64_t> col;    // 1-based column of each entry
  std::vector<int64_t> value;  // value of each entry
};

// Parses MatrixMarket text strictly: the banner above, optional '%' comment
// lines, a "rows cols entries" line, then exactly that many "row col value"
// lines with indices in range, and a final line break. InputError
// "<name>:<line>: <problem>" otherwise; never echoes line contents.
MatrixMarketMatrix ParseMatrixMarket(std::string_view text, const std::string& name);
// Reads and parses a .mtx file; MissingInputError if it cannot be opened.
MatrixMarketMatrix ReadMatrixMarket(const std::filesystem::path& path);

}  // namespace ntm
