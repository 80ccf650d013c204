#include "pipeline/io/vocab_file.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/checksum.h"

namespace ntm {
namespace {

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Splits at tabs; returns at most 6 fields so a long line costs nothing extra.
std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  while (fields.size() < 6) {
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
  LineParser(const std::string& name, bool with_words, VocabFile& vocab)
      : name_(name), fields_(with_words ? 5 : 4), vocab_(vocab) {}

  void Parse(std::string_view line, int64_t line_no) {
    line_no_ = line_no;
    if (line.ends_with('\r')) Fail("CRLF line ending (expected LF only)");
    const std::vector<std::string_view> f = SplitTabs(line);
    if (f.size() != fields_) {
      Fail("expected " + std::to_string(fields_) + " tab-separated fields (id, piece, df, cf" +
           (fields_ == 5 ? ", word" : "") + "), found " +
           std::string(f.size() > fields_ ? "more" : std::to_string(f.size())));
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
    if (fields_ == 5) {
      if (!IsValidPiece(f[4])) Fail(f[4].empty() ? "empty word" : "word contains a line break");
      vocab_.words.emplace_back(f[4]);
    }
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
  const size_t fields_;
  VocabFile& vocab_;
  int64_t line_no_ = 0;
  std::unordered_map<std::string_view, int64_t> first_line_;
};

}  // namespace

std::string FormatVocabFile(const VocabFile& vocab) {
  const size_t n = vocab.pieces.size();
  const bool with_words = !vocab.words.empty();
  if (vocab.df.size() != n || vocab.cf.size() != n || (with_words && vocab.words.size() != n)) {
    throw std::invalid_argument("FormatVocabFile: pieces, df, cf and words differ in length");
  }
  std::string text(with_words ? kVocabHeaderWithWords : kVocabHeader);
  text += '\n';
  for (size_t id = 0; id < n; ++id) {
    const std::string& piece = vocab.pieces[id];
    if (!IsValidPiece(piece) || (with_words && !IsValidPiece(vocab.words[id]))) {
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
    if (with_words) {
      text += '\t';
      text += vocab.words[id];
    }
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
  if (text.empty()) throw InputError(name + ": empty file (expected a header line)");
  const std::string_view header = text.substr(0, text.find('\n'));
  LineParser parser(name, header == kVocabHeaderWithWords, vocab);
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
      if (line != kVocabHeader && line != kVocabHeaderWithWords) {
        throw InputError(name +
                         ":1: expected the header line id<TAB>piece<TAB>df<TAB>cf[<TAB>word]");
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

std::vector<std::string> DistinctTermNames(std::span<const int32_t> ids,
                                           const std::vector<std::string>& names, size_t n) {
  std::vector<std::string> distinct;
  for (int32_t id : ids) {
    if (distinct.size() == n) break;
    const std::string& name = names.at(static_cast<size_t>(id));
    if (std::find(distinct.begin(), distinct.end(), name) == distinct.end()) {
      distinct.push_back(name);
    }
  }
  return distinct;
}

}  // namespace ntm
