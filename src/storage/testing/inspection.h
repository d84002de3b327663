#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"
#include "storage/testing/test_database.h"

// What the conformance tests check behind the repositories' back: query
// plans (an index answers a lookup), and races of transactions on separate
// pooled connections (single use under concurrency, design §6).
namespace mxauth::test {

// The plan of `select` on the test database at `location`, one line per
// plan row; "error: ..." when it cannot be explained. On PostgreSQL
// sequential scans are disabled: on a near-empty table they are cheapest,
// and what matters is that an index can answer the lookup.
std::string queryPlan(Backend backend, const std::string& location, const std::string& select);

// How many racers a race has, and how many rounds a racing test runs.
inline constexpr int kRacers = 8;
inline constexpr int kRounds = 5;

// What one racer's attempt answered: won, lost, or a storage error.
struct RaceAttempt {
  bool won = false;
  std::optional<storage::StorageError> error;
};

using RaceStep = std::function<Result<bool, storage::StorageError>(storage::Transaction&, int)>;

// Runs `step(tx, racer)` for `racers` racers on as many threads at once,
// each in its own read-write transaction on `database` (whose pool must
// hold `racers` connections), and commits the transactions whose step
// answered true.
//
// On PostgreSQL every racer first begins its transaction and then all are
// released together, so the conditional writes truly overlap: the first
// takes the row lock and the others wait for its commit, then re-check
// their WHERE clause (READ COMMITTED) and change nothing. On SQLite a
// writer holds the database lock from BEGIN (IMMEDIATE) to COMMIT, so the
// racers are released before BEGIN and queue there (a racer waiting inside
// a begun transaction would hold the lock and deadlock the others).
std::vector<RaceAttempt> raceTransactions(storage::Database& database, Backend backend, int racers,
                                          const RaceStep& step);

// Exactly one winner and no errors (adds test failures otherwise).
void expectOneWinner(const std::vector<RaceAttempt>& attempts);

// PostgreSQL only: polls until `done()` answers true or one of the test
// database's connections (at `location`) waits for a row lock, for at most
// 10 s. Answers whether it saw the lock wait.
bool waitUntilDoneOrBlocked(const std::string& location, const std::function<bool()>& done);

}  // namespace mxauth::test
