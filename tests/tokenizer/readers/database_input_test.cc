// The parts of the database input that need no server: URIs without their
// password, option checks, and a database input's share of the work. The
// reading itself runs against a real PostgreSQL in the db test
// (tests/pipeline/warehouse_db_test.sh).
#include "tokenizer/readers/database_input.h"

#include <gtest/gtest.h>

#include "libvi/base/errors.h"
#include "tokenizer/readers/postgres_connection.h"
#include "tokenizer/readers/readers.h"
#include "tokenizer/work_assignment.h"

namespace ntm {
namespace {

TEST(PostgresUriTest, TellsUrisFromPaths) {
  EXPECT_TRUE(IsPostgresUri("postgresql://u@h:5432/db"));
  EXPECT_TRUE(IsPostgresUri("postgres://h/db"));
  EXPECT_FALSE(IsPostgresUri("notes.jsonl"));
  EXPECT_FALSE(IsPostgresUri("/data/postgresql://x"));
}

TEST(PostgresUriTest, RedactsThePassword) {
  EXPECT_EQ(RedactPostgresUri("postgresql://u:secret@h:5432/db"), "postgresql://u@h:5432/db");
  EXPECT_EQ(RedactPostgresUri("postgresql://u@h/db?password=secret&sslmode=require"),
            "postgresql://u@h/db?sslmode=require");
  EXPECT_EQ(RedactPostgresUri("postgresql://u@h/db?password=x"), "postgresql://u@h/db");
  EXPECT_EQ(RedactPostgresUri("postgresql://u@h:5432/db"), "postgresql://u@h:5432/db");
  EXPECT_EQ(RedactPostgresUri("postgresql://h/db"), "postgresql://h/db");
}

TEST(PostgresUriTest, FindsAPassword) {
  EXPECT_TRUE(PostgresUriHasPassword("postgresql://u:secret@h/db"));
  EXPECT_TRUE(PostgresUriHasPassword("postgresql://u@h/db?sslmode=require&password=s"));
  EXPECT_FALSE(PostgresUriHasPassword("postgresql://u@h:5432/db"));
  EXPECT_FALSE(PostgresUriHasPassword("postgresql://[::1]:5432/db"));
}

TEST(PostgresUriTest, ConnectRefusesAPasswordAndNamesNoSecret) {
  try {
    PgConnection::Connect("postgresql://u:hunter2@127.0.0.1:1/db", 1);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("PGPASSFILE"), std::string::npos) << e.what();
  }
}

TEST(DatabaseOptionsTest, DefaultsReadTheOmopNoteTable) {
  const DatabaseOptions o;
  EXPECT_EQ(o.table, "note");
  EXPECT_EQ(o.id_column, "note_id");
  EXPECT_EQ(o.text_column, "note_text");
  EXPECT_NO_THROW(ValidateDatabaseOptions(o));
}

TEST(DatabaseOptionsTest, RejectsBadValues) {
  DatabaseOptions o;
  o.since = "yesterday";
  EXPECT_THROW(ValidateDatabaseOptions(o), ConfigError);
  o.since = "2026-12-01 02:30";
  EXPECT_NO_THROW(ValidateDatabaseOptions(o));
  o.text_column = o.id_column;
  EXPECT_THROW(ValidateDatabaseOptions(o), ConfigError);
  o = DatabaseOptions{};
  o.fetch_rows = 0;
  EXPECT_THROW(ValidateDatabaseOptions(o), ConfigError);
}

TEST(DatabaseInputTest, IsTheOnlyInputAndRankRReadsShareR) {
  EXPECT_THROW(ExpandInputs({"postgresql://h/db", "notes.jsonl"}), ConfigError);
  const auto sources = ExpandInputs({"postgresql://u:pw@h/db"});
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0].format, InputFormat::kDatabase);
  EXPECT_EQ(sources[0].path, "postgresql://u@h/db");
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(AssignWork(sources, r, 3), (std::vector<WorkItem>{{0, r, r + 1}}));
  }
  EXPECT_NO_THROW(CheckInputsReadable({"postgresql://h/db"}));
}

}  // namespace
}  // namespace ntm
