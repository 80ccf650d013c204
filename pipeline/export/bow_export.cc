#include "pipeline/export/bow_export.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "libvi/base/errors.h"
#include "libvi/metrics.h"
#include "pipeline/corpus/completion_split.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/shard.h"

namespace ntm {
namespace {

// Appends "row col value\n" without allocating.
void WriteEntry(AtomicFileWriter& out, int64_t row, int64_t col, uint64_t value) {
  char line[64];
  char* p = std::to_chars(line, line + 20, row).ptr;
  *p++ = ' ';
  p = std::to_chars(p, p + 20, col).ptr;
  *p++ = ' ';
  p = std::to_chars(p, p + 20, value).ptr;
  *p++ = '\n';
  out.Write(std::string_view(line, static_cast<size_t>(p - line)));
}

void WriteVocabTxt(const std::filesystem::path& path, std::span<const std::string> vocab) {
  std::string text;
  for (const std::string& piece : vocab) {
    if (piece.find_first_of("\r\n") != std::string::npos) {
      throw std::invalid_argument("ExportBow: a vocabulary piece contains a line break");
    }
    text += piece;
    text += '\n';
  }
  WriteFileAtomically(path, text);
}

// First pass over the headers only: sizes for the .mtx size line, and the
// vocabulary every shard must share.
BowExportSummary PlanExport(std::span<const std::filesystem::path> shards, int64_t vocab_size,
                            std::optional<uint64_t>* vocab_checksum) {
  BowExportSummary summary{0, vocab_size, 0};
  for (const auto& path : shards) {
    const ShardHeader h = ReadShardHeader(path);
    if (h.vocab_size != vocab_size) {
      throw InputError(path.string() + ": vocabulary size " + std::to_string(h.vocab_size) +
                       ", but the vocabulary has " + std::to_string(vocab_size) + " terms");
    }
    if (!*vocab_checksum) *vocab_checksum = h.vocab_checksum;
    summary.documents += h.num_docs;
    summary.entries += h.nnz;
  }
  return summary;
}

// Appends one shard's rows (numbered from `first_row` + 1) and ids.
void ExportShard(const ShardReader& shard, int64_t first_row, AtomicFileWriter& mtx,
                 AtomicFileWriter& ids) {
  const BowView& bow = shard.bow();
  for (int64_t d = 0; d < bow.num_docs(); ++d) {
    const DocView doc = bow.doc(d);
    for (size_t i = 0; i < doc.terms.size(); ++i) {
      WriteEntry(mtx, first_row + d + 1, int64_t{doc.terms[i]} + 1, doc.counts[i]);
    }
    const std::string_view id = shard.doc_id(d);
    if (id.find_first_of("\r\n") != std::string_view::npos) {
      throw InputError(shard.path().string() + ": document " + std::to_string(d) +
                       ": id contains a line break");
    }
    ids.Write(id);
    ids.Write("\n");
  }
}

}  // namespace

BowExportSummary ExportBow(std::span<const std::filesystem::path> shards,
                           std::span<const std::string> vocab, const std::filesystem::path& out_dir,
                           std::optional<uint64_t> vocab_checksum) {
  const int64_t vocab_size = static_cast<int64_t>(vocab.size());
  const BowExportSummary summary = PlanExport(shards, vocab_size, &vocab_checksum);
  CreateDirectories(out_dir);
  AtomicFileWriter mtx(out_dir / "bow.mtx");
  AtomicFileWriter ids(out_dir / "doc_ids.txt");
  mtx.Write(std::string(kMatrixMarketBanner) +
            "\n% rows: documents (doc_ids.txt order); columns: terms (vocab.txt line)\n" +
            std::to_string(summary.documents) + " " + std::to_string(vocab_size) + " " +
            std::to_string(summary.entries) + "\n");
  const ShardReadOptions options{.verify_checksum = true,
                                 .expected_vocab_checksum = vocab_checksum};
  int64_t rows = 0, entries = 0;
  for (const auto& path : shards) {
    const ShardReader shard(path, options);
    ExportShard(shard, rows, mtx, ids);
    rows += shard.num_docs();
    entries += shard.header().nnz;
  }
  if (rows != summary.documents || entries != summary.entries) {
    throw InputError("a shard changed while being exported");
  }
  mtx.Commit();
  ids.Commit();
  WriteVocabTxt(out_dir / "vocab.txt", vocab);
  return summary;
}

// ---- completion split ----

namespace {

// One .mtx file built in memory (held-out documents are a small share).
struct MtxBody {
  std::string text;
  int64_t entries = 0;
  int64_t tokens = 0;

