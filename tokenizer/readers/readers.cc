#include "tokenizer/readers/readers.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "libvi/base/errors.h"
#include "tokenizer/readers/byte_stream.h"
#include "tokenizer/readers/postgres_connection.h"
#include "tokenizer/readers/source_reader.h"

namespace ntm {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// The name without a trailing ".gz", lower-cased.
std::string StripGz(const std::string& name) {
  std::string lower = Lower(name);
  if (lower.ends_with(".gz")) lower.resize(lower.size() - 3);
  return lower;
}

InputFormat FormatFromExtension(const std::string& path) {
  const std::string name = StripGz(fs::path(path).filename().string());
  if (name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json")) {
    return InputFormat::kJsonl;
  }
  if (name.ends_with(".csv")) return InputFormat::kCsv;
  if (name.ends_with(".txt")) return InputFormat::kText;
  throw ConfigError("cannot tell the format of input " + path +
                    " from its name (.jsonl, .csv, .txt, optionally .gz); set the format");
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// Regular files under `root` named *.txt or *.txt.gz, sorted by relative path.
std::vector<fs::path> ListTextFiles(const std::string& root) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) throw MissingInputError("cannot list input folder " + root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw MissingInputError("cannot list input folder " + root + ": " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    if (StripGz(it->path().filename().string()).ends_with(".txt")) {
      files.push_back(it->path().lexically_relative(root));
    }
  }
  if (files.empty()) {
    throw MissingInputError("input folder " + root + " holds no .txt or .txt.gz files");
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  return files;
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw MissingInputError("cannot stat input " + path + ": " + ec.message());
  return static_cast<int64_t>(size);
}

void AppendFolder(const std::string& root, std::vector<InputSource>& sources) {
  for (const fs::path& rel : ListTextFiles(root)) {
    InputSource s;
    s.path = (fs::path(root) / rel).string();
    s.id = rel.generic_string();
    s.format = InputFormat::kText;
    s.gzip = Lower(s.path).ends_with(".gz");  // magic is checked when read
    s.size_bytes = FileSize(s.path);
    s.index = static_cast<int64_t>(sources.size());
    sources.push_back(std::move(s));
  }
}

class ChainReader final : public DocumentReader {
 public:
  ChainReader(const std::vector<InputSource>& sources, const std::vector<WorkItem>& items,
              const ReaderOptions& options)
      : sources_(sources), items_(items), options_(options) {}

  bool Next(RawDocument& doc) override {
    for (;;) {
      if (current_ && current_->Next(doc)) return true;
      if (current_) finished_ += current_->stats();
      current_.reset();
      if (next_item_ == items_.size()) return false;
      const WorkItem& item = items_[next_item_++];
      current_ = OpenReader(sources_.at(item.source_index), item, options_);
    }
  }

  ReaderStats stats() const override {
    ReaderStats stats = finished_;
    if (current_) stats += current_->stats();
    return stats;
  }

 private:
  const std::vector<InputSource>& sources_;
  const std::vector<WorkItem> items_;
  const ReaderOptions& options_;
  size_t next_item_ = 0;
  std::unique_ptr<DocumentReader> current_;
  ReaderStats finished_;
};

}  // namespace

InputFormat ParseInputFormat(std::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "jsonl") return InputFormat::kJsonl;
  if (name == "csv") return InputFormat::kCsv;
  if (name == "txt") return InputFormat::kText;
  throw ConfigError("input format must be auto, jsonl, csv or txt, not '" + std::string(name) +
                    "'");
}

OnError ParseOnError(std::string_view name) {
  if (name == "skip") return OnError::kSkip;
  if (name == "fail") return OnError::kFail;
  throw ConfigError("on_error must be skip or fail, not '" + std::string(name) + "'");
}

void ValidateReaderOptions(const ReaderOptions& options) {
  std::string problems;
  auto check = [&problems](bool ok, const char* message) {
    if (!ok) problems += std::string(problems.empty() ? "" : "; ") + message;
  };
  check(!options.text_field.empty(), "text_field must not be empty");
  check(options.id_field != options.text_field, "id_field and text_field must differ");
  check(options.max_doc_bytes >= 1, "max_doc_bytes must be at least 1");
  check(options.max_line_bytes >= 16, "max_line_bytes must be at least 16");
  check(options.csv_delimiter != '"' && options.csv_delimiter != '\n' &&
            options.csv_delimiter != '\r',
        "csv_delimiter must not be a quote or a line break");
  if (!problems.empty()) throw ConfigError("reader options: " + problems);
}

void CheckInputsReadable(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (IsPostgresUri(path)) continue;  // OpenDatabaseInputs connects and checks
    if (IsDirectory(path)) {
      for (const fs::path& rel : ListTextFiles(path)) {
        const std::string file = (fs::path(path) / rel).string();
        if (::access(file.c_str(), R_OK) != 0) {
          throw MissingInputError("cannot read input " + file + ": " + std::strerror(errno));
        }
      }
      continue;
    }
    ByteStream::Open(path);  // throws MissingInputError naming the path
  }
}

// The one source of a database input.
InputSource DatabaseSource(const std::string& uri) {
  InputSource s;
  s.path = RedactPostgresUri(uri);
  s.id = s.path;
  s.uri = uri;
  s.format = InputFormat::kDatabase;
  return s;
}

std::vector<InputSource> ExpandInputs(const std::vector<std::string>& paths, InputFormat format) {
  std::vector<InputSource> sources;
  for (const std::string& path : paths) {
    if (IsPostgresUri(path)) {
      if (paths.size() != 1) {
        throw ConfigError("a database input (" + RedactPostgresUri(path) +
                          ") must be the only input");
      }
      sources.push_back(DatabaseSource(path));
      continue;
    }
    if (IsDirectory(path)) {
      AppendFolder(path, sources);
      continue;
    }
    InputSource s;
    s.path = path;
    s.id = path;
    s.gzip = ByteStream::IsGzipFile(path);
    s.format = format == InputFormat::kAuto ? FormatFromExtension(path) : format;
    s.size_bytes = FileSize(path);
    s.index = static_cast<int64_t>(sources.size());
    sources.push_back(std::move(s));
  }
  return sources;
}

std::unique_ptr<DocumentReader> OpenReader(const InputSource& source, const WorkItem& item,
                                           const ReaderOptions& options) {
  if (source.gzip && (item.begin != 0 || item.end != INT64_MAX)) {
    throw ConfigError(source.path + ": a gzip file can only be read whole");
  }
  switch (source.format) {
    case InputFormat::kJsonl:
      return OpenJsonlReader(source, item, options);
    case InputFormat::kCsv:
      return OpenCsvReader(source, item, options);
    case InputFormat::kText:
      return OpenTextReader(source, item, options);
    case InputFormat::kDatabase:
      return OpenDatabaseReader(source, item, options);
    case InputFormat::kAuto:
      break;
  }
  throw ConfigError(source.path + ": input format not resolved (use ExpandInputs)");
}

std::unique_ptr<DocumentReader> OpenReader(const std::vector<InputSource>& sources,
                                           const std::vector<WorkItem>& items,
                                           const ReaderOptions& options) {
  return std::make_unique<ChainReader>(sources, items, options);
}

}  // namespace ntm
