// Fills a migrated, empty mxauth database with a large population straight
// through SQL (never the HTTP API), for the scale runs of `make bench`:
// N users, one OAuth session each, and T tokens spread over the sessions as
// rotation histories would leave them. Each session gets k = T / (2N) access
// tokens and k refresh tokens: the k-1 older access tokens expired, the
// newest live for a day; the refresh tokens form the chain that rotation
// writes (each consumed one pointing to its successor), the newest unused.
// Token strings are real tokens (prefix, 30 random characters, checksum) and
// only their SHA-256 is stored, as the server stores them; a sample of the
// live access tokens is written to a file for the benchmark to introspect.
//
//   bench_prefill (--sqlite PATH | --postgres URI) --users N --tokens T
//                 --sample-out FILE [--sample K]
//
// SQLite: one transaction with synchronous off and a large page cache, then
// a checkpoint. PostgreSQL: COPY per table (the server's durability
// settings apply). Both go through the schema's constraints and indexes as
// they are: nothing is dropped or recreated.

#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/rng.h"
#include "core/ulid.h"
#include "crypto/token.h"

namespace {

using namespace mxauth;

struct Options {
  std::string sqlite_path;
  std::string postgres_uri;
  std::int64_t users = 1000;
  std::int64_t tokens = 10000;
  std::int64_t sample = 10000;
  std::string sample_out;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_prefill: %s\nusage: bench_prefill (--sqlite PATH | --postgres URI) --users N "
               "--tokens T --sample-out FILE [--sample K]\n",
               why);
  std::exit(2);
}

Options parseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage("every option takes a value");
    const char* value = argv[++i];
    if (arg == "--sqlite") {
      options.sqlite_path = value;
    } else if (arg == "--postgres") {
      options.postgres_uri = value;
    } else if (arg == "--users") {
      options.users = std::atoll(value);
    } else if (arg == "--tokens") {
      options.tokens = std::atoll(value);
    } else if (arg == "--sample") {
      options.sample = std::atoll(value);
    } else if (arg == "--sample-out") {
      options.sample_out = value;
    } else {
      usage("unknown option");
    }
  }
  if (options.sqlite_path.empty() == options.postgres_uri.empty())
    usage("one of --sqlite or --postgres");
  if (options.users < 1 || options.tokens < 2 * options.users)
    usage("--tokens must be at least 2 × --users");
  if (options.sample_out.empty()) usage("--sample-out is required");
  return options;
}

// One row of text values; nullopt is SQL NULL.
using Values = std::vector<std::optional<std::string>>;

// Where rows go: an INSERT per row (SQLite) or a COPY stream (PostgreSQL).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void begin() = 0;
  // Starts the rows of TABLE with COLUMNS (comma-separated).
  virtual void table(const std::string& table, const std::vector<std::string>& columns) = 0;
  virtual void row(const Values& values) = 0;
  virtual void endTable() = 0;
  virtual void commit() = 0;
};

class SqliteSink final : public Sink {
 public:
  explicit SqliteSink(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path);
    }
    // No journal while filling (a failed fill leaves a database to throw
    // away, which a benchmark does anyway); WAL again afterwards, as the
    // server opens it.
    exec(
        "PRAGMA foreign_keys = ON; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
        "PRAGMA cache_size = -4000000;");
  }
  ~SqliteSink() override {
    if (statement_ != nullptr) sqlite3_finalize(statement_);
    sqlite3_close(db_);
  }
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  void begin() override { exec("BEGIN IMMEDIATE"); }
  void table(const std::string& table, const std::vector<std::string>& columns) override {
    std::string sql = "INSERT INTO " + table + " (";
    std::string marks;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      sql += (i != 0 ? ", " : "") + columns[i];
      marks += (i != 0 ? ", ?" : "?");
    }
    sql += ") VALUES (" + marks + ")";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) fail(sql);
  }
  void row(const Values& values) override {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (!values[i]) {
        sqlite3_bind_null(statement_, index);
      } else if (isInteger(*values[i])) {
        sqlite3_bind_int64(statement_, index, std::atoll(values[i]->c_str()));
      } else {
        sqlite3_bind_text(statement_, index, values[i]->data(), static_cast<int>(values[i]->size()),
                          SQLITE_TRANSIENT);
      }
    }
    if (sqlite3_step(statement_) != SQLITE_DONE) fail("insert");
    sqlite3_reset(statement_);
  }
  void endTable() override {
    sqlite3_finalize(statement_);
    statement_ = nullptr;
  }
  void commit() override {
    exec("COMMIT");
    exec("ANALYZE; PRAGMA journal_mode = WAL;");
  }

 private:
  // Columns are STRICT: integers must be bound as integers. Every integer
  // value here is a timestamp or a flag, and no text value is all digits.
  static bool isInteger(const std::string& value) {
    if (value.empty()) return false;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!(value[i] >= '0' && value[i] <= '9') && !(i == 0 && value[i] == '-')) return false;
    }
    return true;
  }
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
};