  void Append(const DocView& doc, int64_t row) {
    for (size_t i = 0; i < doc.terms.size(); ++i) {
      text += std::to_string(row) + ' ' + std::to_string(int64_t{doc.terms[i]} + 1) + ' ' +
              std::to_string(doc.counts[i]) + '\n';
      tokens += doc.counts[i];
    }
    entries += static_cast<int64_t>(doc.terms.size());
  }
  void Write(const std::filesystem::path& path, int64_t rows, int64_t cols) const {
    WriteFileAtomically(path, std::string(kMatrixMarketBanner) +
                                  "\n% rows: completion-doc-ids.txt order; columns: vocab.txt\n" +
                                  std::to_string(rows) + " " + std::to_string(cols) + " " +
                                  std::to_string(entries) + "\n" + text);
  }
};

// Appends one shard's held-out documents, split in halves, to the three files.
void SplitShard(const ShardReader& shard, double fraction, uint64_t seed, MtxBody* observed,
                MtxBody* heldout, std::string* ids, int64_t* rows) {
  const BowView bow = shard.bow();
  const std::vector<int64_t> picked = CompletionDocumentIndices(bow, fraction, seed);
  const BowMatrix docs = SelectCompletionDocuments(bow, fraction, seed);
  const DocumentHalves halves = SplitDocumentHalves(docs.view(), seed);
  const BowView first = halves.first.view(), second = halves.second.view();
  for (size_t i = 0; i < picked.size(); ++i) {
    const int64_t d = static_cast<int64_t>(i);
    ++*rows;
    observed->Append(first.doc(d), *rows);
    heldout->Append(second.doc(d), *rows);
    *ids += shard.doc_id(picked[i]);
    *ids += '\n';
  }
}

}  // namespace

CompletionSplitSummary ExportCompletionSplit(std::span<const std::filesystem::path> shards,
                                             int64_t vocab_size,
                                             const std::filesystem::path& out_dir,
                                             double heldout_fraction, uint64_t score_seed,
                                             std::optional<uint64_t> vocab_checksum) {
  PlanExport(shards, vocab_size, &vocab_checksum);
  const ShardReadOptions options{.verify_checksum = true,
                                 .expected_vocab_checksum = vocab_checksum};
  MtxBody observed, heldout;
  std::string ids;
  int64_t rows = 0;
  for (const auto& path : shards) {
    const ShardReader shard(path, options);
    SplitShard(shard, heldout_fraction, score_seed, &observed, &heldout, &ids, &rows);
  }
  CreateDirectories(out_dir);
  observed.Write(out_dir / "completion-observed.mtx", rows, vocab_size);
  heldout.Write(out_dir / "completion-heldout.mtx", rows, vocab_size);
  WriteFileAtomically(out_dir / "completion-doc-ids.txt", ids);
  return {rows, observed.tokens, heldout.tokens};
}

// ---- strict reader ----

namespace {

// Up to `max` fields separated by runs of spaces or tabs.
std::vector<std::string_view> SplitFields(std::string_view line, size_t max) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (fields.size() < max) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// Walks the text line by line, numbering lines from 1 for error messages.
class MtxParser {
 public:
  MtxParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  MatrixMarketMatrix Parse() {
    if (text_.empty()) Fail(1, "empty file (expected the MatrixMarket banner)");
    if (!text_.ends_with('\n')) Fail(LineCount(), "no line break at end of file (truncated?)");
    ParseBanner(NextLine());
    std::string_view line = NextLine();
    while (line.starts_with('%')) line = NextLine();
    MatrixMarketMatrix m;
    const int64_t entries = ParseSizes(line, &m);
    const size_t reserve = std::min<size_t>(static_cast<size_t>(entries), text_.size() / 6);
    m.row.reserve(reserve), m.col.reserve(reserve), m.value.reserve(reserve);
    for (int64_t e = 0; e < entries; ++e) {
      if (pos_ == text_.size()) {
        Fail(line_no_ + 1, "expected " + std::to_string(entries) + " entries, found " +
                               std::to_string(e) + " (truncated?)");
      }
      ParseEntry(NextLine(), &m);
    }
    if (pos_ != text_.size()) {
      Fail(line_no_ + 1, "more entries than the " + std::to_string(entries) + " declared");
    }
    return m;
  }

