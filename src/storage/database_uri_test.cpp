#include "storage/database_uri.h"

#include <gtest/gtest.h>

namespace mxauth::storage {
namespace {

TEST(DatabaseUriTest, ParsesARelativeSqlitePath) {
  auto uri = parseDatabaseUri("sqlite://./data/mxauth.db");

  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(std::get<SqliteUri>(*uri).path, "./data/mxauth.db");
}

TEST(DatabaseUriTest, ParsesAnAbsoluteSqlitePath) {
  auto uri = parseDatabaseUri("sqlite:///var/lib/mxauth/mxauth.db");

  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(std::get<SqliteUri>(*uri).path, "/var/lib/mxauth/mxauth.db");
}

TEST(DatabaseUriTest, KeepsAPostgresUriWholeForLibpq) {
  for (std::string_view text : {"postgresql://mxauth:secret@db:5432/mxauth?sslmode=require",
                                "postgres://localhost/mxauth"}) {
    auto uri = parseDatabaseUri(text);

    ASSERT_TRUE(uri.has_value()) << text;
    EXPECT_EQ(std::get<PostgresUri>(*uri).uri, text);
  }
}

TEST(DatabaseUriTest, RejectsUnknownSchemesWithAMessageThatShowsTheAcceptedForms) {
  for (std::string_view text :
       {"mysql://localhost/db", "", "./data/mxauth.db", "SQLITE://x.db", "sqlite:x.db"}) {
    auto uri = parseDatabaseUri(text);

    ASSERT_FALSE(uri.has_value()) << text;
    EXPECT_NE(uri.error().message.find("sqlite://"), std::string::npos);
  }
}

TEST(DatabaseUriTest, RejectsSqliteUrisWithoutAFile) {
  EXPECT_FALSE(parseDatabaseUri("sqlite://").has_value());
  EXPECT_FALSE(parseDatabaseUri("sqlite://./data/").has_value());
  EXPECT_FALSE(parseDatabaseUri("sqlite://x.db?mode=ro").has_value());
}

TEST(DatabaseUriTest, RejectsAnEmptyPostgresUri) {
  EXPECT_FALSE(parseDatabaseUri("postgresql://").has_value());
}

TEST(DatabaseUriTest, RejectsControlCharactersWithoutEchoingTheUri) {
  auto uri = parseDatabaseUri("postgresql://u:hunter2@h/db\n");

  ASSERT_FALSE(uri.has_value());
  EXPECT_EQ(uri.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::storage