class PostgresSink final : public Sink {
 public:
  explicit PostgresSink(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
  }
  ~PostgresSink() override { PQfinish(conn_); }
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  void begin() override { exec("BEGIN"); }
  void table(const std::string& table, const std::vector<std::string>& columns) override {
    std::string sql = "COPY " + table + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i != 0 ? ", " : "") + columns[i];
    sql += ") FROM STDIN";
    PGresult* result = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(result) == PGRES_COPY_IN;
    PQclear(result);
    if (!ok) throw std::runtime_error(sql + ": " + PQerrorMessage(conn_));
  }
  void row(const Values& values) override {
    // COPY text format: tab-separated, \N for NULL. No value here contains
    // a tab, newline or backslash.
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i != 0) buffer_ += '\t';
      buffer_ += values[i] ? *values[i] : "\\N";
    }
    buffer_ += '\n';
    if (buffer_.size() > (1U << 20)) flush();
  }
  void endTable() override {
    flush();
    if (PQputCopyEnd(conn_, nullptr) != 1) throw std::runtime_error(PQerrorMessage(conn_));
    PGresult* result = PQgetResult(conn_);
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    while ((result = PQgetResult(conn_)) != nullptr) PQclear(result);
    if (!ok) throw std::runtime_error(std::string("COPY: ") + PQerrorMessage(conn_));
  }
  void commit() override {
    exec("COMMIT");
    exec("ANALYZE");
  }

 private:
  void flush() {
    if (buffer_.empty()) return;
    if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      throw std::runtime_error(PQerrorMessage(conn_));
    }
    buffer_.clear();
  }
  void exec(const char* sql) {
    PGresult* result = PQexec(conn_, sql);
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok) throw std::runtime_error(std::string(sql) + ": " + PQerrorMessage(conn_));
  }

  PGconn* conn_;
  std::string buffer_;
};

