#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"
#include "storage/testing/test_database.h"

namespace mxauth::test {
namespace {

using storage::StorageErrorCode;

// A loopback port nothing listens on: bound to learn a free number, then
// closed again.
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(PostgresAvailabilityTest, OpeningAgainstAClosedPortAnswersUnavailableNamingTheServer) {
  int port = closedPort();
  ASSERT_NE(port, 0);
  storage::postgres::PostgresOptions options;
  options.uri = "postgresql://mxauth:not-shown@127.0.0.1:" + std::to_string(port) + "/mxauth";

  auto database = storage::postgres::openDatabase(options);

  ASSERT_FALSE(database.has_value());
  EXPECT_EQ(database.error().code, StorageErrorCode::Unavailable);
  EXPECT_NE(database.error().detail.find("127.0.0.1"), std::string::npos)
      << database.error().detail;
  EXPECT_NE(database.error().detail.find(std::to_string(port)), std::string::npos);
  EXPECT_EQ(database.error().detail.find("not-shown"), std::string::npos);
  EXPECT_EQ(database.error().detail.find('\n'), std::string::npos);
}

class SqliteAvailabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TestDatabase::create(Backend::Sqlite);
    ASSERT_TRUE(created.has_value());
    scratch_ = std::move(*created);
    directory_ = std::filesystem::path(scratch_->location()).parent_path();
  }

  std::unique_ptr<TestDatabase> scratch_;
  std::filesystem::path directory_;
};

TEST_F(SqliteAvailabilityTest, CreatesTheMissingParentDirectoriesOfTheFile) {
  storage::sqlite::SqliteOptions options;
  options.path = (directory_ / "nested" / "deeper" / "mxauth.db").string();

  auto database = storage::sqlite::openDatabase(options);

  ASSERT_TRUE(database.has_value()) << database.error().detail;
  EXPECT_TRUE(std::filesystem::exists(options.path));
}

TEST_F(SqliteAvailabilityTest, AnUnusablePathGivesAClearErrorNamingIt) {
  // A directory that cannot be created, even by root: its parent is a file.
  std::filesystem::path blocker = directory_ / "a-file";
  std::ofstream(blocker) << "not a directory";
  storage::sqlite::SqliteOptions options;
  options.path = (blocker / "data" / "mxauth.db").string();

  auto database = storage::sqlite::openDatabase(options);

  ASSERT_FALSE(database.has_value());
  EXPECT_EQ(database.error().code, StorageErrorCode::Unavailable);
  EXPECT_NE(database.error().detail.find(options.path), std::string::npos);
}

TEST_F(SqliteAvailabilityTest, AFileThatIsNotADatabaseGivesAClearError) {
  std::filesystem::path garbage = directory_ / "garbage.db";
  std::ofstream(garbage) << std::string(4096, 'x');
  storage::sqlite::SqliteOptions options;
  options.path = garbage.string();

  auto database = storage::sqlite::openDatabase(options);

  ASSERT_FALSE(database.has_value());
  EXPECT_NE(database.error().detail.find(options.path), std::string::npos);
}

TEST(TestDatabaseTest, ReplacesTheDatabaseNameInAPostgresUri) {
  EXPECT_EQ(withDatabaseName("postgresql://u@127.0.0.1:5432/postgres", "t1"),
            "postgresql://u@127.0.0.1:5432/t1");
  EXPECT_EQ(withDatabaseName("postgresql://u@h:1/postgres?sslmode=disable", "t1"),
            "postgresql://u@h:1/t1?sslmode=disable");
  EXPECT_EQ(withDatabaseName("postgresql://u@h:1", "t1"), "postgresql://u@h:1/t1");
  EXPECT_EQ(withDatabaseName("postgresql://u@h:1?sslmode=disable", "t1"),
            "postgresql://u@h:1/t1?sslmode=disable");
}

}  // namespace
}  // namespace mxauth::test