 private:
  [[noreturn]] void Fail(int64_t line, const std::string& what) const {
    throw InputError(name_ + ":" + std::to_string(line) + ": " + what);
  }
  int64_t LineCount() const { return std::count(text_.begin(), text_.end(), '\n') + 1; }

  std::string_view NextLine() {
    if (pos_ == text_.size()) Fail(line_no_ + 1, "unexpected end of file");
    const size_t end = text_.find('\n', pos_);
    const std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_no_;
    return line;
  }

  void ParseBanner(std::string_view line) {
    std::vector<std::string_view> got = SplitFields(line, 6);
    const std::vector<std::string_view> want = SplitFields(kMatrixMarketBanner, 6);
    const auto same = [](std::string_view a, std::string_view b) {
      return std::equal(
          a.begin(), a.end(), b.begin(), b.end(),
          [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
    };
    if (got.empty() || got[0] != want[0]) Fail(line_no_, "missing %%MatrixMarket banner");
    if (!std::equal(got.begin(), got.end(), want.begin(), want.end(), same)) {
      Fail(line_no_,
           "unsupported MatrixMarket type (expected 'matrix coordinate integer general')");
    }
  }

  int64_t Number(std::string_view field, const char* what) const {
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size()) {
      Fail(line_no_, std::string(what) + " is not an integer");
    }
    return value;
  }

  int64_t ParseSizes(std::string_view line, MatrixMarketMatrix* m) {
    const std::vector<std::string_view> f = SplitFields(line, 4);
    if (f.size() != 3) Fail(line_no_, "expected the size line: rows columns entries");
    m->rows = Number(f[0], "rows");
    m->cols = Number(f[1], "columns");
    const int64_t entries = Number(f[2], "entries");
    if (m->rows < 0 || m->cols < 0 || entries < 0) Fail(line_no_, "negative size");
    return entries;
  }

  void ParseEntry(std::string_view line, MatrixMarketMatrix* m) {
    const std::vector<std::string_view> f = SplitFields(line, 4);
    if (f.size() != 3) Fail(line_no_, "expected 3 numbers (row column value)");
    const int64_t row = Number(f[0], "row"), col = Number(f[1], "column");
    if (row < 1 || row > m->rows) Fail(line_no_, "row out of range [1, rows]");
    if (col < 1 || col > m->cols) Fail(line_no_, "column out of range [1, columns]");
    m->row.push_back(row);
    m->col.push_back(col);
    m->value.push_back(Number(f[2], "value"));
  }

  std::string_view text_;
  const std::string& name_;
  size_t pos_ = 0;
  int64_t line_no_ = 0;
};

}  // namespace

MatrixMarketMatrix ParseMatrixMarket(std::string_view text, const std::string& name) {
  return MtxParser(text, name).Parse();
}

MatrixMarketMatrix ReadMatrixMarket(const std::filesystem::path& path) {
  return ParseMatrixMarket(ReadFileToString(path), path.string());
}

}  // namespace ntm
