// A PostgreSQL connection for the warehouse input and the results tables.
// The only door to libpq: its types stay in postgres_connection.cc, so no
// other file sees <libpq-fe.h> (the layering test checks it).
//
// Safety: every value goes to the server as a bound parameter; identifiers
// from configuration are quoted with QuoteIdentifier (PQescapeIdentifier).
// Errors are ntm exceptions with one line naming the cause: the server's
// message only for conditions about objects and connections (which name
// tables, columns, hosts), never for data errors, so no note text can leak.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ntm {

// The rows of one query result. Values are text (libpq's text format).
class PgRows {
 public:
  PgRows();
  ~PgRows();
  PgRows(PgRows&&) noexcept;
  PgRows& operator=(PgRows&&) noexcept;
  // Number of rows.
  int64_t size() const;
  // True if the value of (row, column) is SQL NULL.
  bool is_null(int64_t row, int column) const;
  // The value of (row, column) as text; valid while this object lives.
  std::string_view value(int64_t row, int column) const;

  struct Impl;  // owns the PGresult

 private:
  friend class PgConnection;
  std::unique_ptr<Impl> impl_;
};

// One open connection (not shared between threads).
class PgConnection {
 public:
  // Connects to `uri` (libpq URI or conninfo; PGHOST, PGPASSFILE, ... apply),
  // with client_encoding UTF8 and application_name "ntm". ConfigError for a
  // URI libpq cannot parse or one that holds a password; MissingInputError
  // (exit 66) when the server cannot be reached or refuses the login.
  static std::unique_ptr<PgConnection> Connect(const std::string& uri, int timeout_seconds);
  ~PgConnection();

  // Runs `sql` with text parameters ($1, $2, ...; nullopt is NULL). `what`
  // names the step in messages ("reading table note").
  PgRows Exec(const std::string& sql, const std::vector<std::optional<std::string>>& params,
              std::string_view what);
  // The same without parameters.
  PgRows Exec(const std::string& sql, std::string_view what) { return Exec(sql, {}, what); }
  // Starts `COPY ... FROM STDIN`; then PutCopyData, then EndCopy.
  void BeginCopy(const std::string& sql, std::string_view what);
  // Sends a block of COPY text-format rows.
  void PutCopyData(std::string_view rows);
  // Ends the COPY; throws as Exec if the server rejected it.
  void EndCopy();
  // The server's encoding (e.g. "UTF8", "LATIN1", "SQL_ASCII").
  std::string ServerEncoding() const;
  // `name` quoted as an SQL identifier; "a.b" quotes each part ("a"."b").
  std::string QuoteIdentifier(std::string_view name) const;
  // `text` quoted as an SQL string literal (only where a statement takes no
  // parameters, e.g. SET TRANSACTION SNAPSHOT).
  std::string QuoteLiteral(std::string_view text) const;
  // The URI without a password, for messages.
  const std::string& display_name() const { return display_; }

 private:
  struct Impl;
  PgConnection(std::unique_ptr<Impl> impl, std::string display);
  std::unique_ptr<Impl> impl_;
  std::string display_;
  std::string copy_what_;
};

// True if `input` is a PostgreSQL URI (postgresql:// or postgres://).
bool IsPostgresUri(std::string_view input);

// `uri` with any password removed (user:secret@ -> user@, password=... dropped).
std::string RedactPostgresUri(std::string_view uri);

// True if `uri` carries a password (in the user part or as a parameter).
bool PostgresUriHasPassword(std::string_view uri);

}  // namespace ntm
