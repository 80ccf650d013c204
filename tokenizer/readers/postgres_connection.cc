#include "tokenizer/readers/postgres_connection.h"

#include <libpq-fe.h>

#include <algorithm>

#include "libvi/base/errors.h"

namespace ntm {

struct PgRows::Impl {
  PGresult* result = nullptr;
  ~Impl() { PQclear(result); }
};

PgRows::PgRows() : impl_(std::make_unique<Impl>()) {}
PgRows::~PgRows() = default;
PgRows::PgRows(PgRows&&) noexcept = default;
PgRows& PgRows::operator=(PgRows&&) noexcept = default;

int64_t PgRows::size() const { return impl_->result ? PQntuples(impl_->result) : 0; }

bool PgRows::is_null(int64_t row, int column) const {
  return PQgetisnull(impl_->result, static_cast<int>(row), column) != 0;
}

std::string_view PgRows::value(int64_t row, int column) const {
  const int r = static_cast<int>(row);
  return {PQgetvalue(impl_->result, r, column),
          static_cast<size_t>(PQgetlength(impl_->result, r, column))};
}

struct PgConnection::Impl {
  PGconn* conn = nullptr;
  ~Impl() { PQfinish(conn); }
};

namespace {

std::string FirstLine(const char* text) {
  std::string line = text ? text : "";
  const size_t end = line.find('\n');
  if (end != std::string::npos) line.resize(end);
  return line.empty() ? "no message from libpq" : line;
}

std::string Field(const PGresult* result, int field) {
  const char* value = PQresultErrorField(result, field);
  return value ? value : "";
}

// The typed error for a failed statement (see the top of the header).
[[noreturn]] void ThrowStatementError(const PGresult* result, PGconn* conn,
                                      const std::string& where) {
  const std::string state = Field(result, PG_DIAG_SQLSTATE);
  const std::string primary = Field(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string cls = state.substr(0, 2);
  const std::string tail = " (SQLSTATE " + state + ")";
  if (state.empty() || PQstatus(conn) == CONNECTION_BAD) {
    throw IoError(where + ": connection lost: " + FirstLine(PQerrorMessage(conn)));
  }
  if (state == "42P01" || state == "42703" || state == "3F000" || state == "42501") {
    throw MissingInputError(where + ": " + primary + tail);
  }
  if (cls == "42") throw ConfigError(where + ": " + primary + tail);
  if (cls == "22" || cls == "23") throw InputError(where + ": the data was rejected" + tail);
  if (cls == "40" || cls == "55") throw TemporaryError(where + ": " + primary + tail);
  if (cls == "08" || cls == "53" || cls == "57" || cls == "58") {
    throw IoError(where + ": " + primary + tail);
  }
  throw IoError(where + ": statement failed" + tail);
}

bool IsOk(ExecStatusType status) {
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN;
}

}  // namespace

PgConnection::PgConnection(std::unique_ptr<Impl> impl, std::string display)
    : impl_(std::move(impl)), display_(std::move(display)) {}

PgConnection::~PgConnection() = default;

std::unique_ptr<PgConnection> PgConnection::Connect(const std::string& uri, int timeout_seconds) {
  const std::string display = RedactPostgresUri(uri);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &parse_error);
  if (!parsed) {
    std::string why = FirstLine(parse_error);
    why.resize(std::min(why.find(" in URI"), why.size()));  // libpq quotes the URI, password too
    PQfreemem(parse_error);
    throw ConfigError(display + ": not a valid PostgreSQL URI: " + why);
  }
  bool password = PostgresUriHasPassword(uri);
  for (const PQconninfoOption* o = parsed; o->keyword; ++o) {
    password = password || (std::string_view(o->keyword) == "password" && o->val && *o->val);
  }
  PQconninfoFree(parsed);
  if (password) {
    throw ConfigError(display +
                      ": the URI holds a password; put it in a password file "
                      "(~/.pgpass or PGPASSFILE) instead");
  }
  const std::string timeout = std::to_string(timeout_seconds);
  const char* keys[] = {"dbname", "client_encoding", "application_name", "connect_timeout",
                        nullptr};
  const char* values[] = {uri.c_str(), "UTF8", "ntm", timeout.c_str(), nullptr};
  auto impl = std::make_unique<Impl>();
  impl->conn = PQconnectdbParams(keys, values, 1);
  if (!impl->conn) throw IoError(display + ": out of memory opening a connection");
  if (PQstatus(impl->conn) != CONNECTION_OK) {
    throw MissingInputError(display + ": cannot connect: " + FirstLine(PQerrorMessage(impl->conn)));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(std::move(impl), display));
}

PgRows PgConnection::Exec(const std::string& sql,
                          const std::vector<std::optional<std::string>>& params,
                          std::string_view what) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgRows rows;
  rows.impl_->result = PQexecParams(impl_->conn, sql.c_str(), static_cast<int>(values.size()),
                                    nullptr, values.data(), nullptr, nullptr, 0);
  if (!IsOk(PQresultStatus(rows.impl_->result))) {
    ThrowStatementError(rows.impl_->result, impl_->conn, display_ + ": " + std::string(what));
  }
  return rows;
}

