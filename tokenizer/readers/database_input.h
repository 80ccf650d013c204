// Notes read straight from a PostgreSQL warehouse (by default the OMOP CDM
// `note` table): an input given as a postgresql:// URI.
//
// How the ranks split the rows (OpenDatabaseInputs, collective):
//  1. rank 0 connects, opens a read-only REPEATABLE READ transaction and
//     exports its snapshot (pg_export_snapshot); it computes the keyset
//     bounds of P shares of equal row count on the id column (ntile over the
//     ids only, ordered by id) and broadcasts snapshot and bounds;
//  2. every other rank connects and imports that snapshot, so all ranks, and
//     every pass a stage makes over its share, see the same rows however the
//     table changes meanwhile;
//  3. rank r reads the rows with bounds[r] <= id < bounds[r+1] in id order
//     through a server-side cursor (FETCH of fetch_rows rows at a time:
//     memory bounded by one batch).
// So each rank's documents are one contiguous run of the id order and the
// corpus is the one a JSONL export in id order gives, for any P.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libvi/base/communicator.h"

namespace ntm {

class PgConnection;

// What to read from the database (the `database` config section).
struct DatabaseOptions {
  std::string table = "note";             // table (or schema.table) to read
  std::string query;                      // a query instead of the table ("": the table)
  std::string id_column = "note_id";      // column with the document id
  std::string text_column = "note_text";  // column with the note text
  std::string date_column = "note_date";  // column `since` and `until` restrict
  std::string since;                      // rows with date >= since ("": no bound)
  std::string until;                      // rows with date < until ("": no bound)
  int64_t fetch_rows = 1000;              // rows per FETCH from the cursor
  int connect_timeout_seconds = 10;       // libpq connect_timeout
};

// Checks the options; ConfigError listing every violated constraint.
void ValidateDatabaseOptions(const DatabaseOptions& options);

// One rank's view of a database input: its connection inside the shared
// snapshot, and the bounds of every share. Lives as long as its InputSource.
class DatabaseInput {
 public:
  DatabaseInput(std::unique_ptr<PgConnection> connection, DatabaseOptions options,
                std::vector<std::string> bounds);
  ~DatabaseInput();
  // The connection (one reader at a time uses it).
  PgConnection& connection() { return *connection_; }
  // The statement selecting (id, text) of share `share`, its parameters
  // filled into `params`.
  std::string ShareQuery(int share, std::vector<std::string>& params) const;
  // Options it was opened with.
  const DatabaseOptions& options() const { return options_; }
  // A fresh cursor name for this connection.
  std::string NextCursorName() { return "ntm_share_" + std::to_string(cursors_++); }

 private:
  std::string ShareCondition(size_t index, const std::string& id,
                             std::vector<std::string>& params) const;

  std::unique_ptr<PgConnection> connection_;
  DatabaseOptions options_;
  std::vector<std::string> bounds_;  // lower bound of each non-empty share, ascending
  int cursors_ = 0;
};

// The text shown for a database input: the URI without password, and the
// table (or "query").
std::string DatabaseInputName(const std::string& uri, const DatabaseOptions& options);

// The FROM clause of the source: the quoted table, or the query as a subquery.
std::string DatabaseFromClause(const PgConnection& connection, const DatabaseOptions& options);

// " WHERE date >= $n::timestamp AND ..." for since/until ("" without them):
// appends the values to `params`, numbering them by their position there.
std::string DatabaseDateFilter(const PgConnection& connection, const DatabaseOptions& options,
                               std::vector<std::string>& params);

}  // namespace ntm