// Randomness for the generated rows: xoshiro256** seeded from the OS. Token
// strings here need no cryptographic strength, and OsRng's one system call
// per draw would dominate the run.
class FastRng final : public Rng {
 public:
  FastRng() {
    OsRng seed;
    seed.fill({reinterpret_cast<std::uint8_t*>(state_), sizeof state_});
  }
  void fill(std::span<std::uint8_t> out) override {
    std::size_t i = 0;
    while (i < out.size()) {
      const std::uint64_t value = next();
      for (int b = 0; b < 8 && i < out.size(); ++b, ++i)
        out[i] = static_cast<std::uint8_t>(value >> (8 * b));
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  std::uint64_t state_[4] = {};
};

std::string millis(Timestamp at) { return std::to_string(toUnixMillis(at)); }

// A device ID of 10 capital letters, unique per index.
std::string deviceId(std::int64_t index) {
  std::string id = "PF";
  for (int i = 0; i < 8; ++i) {
    id += static_cast<char>('A' + index % 26);
    index /= 26;
  }
  return id;
}

void prefill(Sink& sink, const Options& options) {
  FastRng rng;
  SystemClock clock;
  const Timestamp now = clock.now();
  const std::int64_t per_session = options.tokens / (2 * options.users);
  const std::string created = millis(now - std::chrono::hours(24 * 30));
  std::ofstream sample(options.sample_out);
  if (!sample) throw std::runtime_error("cannot write " + options.sample_out);
  const std::int64_t sample_every =
      std::max<std::int64_t>(1, options.users / std::max<std::int64_t>(1, options.sample));

  std::vector<std::string> user_ids;
  user_ids.reserve(static_cast<std::size_t>(options.users));
  std::vector<std::string> session_ids;
  session_ids.reserve(static_cast<std::size_t>(options.users));

  sink.begin();
  const std::string client_id = core::newUlid(rng, clock);
  sink.table("oauth_clients", {"id", "metadata_json", "is_static", "created_at"});
  sink.row({client_id,
            R"({"client_name":"Prefilled App","redirect_uris":["http://127.0.0.1/cb"],)"
            R"("application_type":"native","token_endpoint_auth_method":"none",)"
            R"("grant_types":["authorization_code","refresh_token"],"response_types":["code"]})",
            "0", created});
  sink.endTable();

  sink.table("users", {"id", "localpart", "created_at", "is_admin"});
  for (std::int64_t u = 0; u < options.users; ++u) {
    user_ids.push_back(core::newUlid(rng, clock));
    char localpart[32];
    std::snprintf(localpart, sizeof localpart, "prefill%08lld", static_cast<long long>(u));
    sink.row({user_ids.back(), std::string(localpart), created, "0"});
  }
  sink.endTable();

  sink.table("oauth_sessions", {"id", "client_id", "user_id", "scope", "device_id", "created_at",
                                "last_active_at", "user_agent", "authenticated_at"});
  for (std::int64_t u = 0; u < options.users; ++u) {
    session_ids.push_back(core::newUlid(rng, clock));
    const std::string device = deviceId(u);
    sink.row({session_ids.back(), client_id, user_ids[static_cast<std::size_t>(u)],
              "urn:matrix:client:api:* urn:matrix:client:device:" + device, device, created,
              millis(now), "bench_prefill", created});
  }
  sink.endTable();

  // Access tokens first (refresh tokens point at them), ids kept per session
  // for the refresh chain. The newest is live for a day.
  std::vector<std::string> access_ids(static_cast<std::size_t>(options.users * per_session));
  sink.table("oauth_access_tokens", {"id", "session_id", "token_hash", "created_at", "expires_at"});
  for (std::int64_t u = 0; u < options.users; ++u) {
    for (std::int64_t k = 0; k < per_session; ++k) {
      const bool live = k == per_session - 1;
      const std::string token = crypto::generateToken(rng, crypto::TokenType::AccessToken);
      auto& id = access_ids[static_cast<std::size_t>(u * per_session + k)];
      id = core::newUlid(rng, clock);
      const Timestamp issued = live ? now : now - std::chrono::hours(1 + per_session - k);
      const Timestamp expires =
          live ? now + std::chrono::hours(24) : issued + std::chrono::minutes(5);
      sink.row({id, session_ids[static_cast<std::size_t>(u)], crypto::tokenHashHex(token),
                millis(issued), millis(expires)});
      if (live && u % sample_every == 0) sample << token << '\n';
    }
  }
  sink.endTable();

  // Each chain is written newest first, so that next_refresh_token_id
  // always names a row that exists.
  sink.table("oauth_refresh_tokens", {"id", "session_id", "token_hash", "access_token_id",
                                      "created_at", "consumed_at", "next_refresh_token_id"});
  for (std::int64_t u = 0; u < options.users; ++u) {
    std::string next;
    for (std::int64_t k = per_session - 1; k >= 0; --k) {
      const std::string token = crypto::generateToken(rng, crypto::TokenType::RefreshToken);
      const std::string id = core::newUlid(rng, clock);
      const Timestamp issued = now - std::chrono::hours(1 + per_session - k);
      const bool consumed = !next.empty();
      sink.row({id, session_ids[static_cast<std::size_t>(u)], crypto::tokenHashHex(token),
                access_ids[static_cast<std::size_t>(u * per_session + k)], millis(issued),
                consumed ? std::optional<std::string>(millis(issued + std::chrono::hours(1)))
                         : std::nullopt,
                consumed ? std::optional<std::string>(next) : std::nullopt});
      next = id;
    }
  }
  sink.endTable();
  sink.commit();
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseArgs(argc, argv);
  const auto started = std::chrono::steady_clock::now();
  try {
    std::unique_ptr<Sink> sink;
    if (!options.sqlite_path.empty()) {
      sink = std::make_unique<SqliteSink>(options.sqlite_path);
    } else {
      sink = std::make_unique<PostgresSink>(options.postgres_uri);
    }
    prefill(*sink, options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_prefill: %s\n", error.what());
    return 1;
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::int64_t per_session = options.tokens / (2 * options.users);
  std::printf("{\"users\":%lld,\"sessions\":%lld,\"tokens\":%lld,\"seconds\":%.1f}\n",
              static_cast<long long>(options.users), static_cast<long long>(options.users),
              static_cast<long long>(2 * per_session * options.users), seconds);
  return 0;
}
