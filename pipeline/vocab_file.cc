#include "pipeline/vocab_file.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "libvi/errors.h"
#include "pipeline/atomic_file.h"
#include "pipeline/checksum.h"

namespace ntm {
namespace {

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Splits at tabs; returns at most 5 fields so a long line costs nothing extra.
std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  while (fields.size() < 5) {
    const size_t tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return fields;
}

// The one rule for pieces, shared by writer and parser: non-empty, no tab or
// line break (each would break the line/field structure of vocab.tsv).
bool IsValidPiece(std::string_view piece) {
  return !piece.empty() && piece.find_first_of("\t\r\n") == std::string_view::npos;
}

bool ParseNumber(std::string_view text, uint64_t* value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// Parses term lines into `vocab`, remembering each piece's line to report repeats.
class LineParser {
 public:
  LineParser(const std::string& name, VocabFile& vocab) : name_(name), vocab_(vocab) {}

  void Parse(std::string_view line, int64_t line_no) {
    line_no_ = line_no;
    if (line.ends_with('\r')) Fail("CRLF line ending (expected LF only)");
    const std::vector<std::string_view> f = SplitTabs(line);
    if (f.size() != 4) {
      Fail("expected 4 tab-separated fields (id, piece, df, cf), found " +
           std::string(f.size() > 4 ? "more" : std::to_string(f.size())));
    }
    const uint64_t id = Number(f[0], "id");
    if (id != vocab_.pieces.size()) {
      Fail("id " + std::to_string(id) + ", expected " + std::to_string(vocab_.pieces.size()) +
           " (ids must be contiguous from 0)");
    }
    if (!IsValidPiece(f[1])) {
      Fail(f[1].empty() ? "empty piece" : "piece contains a tab or line break");
    }
    const auto [seen, inserted] = first_line_.emplace(f[1], line_no);
    if (!inserted) Fail("duplicate piece (first on line " + std::to_string(seen->second) + ")");
    vocab_.pieces.emplace_back(f[1]);
    vocab_.df.push_back(Number(f[2], "df"));
    vocab_.cf.push_back(Number(f[3], "cf"));
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw InputError(name_ + ":" + std::to_string(line_no_) + ": " + what);
  }

 private:
  uint64_t Number(std::string_view field, const char* what) const {
    uint64_t value = 0;
    if (!ParseNumber(field, &value)) Fail(std::string(what) + " is not a non-negative integer");
    return value;
  }

  const std::string& name_;
  VocabFile& vocab_;
  int64_t line_no_ = 0;
  std::unordered_map<std::string_view, int64_t> first_line_;
};

}  // namespace

std::string FormatVocabFile(const VocabFile& vocab) {
  const size_t n = vocab.pieces.size();
  if (vocab.df.size() != n || vocab.cf.size() != n) {
    throw std::invalid_argument("FormatVocabFile: pieces, df and cf differ in length");
  }
  std::string text(kVocabHeader);
  text += '\n';
  for (size_t id = 0; id < n; ++id) {
    const std::string& piece = vocab.pieces[id];
    if (!IsValidPiece(piece)) {
      throw std::invalid_argument("FormatVocabFile: term " + std::to_string(id) +
                                  " is empty or contains a tab or line break");
    }
    AppendNumber(text, id);
    text += '\t';
    text += piece;
    text += '\t';
    AppendNumber(text, vocab.df[id]);
    text += '\t';
    AppendNumber(text, vocab.cf[id]);
    text += '\n';
  }
  return text;
}

uint64_t WriteVocabFile(const std::filesystem::path& path, const VocabFile& vocab) {
  const std::string text = FormatVocabFile(vocab);
  WriteFileAtomically(path, text);
  return ChecksumBytes(text);
}

VocabFile ParseVocabFile(std::string_view text, const std::string& name) {
  VocabFile vocab;
  LineParser parser(name, vocab);
  if (text.empty()) throw InputError(name + ": empty file (expected a header line)");
  if (!text.ends_with('\n')) {
    const int64_t lines = static_cast<int64_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    throw InputError(name + ":" + std::to_string(lines) +
                     ": no line break at end of file (truncated?)");
  }
  int64_t line_no = 0;
  for (size_t begin = 0; begin < text.size();) {
    const size_t end = text.find('\n', begin);
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    if (++line_no == 1) {
      if (line != kVocabHeader) {
        throw InputError(name + ":1: expected the header line id<TAB>piece<TAB>df<TAB>cf");
      }
      continue;
    }
    parser.Parse(line, line_no);
  }
  if (vocab.pieces.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw InputError(name + ": too many terms");
  }
  vocab.checksum = ChecksumBytes(text);
  return vocab;
}

VocabFile ReadVocabFile(const std::filesystem::path& path) {
  return ParseVocabFile(ReadFileToString(path), path.string());
}

}  // namespace ntm
