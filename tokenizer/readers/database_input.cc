#include "tokenizer/readers/database_input.h"

#include <cstring>
#include <regex>

#include "libvi/base/errors.h"
#include "tokenizer/readers/postgres_connection.h"
#include "tokenizer/readers/readers.h"

namespace ntm {
namespace {

bool IsIdentifier(const std::string& name) {
  return !name.empty() && name.size() <= 127 && name.find('\0') == std::string::npos;
}

// "2026-12-01", "2026-12-01 02:30", "2026-12-01T02:30:00".
bool IsIsoDate(const std::string& text) {
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)");
  return text.empty() || std::regex_match(text, kDate);
}

// Length-prefixed strings, for one broadcast.
std::vector<char> Pack(const std::vector<std::string>& strings) {
  std::vector<char> bytes;
  for (const std::string& s : strings) {
    const uint64_t n = s.size();
    const char* p = reinterpret_cast<const char*>(&n);
    bytes.insert(bytes.end(), p, p + sizeof n);
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  return bytes;
}

std::vector<std::string> Unpack(const std::vector<char>& bytes) {
  std::vector<std::string> strings;
  for (size_t at = 0; at + sizeof(uint64_t) <= bytes.size();) {
    uint64_t n = 0;
    std::memcpy(&n, bytes.data() + at, sizeof n);
    at += sizeof n;
    strings.emplace_back(bytes.data() + at, n);
    at += n;
  }
  return strings;
}

// Refuses a database whose notes cannot be read as UTF-8 without guessing.
void CheckEncoding(const PgConnection& connection) {
  const std::string encoding = connection.ServerEncoding();
  if (encoding != "UTF8") {
    throw InputError(connection.display_name() + ": the database encoding is " + encoding +
                     ", not UTF8: ntm reads notes from UTF8 databases only");
  }
}

const char* kBeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// Fails early, naming the table or column, if the source lacks one.
void CheckColumns(PgConnection& connection, const DatabaseOptions& o) {
  const bool dated = !o.since.empty() || !o.until.empty();
  std::string sql = "SELECT " + connection.QuoteIdentifier(o.id_column) + ", " +
                    connection.QuoteIdentifier(o.text_column);
  if (dated) sql += ", " + connection.QuoteIdentifier(o.date_column);
  connection.Exec(sql + " FROM " + DatabaseFromClause(connection, o) + " LIMIT 0",
                  "checking the columns");
}

// The lowest id of each of (at most) `shares` shares of equal row count.
std::vector<std::string> ShareBounds(PgConnection& connection, const DatabaseOptions& o,
                                     int shares) {
  std::vector<std::string> params = {std::to_string(shares)};
  const std::string id = connection.QuoteIdentifier(o.id_column);
  const std::string where = DatabaseDateFilter(connection, o, params);
  const std::string sql = "SELECT min(k)::text FROM (SELECT " + id +
                          " AS k, ntile($1::int) OVER (ORDER BY " + id + ") AS share FROM " +
                          DatabaseFromClause(connection, o) + where +
                          ") AS s WHERE k IS NOT NULL GROUP BY share ORDER BY share";
  std::vector<std::optional<std::string>> bound(params.begin(), params.end());
  const PgRows rows = connection.Exec(sql, bound, "splitting the rows over ranks");
  std::vector<std::string> bounds;
  for (int64_t r = 0; r < rows.size(); ++r) bounds.emplace_back(rows.value(r, 0));
  return bounds;
}

// Rank 0: the transaction whose snapshot every rank reads, and the bounds.
std::vector<std::string> ExportSnapshot(PgConnection& connection, const DatabaseOptions& o,
                                        int shares) {
  connection.Exec(kBeginSnapshot, "starting the read transaction");
  const PgRows snapshot = connection.Exec("SELECT pg_export_snapshot()", "exporting the snapshot");
  CheckColumns(connection, o);
  std::vector<std::string> packed = {std::string(snapshot.value(0, 0))};
  for (std::string& b : ShareBounds(connection, o, shares)) packed.push_back(std::move(b));
  return packed;
}

void ImportSnapshot(PgConnection& connection, const std::string& snapshot) {
  connection.Exec(kBeginSnapshot, "starting the read transaction");
  connection.Exec("SET TRANSACTION SNAPSHOT " + connection.QuoteLiteral(snapshot),
                  "importing rank 0's snapshot");
}

std::shared_ptr<DatabaseInput> OpenOne(Communicator& comm, const InputSource& source,
                                       const DatabaseOptions& o) {
  std::unique_ptr<PgConnection> connection;
  std::vector<char> shared;
  if (comm.is_root()) {
    connection = PgConnection::Connect(source.uri, o.connect_timeout_seconds);
    CheckEncoding(*connection);
    shared = Pack(ExportSnapshot(*connection, o, comm.size()));
  }
  comm.Broadcast(shared, 0);
  std::vector<std::string> strings = Unpack(shared);
  if (!comm.is_root()) {
    connection = PgConnection::Connect(source.uri, o.connect_timeout_seconds);
    CheckEncoding(*connection);
    ImportSnapshot(*connection, strings.at(0));
  }
  // Rank 0 keeps the exporting transaction open until every rank has imported it.
  comm.Barrier();
  strings.erase(strings.begin());
  return std::make_shared<DatabaseInput>(std::move(connection), o, std::move(strings));
}

}  // namespace

void ValidateDatabaseOptions(const DatabaseOptions& o) {
  std::string problems;
  auto check = [&problems](bool ok, const char* message) {
    if (!ok) problems += std::string(problems.empty() ? "" : "; ") + message;
  };
  check(IsIdentifier(o.table), "table must be a name of 1 to 127 bytes");
  check(IsIdentifier(o.id_column), "id_column must be a name of 1 to 127 bytes");
  check(IsIdentifier(o.text_column), "text_column must be a name of 1 to 127 bytes");
  check(IsIdentifier(o.date_column), "date_column must be a name of 1 to 127 bytes");
  check(o.id_column != o.text_column, "id_column and text_column must differ");
  check(IsIsoDate(o.since), "since must be empty or a date YYYY-MM-DD[ HH:MM[:SS]]");
  check(IsIsoDate(o.until), "until must be empty or a date YYYY-MM-DD[ HH:MM[:SS]]");
  check(o.fetch_rows >= 1, "fetch_rows must be at least 1");
  check(o.connect_timeout_seconds >= 1, "connect_timeout_seconds must be at least 1");
  if (!problems.empty()) throw ConfigError("database options: " + problems);
}

DatabaseInput::DatabaseInput(std::unique_ptr<PgConnection> connection, DatabaseOptions options,
                             std::vector<std::string> bounds)
    : connection_(std::move(connection)),
      options_(std::move(options)),
      bounds_(std::move(bounds)) {}

DatabaseInput::~DatabaseInput() = default;

// The keyset condition of share `index`. Rows with a NULL id (a query may
// return them) go to the last share, where ORDER BY puts them last, so they
// are counted as missing_id as in a JSONL export.
std::string DatabaseInput::ShareCondition(size_t index, const std::string& id,
                                          std::vector<std::string>& params) const {
  const bool last = index + 1 >= bounds_.size();
  if (bounds_.empty()) return index == 0 ? id + " IS NULL" : "false";
  if (index >= bounds_.size()) return "false";
  params.push_back(bounds_[index]);
  std::string condition = id + " >= $" + std::to_string(params.size());
  if (last) return "(" + condition + " OR " + id + " IS NULL)";
  params.push_back(bounds_[index + 1]);
  return condition + " AND " + id + " < $" + std::to_string(params.size());
}

std::string DatabaseInput::ShareQuery(int share, std::vector<std::string>& params) const {
  params.clear();
  const PgConnection& c = *connection_;
  const std::string id = c.QuoteIdentifier(options_.id_column);
  std::string where = DatabaseDateFilter(c, options_, params);
  where += (where.empty() ? " WHERE " : " AND ") +
           ShareCondition(static_cast<size_t>(share), id, params);
  // Output names differ from the id column's, so ORDER BY sorts by the
  // column's own type (numbers as numbers), not by its text form.
  return "SELECT " + id + "::text AS ntm_id, " + c.QuoteIdentifier(options_.text_column) +
         "::text AS ntm_text FROM " + DatabaseFromClause(c, options_) + where + " ORDER BY " + id;
}

std::string DatabaseInputName(const std::string& uri, const DatabaseOptions& options) {
  return RedactPostgresUri(uri) + (options.query.empty() ? " table " + options.table : " query");
}

std::string DatabaseFromClause(const PgConnection& connection, const DatabaseOptions& options) {
  if (!options.query.empty()) return "(" + options.query + ") AS ntm_source";
  return connection.QuoteIdentifier(options.table);
}

std::string DatabaseDateFilter(const PgConnection& connection, const DatabaseOptions& options,
                               std::vector<std::string>& params) {
  std::string where;
  const std::string date = connection.QuoteIdentifier(options.date_column);
  auto add = [&](const std::string& value, const char* op) {
    if (value.empty()) return;
    params.push_back(value);
    where += (where.empty() ? " WHERE " : " AND ") + date + op + "$" +
             std::to_string(params.size()) + "::timestamp";
  };
  add(options.since, " >= ");
  add(options.until, " < ");
  return where;
}

void OpenDatabaseInputs(Communicator& comm, std::vector<InputSource>& sources,
                        const ReaderOptions& options) {
  for (InputSource& source : sources) {
    if (source.format != InputFormat::kDatabase) continue;
    ValidateDatabaseOptions(options.database);
    source.database = OpenOne(comm, source, options.database);
    source.path = DatabaseInputName(source.uri, options.database);
  }
}

}  // namespace ntm
