#include "storage/testing/inspection.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <latch>
#include <memory>
#include <thread>

namespace mxauth::test {

using namespace std::chrono_literals;

namespace {

std::string sqlitePlan(const std::string& location, const std::string& select) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(location.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  sqlite3_stmt* statement = nullptr;
  std::string sql = "EXPLAIN QUERY PLAN " + select;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    return std::string("error: ") + sqlite3_errmsg(db.get());
  }
  std::string plan;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
    plan += "\n";
  }
  sqlite3_finalize(statement);
  return plan;
}

std::string postgresPlan(const std::string& location, const std::string& select) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> db(PQconnectdb(location.c_str()), &PQfinish);
  PQclear(PQexec(db.get(), "SET enable_seqscan = off"));
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexec(db.get(), ("EXPLAIN " + select).c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return std::string("error: ") + PQerrorMessage(db.get());
  }
  std::string plan;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    plan += PQgetvalue(result.get(), row, 0);
    plan += "\n";
  }
  return plan;
}

}  // namespace

std::string queryPlan(Backend backend, const std::string& location, const std::string& select) {
  switch (backend) {
    case Backend::Sqlite:
      return sqlitePlan(location, select);
    case Backend::Postgres:
      return postgresPlan(location, select);
  }
  return "unknown backend";
}

std::vector<RaceAttempt> raceTransactions(storage::Database& database, Backend backend, int racers,
                                          const RaceStep& step) {
  std::vector<RaceAttempt> attempts(static_cast<std::size_t>(racers));
  std::latch start(racers);
  bool release_before_begin = backend == Backend::Sqlite;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(racers));
  for (int racer = 0; racer < racers; ++racer) {
    threads.emplace_back([&, racer] {
      RaceAttempt& attempt = attempts[static_cast<std::size_t>(racer)];
      if (release_before_begin) start.arrive_and_wait();
      auto tx = database.begin(storage::TransactionMode::ReadWrite);
      if (!release_before_begin) start.arrive_and_wait();
      if (!tx) {
        attempt.error = tx.error();
        return;
      }
      auto won = step(**tx, racer);
      if (!won) {
        attempt.error = won.error();
        return;
      }
      if (*won) {
        auto committed = (*tx)->commit();
        if (!committed) {
          attempt.error = committed.error();
          return;
        }
      }
      attempt.won = *won;
    });
  }
  for (std::thread& thread : threads) thread.join();
  return attempts;
}

void expectOneWinner(const std::vector<RaceAttempt>& attempts) {
  int winners = 0;
  for (const RaceAttempt& attempt : attempts) {
    if (attempt.error) {
      ADD_FAILURE() << "a racer failed: " << storage::toString(attempt.error->code) << ": "
                    << attempt.error->detail;
    }
    if (attempt.won) ++winners;
  }
  EXPECT_EQ(winners, 1);
}

bool waitUntilDoneOrBlocked(const std::string& location, const std::function<bool()>& done) {
  std::string application = location.substr(location.find("application_name=") + 17);
  application = application.substr(0, application.find('&'));
  std::unique_ptr<PGconn, decltype(&PQfinish)> db(PQconnectdb(location.c_str()), &PQfinish);
  std::string sql =
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
      "AND application_name = '" +
      application + "'";
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return false;
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(db.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) == PGRES_TUPLES_OK &&
        std::string(PQgetvalue(result.get(), 0, 0)) != "0") {
      return true;
    }
  }
  ADD_FAILURE() << "neither finished nor blocked within 10 s";
  return false;
}

}  // namespace mxauth::test
