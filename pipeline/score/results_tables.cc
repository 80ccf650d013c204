#include "pipeline/score/results_tables.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <optional>

#include "libvi/base/errors.h"
#include "pipeline/io/checksum.h"
#include "pipeline/io/npy.h"
#include "pipeline/io/vocab_file.h"
#include "tokenizer/readers/postgres_connection.h"

namespace ntm {
namespace {

// COPY buffers are sent in blocks of about this many bytes.
constexpr size_t kCopyBlockBytes = 1 << 20;

struct TableNames {
  std::string note_topics, topics, runs;
};

TableNames Names(const PgConnection& c, const std::string& prefix) {
  return {c.QuoteIdentifier(prefix + "note_topics"), c.QuoteIdentifier(prefix + "topics"),
          c.QuoteIdentifier(prefix + "runs")};
}

void CreateTables(PgConnection& c, const TableNames& t) {
  c.Exec("CREATE TABLE IF NOT EXISTS " + t.note_topics +
             " (model_id text NOT NULL, method text NOT NULL, note_id text NOT NULL,"
             " text_checksum text NOT NULL, topics real[] NOT NULL, top_topic integer NOT NULL,"
             " elbo double precision, run_id text NOT NULL,"
             " PRIMARY KEY (model_id, method, note_id, text_checksum))",
         "creating the note topics table");
  c.Exec("CREATE TABLE IF NOT EXISTS " + t.topics +
             " (model_id text NOT NULL, topic integer NOT NULL, rank integer NOT NULL,"
             " term text NOT NULL, weight real NOT NULL, PRIMARY KEY (model_id, topic, rank))",
         "creating the topics table");
  c.Exec("CREATE TABLE IF NOT EXISTS " + t.runs +
             " (model_id text NOT NULL, run_id text NOT NULL, started_at timestamptz,"
             " finished_at timestamptz, wall_seconds double precision, documents bigint,"
             " methods text[], config text, timings jsonb, drift_verdict text,"
             " PRIMARY KEY (model_id, run_id))",
         "creating the runs table");
}

// Streams COPY rows, a block at a time.
class CopyStream {
 public:
  explicit CopyStream(PgConnection& c) : c_(c) {}
  std::string& row() { return buffer_; }
  void EndRow() {
    buffer_ += '\n';
    if (buffer_.size() >= kCopyBlockBytes) Flush();
  }
  void Finish() {
    Flush();
    c_.EndCopy();
  }