void PgConnection::BeginCopy(const std::string& sql, std::string_view what) {
  copy_what_ = display_ + ": " + std::string(what);
  Exec(sql, what);
}

void PgConnection::PutCopyData(std::string_view rows) {
  if (PQputCopyData(impl_->conn, rows.data(), static_cast<int>(rows.size())) != 1) {
    throw IoError(copy_what_ + ": " + FirstLine(PQerrorMessage(impl_->conn)));
  }
}

void PgConnection::EndCopy() {
  if (PQputCopyEnd(impl_->conn, nullptr) != 1) {
    throw IoError(copy_what_ + ": " + FirstLine(PQerrorMessage(impl_->conn)));
  }
  PgRows rows;
  while (PGresult* result = PQgetResult(impl_->conn)) {
    PQclear(rows.impl_->result);
    rows.impl_->result = result;
    if (!IsOk(PQresultStatus(result))) ThrowStatementError(result, impl_->conn, copy_what_);
  }
}

std::string PgConnection::ServerEncoding() const {
  const char* encoding = PQparameterStatus(impl_->conn, "server_encoding");
  return encoding ? encoding : "";
}

std::string PgConnection::QuoteIdentifier(std::string_view name) const {
  std::string quoted;
  for (size_t start = 0;;) {
    const size_t dot = name.find('.', start);
    const std::string_view part = name.substr(start, dot - start);
    char* escaped = PQescapeIdentifier(impl_->conn, part.data(), part.size());
    if (!escaped) throw ConfigError("cannot quote the identifier '" + std::string(name) + "'");
    if (!quoted.empty()) quoted += '.';
    quoted.append(escaped);
    PQfreemem(escaped);
    if (dot == std::string_view::npos) return quoted;
    start = dot + 1;
  }
}

std::string PgConnection::QuoteLiteral(std::string_view text) const {
  char* escaped = PQescapeLiteral(impl_->conn, text.data(), text.size());
  if (!escaped) throw ConfigError("cannot quote an SQL literal");
  std::string quoted(escaped);
  PQfreemem(escaped);
  return quoted;
}

bool IsPostgresUri(std::string_view input) {
  return input.starts_with("postgresql://") || input.starts_with("postgres://");
}

namespace {

// [begin, end) of the user-info part ("user:secret") of a URI, or npos.
std::pair<size_t, size_t> UserInfo(std::string_view uri) {
  const size_t begin = uri.find("://");
  if (begin == std::string_view::npos) return {std::string_view::npos, 0};
  const size_t host_end = uri.find_first_of("/?", begin + 3);
  const size_t at = uri.rfind('@', host_end == std::string_view::npos ? uri.size() : host_end);
  if (at == std::string_view::npos || at < begin + 3) return {std::string_view::npos, 0};
  return {begin + 3, at};
}

// The query string with every password=... parameter removed.
std::string WithoutPasswordParameter(std::string_view query) {
  std::string out;
  for (size_t start = 0; start <= query.size();) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    if (!param.starts_with("password=") && !param.empty()) {
      if (!out.empty()) out += '&';
      out.append(param);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string RedactPostgresUri(std::string_view uri) {
  std::string out(uri);
  const size_t q = out.find('?');
  if (q != std::string::npos) {
    const std::string query = WithoutPasswordParameter(std::string_view(out).substr(q + 1));
    out = out.substr(0, q) + (query.empty() ? "" : "?" + query);
  }
  const auto [begin, at] = UserInfo(out);
  if (begin == std::string::npos) return out;
  const size_t colon = out.find(':', begin);
  if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
  return out;
}

bool PostgresUriHasPassword(std::string_view uri) {
  if (RedactPostgresUri(uri) != uri) return true;
  const size_t q = uri.find('?');
  return q != std::string_view::npos && uri.find("password=", q) != std::string_view::npos;
}

}  // namespace ntm