 private:
  void Flush() {
    if (!buffer_.empty()) c_.PutCopyData(buffer_);
    buffer_.clear();
  }
  PgConnection& c_;
  std::string buffer_;
};

// Copies `temp` (a fresh temporary copy of `table`) into `table`, skipping
// rows already there; returns the rows inserted.
int64_t MergeInto(PgConnection& c, const std::string& temp, const std::string& table,
                  const char* what) {
  const PgRows rows = c.Exec("WITH added AS (INSERT INTO " + table + " SELECT * FROM " + temp +
                                 " ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM added",
                             what);
  return std::stoll(std::string(rows.value(0, 0)));
}

void StartTempCopy(PgConnection& c, const std::string& temp, const std::string& table,
                   const char* what) {
  c.Exec("CREATE TEMPORARY TABLE " + temp + " (LIKE " + table + ") ON COMMIT DROP", what);
  c.BeginCopy("COPY " + temp + " FROM STDIN", what);
}

std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw MissingInputError(path.string() + ": cannot open");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The text checksum column of scored.tsv ("<id hash>\t<text hash>").
std::string TextChecksum(const std::string& ledger_line) {
  const size_t tab = ledger_line.find('\t');
  return tab == std::string::npos ? ledger_line : ledger_line.substr(tab + 1);
}

void AppendTheta(std::string& row, const float* theta, int64_t k) {
  row += '{';
  char number[32];
  for (int64_t t = 0; t < k; ++t) {
    std::snprintf(number, sizeof number, "%s%.9g", t ? "," : "", theta[t]);
    row += number;
  }
  row += '}';
}

void CopyMethod(CopyStream& copy, const ResultsRun& run, const std::string& model_id,
                const std::string& method, const std::vector<std::string>& ids,
                const std::vector<std::string>& ledger) {
  const NpyMatrix theta = ReadNpyMatrix(run.scores_dir / ("theta-" + method + ".npy"));
  const std::vector<double> elbo =
      ReadNpyFloat64Vector(run.scores_dir / ("elbo-" + method + ".npy"));
  if (theta.rows != std::ssize(ids) || std::ssize(elbo) != theta.rows) {
    throw InputError(run.scores_dir.string() + ": theta-" + method +
                     ".npy, elbo and doc_ids.txt disagree on the document count");
  }
  const std::string prefix = CopyField(model_id) + "\t" + CopyField(method) + "\t";
  for (int64_t d = 0; d < theta.rows; ++d) {
    const float* row_theta = theta.values.data() + d * theta.cols;
    const int64_t top = std::max_element(row_theta, row_theta + theta.cols) - row_theta;
    std::string& row = copy.row();
    row += prefix + CopyField(ids[d]) + "\t" + TextChecksum(ledger[d]) + "\t";
    AppendTheta(row, row_theta, theta.cols);
    char tail[64];
    std::snprintf(tail, sizeof tail, "\t%lld\t%.17g\t", static_cast<long long>(top), elbo[d]);
    row += tail + CopyField(run.run_id);
    copy.EndRow();
  }
}

int64_t WriteNoteTopics(PgConnection& c, const TableNames& t, const ResultsRun& run,
                        const std::string& model_id) {
  const std::vector<std::string> ids = ReadLines(run.scores_dir / "doc_ids.txt");
  const std::vector<std::string> ledger = ReadLines(run.scores_dir / "scored.tsv");
  if (ids.size() != ledger.size()) {
    throw InputError(run.scores_dir.string() + ": doc_ids.txt and scored.tsv disagree");
  }
  StartTempCopy(c, "ntm_incoming_note_topics", t.note_topics, "copying the note topics");
  CopyStream copy(c);
  for (const std::string& method : run.methods)
    CopyMethod(copy, run, model_id, method, ids, ledger);
  copy.Finish();
  return MergeInto(c, "ntm_incoming_note_topics", t.note_topics, "adding the note topics");
}

// The readable term of each vocabulary id.
std::vector<std::string> Terms(const std::filesystem::path& model_dir) {
  VocabFile vocab = ReadVocabFile(model_dir / "vocab.tsv");
  return vocab.words.empty() ? vocab.pieces : vocab.words;
}

int64_t WriteTopics(PgConnection& c, const TableNames& t, const ResultsRun& run,
                    const std::string& model_id, int top_terms) {
  const NpyMatrix topics = ReadNpyMatrix(run.model_dir / "topics.npy");
  const std::vector<std::string> terms = Terms(run.model_dir);
  if (topics.cols != std::ssize(terms)) {
    throw InputError((run.model_dir / "topics.npy").string() + ": not one column per term");
  }
  StartTempCopy(c, "ntm_incoming_topics", t.topics, "copying the topics");
  CopyStream copy(c);
  std::vector<int64_t> order(static_cast<size_t>(topics.cols));
  const int64_t n = std::min<int64_t>(top_terms, topics.cols);
  for (int64_t k = 0; k < topics.rows; ++k) {
    const float* beta = topics.values.data() + k * topics.cols;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + n, order.end(), [beta](int64_t a, int64_t b) {
      return beta[a] > beta[b] || (beta[a] == beta[b] && a < b);
    });
    for (int64_t r = 0; r < n; ++r) {
      char fields[64];
      std::snprintf(fields, sizeof fields, "\t%lld\t%lld\t", static_cast<long long>(k),
                    static_cast<long long>(r + 1));
      std::string& row = copy.row();
      row += CopyField(model_id) + fields + CopyField(terms[order[r]]);
      std::snprintf(fields, sizeof fields, "\t%.9g", beta[order[r]]);
      row += fields;
      copy.EndRow();
    }
  }
  copy.Finish();
  return MergeInto(c, "ntm_incoming_topics", t.topics, "adding the topics");
}

std::string ReadText(const std::filesystem::path& path) {
  std::string text;
  for (const std::string& line : ReadLines(path)) text += line + "\n";
  return text;
}

std::string MethodsArray(const std::vector<std::string>& methods) {
  std::string array = "{";
  for (const std::string& m : methods) array += (array.size() > 1 ? "," : "") + m;
  return array + "}";
}

int64_t WriteRun(PgConnection& c, const TableNames& t, const ResultsRun& run,
                 const std::string& model_id, int64_t documents) {
  const std::string sql =
      "WITH added AS (INSERT INTO " + t.runs +
      " (model_id, run_id, started_at, finished_at, wall_seconds, documents, methods, config,"
      " timings, drift_verdict) VALUES ($1, $2, now() - $3::double precision * interval '1 second',"
      " now(), $3::double precision, $4::bigint, $5::text[], $6, $7::jsonb, $8)"
      " ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM added";
  const std::vector<std::optional<std::string>> params = {
      model_id,
      run.run_id,
      std::to_string(run.wall_seconds),
      std::to_string(documents),
      MethodsArray(run.methods),
      run.config_yaml,
      ReadText(run.scores_dir / "timings.json"),
      run.drift_verdict.empty() ? std::nullopt : std::optional<std::string>(run.drift_verdict)};
  const PgRows rows = c.Exec(sql, params, "adding the run");
  return std::stoll(std::string(rows.value(0, 0)));
}

}  // namespace

std::string CopyField(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string ModelId(const std::filesystem::path& model_dir) {
  return "xxh3:" + ChecksumHex(ChecksumFile(model_dir / "model.bin"));
}

ResultsWritten WriteResultsTables(const DatabaseConfig& config, const ResultsRun& run) {
  auto c = PgConnection::Connect(run.uri, config.connect_timeout_seconds);
  const TableNames t = Names(*c, config.results_prefix);
  const std::string model_id = ModelId(run.model_dir);
  c->Exec("BEGIN", "starting the results transaction");
  CreateTables(*c, t);
  ResultsWritten written;
  written.note_topics = WriteNoteTopics(*c, t, run, model_id);
  written.topics = WriteTopics(*c, t, run, model_id, config.topic_terms);
  const int64_t documents = std::ssize(ReadLines(run.scores_dir / "doc_ids.txt"));
  written.runs = WriteRun(*c, t, run, model_id, documents);
  c->Exec("COMMIT", "committing the results");
  return written;
}

}  // namespace ntm
