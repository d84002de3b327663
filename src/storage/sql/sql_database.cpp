#include "storage/sql/sql_database.h"

#include <optional>
#include <utility>

#include "storage/sql/audit_log_repository.h"
#include "storage/sql/cleanup_repository.h"
#include "storage/sql/client_assertion_repository.h"
#include "storage/sql/compat_repositories.h"
#include "storage/sql/consent_repository.h"
#include "storage/sql/device_code_grant_repository.h"
#include "storage/sql/device_reservation_repository.h"
#include "storage/sql/job_repository.h"
#include "storage/sql/oauth_repositories.h"
#include "storage/sql/pending_registration_repository.h"
#include "storage/sql/session.h"
#include "storage/sql/user_repositories.h"
#include "storage/sql/verification_repositories.h"

namespace mxauth::storage::sql {
namespace {

class SqlTransaction final : public Transaction {
 public:
  SqlTransaction(ConnectionPool::Lease lease, ClientCache& clients, TransactionMode mode)
      : lease_(std::in_place, std::move(lease)),
        session_(**lease_, mode == TransactionMode::ReadOnly),
        oauth_clients_(session_, &clients, mode == TransactionMode::ReadOnly) {}
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;

  ~SqlTransaction() override {
    // Errors are ignored: a connection that cannot roll back reports
    // itself broken and the pool closes it, which rolls back too.
    if (!finished_) (void)(*lease_)->executeScript("ROLLBACK");
  }

  UserRepository& users() override { return users_; }
  UserEmailRepository& userEmails() override { return user_emails_; }
  UserPasswordRepository& userPasswords() override { return user_passwords_; }
  UserEmailCodeRepository& userEmailCodes() override { return user_email_codes_; }
  RecoveryTicketRepository& recoveryTickets() override { return recovery_tickets_; }
  RegistrationTokenRepository& registrationTokens() override { return registration_tokens_; }
  PendingRegistrationRepository& pendingRegistrations() override { return pending_registrations_; }
  OAuthClientRepository& oauthClients() override { return oauth_clients_; }
  BrowserSessionRepository& browserSessions() override { return browser_sessions_; }
  AuthorizationGrantRepository& authorizationGrants() override { return authorization_grants_; }
  OAuthSessionRepository& oauthSessions() override { return oauth_sessions_; }
  AccessTokenRepository& accessTokens() override { return access_tokens_; }
  RefreshTokenRepository& refreshTokens() override { return refresh_tokens_; }
  OAuthConsentRepository& oauthConsents() override { return oauth_consents_; }
  DeviceCodeGrantRepository& deviceCodeGrants() override { return device_code_grants_; }
  ClientAssertionRepository& clientAssertions() override { return client_assertions_; }
  CompatSessionRepository& compatSessions() override { return compat_sessions_; }
  CompatAccessTokenRepository& compatAccessTokens() override { return compat_access_tokens_; }
  CompatRefreshTokenRepository& compatRefreshTokens() override { return compat_refresh_tokens_; }
  CompatSsoLoginRepository& compatSsoLogins() override { return compat_sso_logins_; }
  DeviceReservationRepository& deviceReservations() override { return device_reservations_; }
  JobRepository& jobs() override { return jobs_; }
  AuditLogRepository& auditLog() override { return audit_log_; }
  CleanupRepository& cleanup() override { return cleanup_; }

  Result<void, StorageError> commit() override {
    if (finished_) {
      return unexpected(
          StorageError{StorageErrorCode::Internal, "the transaction has already finished"});
    }
    finished_ = true;
    if (session_.spoiled()) {
      (void)(*lease_)->executeScript("ROLLBACK");
      release();
      return unexpected(StorageError{
          StorageErrorCode::Internal,
          "commit refused: an earlier call in this transaction failed; nothing was written"});
    }
    auto committed = (*lease_)->commit();
    if (!committed) (void)(*lease_)->executeScript("ROLLBACK");
    // The connection goes back to its pool before the wait for the disk, so
    // that the next writer (SQLite's single writer connection) runs
    // meanwhile: group commit.
    release();
    if (!committed) return unexpected(committed.error());
    if (*committed) return (*committed)();
    return {};
  }

 private:
  // Finished transactions give their connection back at once, not when
  // the object goes: a caller may keep a committed transaction while it
  // begins the next, which on SQLite needs the same writer connection.
  void release() {
    session_.finish();
    lease_.reset();
  }

  std::optional<ConnectionPool::Lease> lease_;
  Session session_;
  SqlUserRepository users_{session_};
  SqlUserEmailRepository user_emails_{session_};
  SqlUserPasswordRepository user_passwords_{session_};
  SqlUserEmailCodeRepository user_email_codes_{session_};
  SqlRecoveryTicketRepository recovery_tickets_{session_};
  SqlRegistrationTokenRepository registration_tokens_{session_};
  SqlPendingRegistrationRepository pending_registrations_{session_};
  SqlOAuthClientRepository oauth_clients_;
  SqlBrowserSessionRepository browser_sessions_{session_};
  SqlAuthorizationGrantRepository authorization_grants_{session_};
  SqlOAuthSessionRepository oauth_sessions_{session_};
  SqlAccessTokenRepository access_tokens_{session_};
  SqlRefreshTokenRepository refresh_tokens_{session_};
  SqlOAuthConsentRepository oauth_consents_{session_};
  SqlDeviceCodeGrantRepository device_code_grants_{session_};
  SqlClientAssertionRepository client_assertions_{session_};
  SqlCompatSessionRepository compat_sessions_{session_};
  SqlCompatAccessTokenRepository compat_access_tokens_{session_};
  SqlCompatRefreshTokenRepository compat_refresh_tokens_{session_};
  SqlCompatSsoLoginRepository compat_sso_logins_{session_};
  SqlDeviceReservationRepository device_reservations_{session_};
  SqlJobRepository jobs_{session_, (*lease_)->supportsSkipLocked()};
  SqlAuditLogRepository audit_log_{session_};
  SqlCleanupRepository cleanup_{session_};
  bool finished_ = false;
};

MigrationError storageFailure(const StorageError& error) {
  return MigrationError{MigrationErrorCode::Storage,
                        std::string(toString(error.code)) + ": " + error.detail};
}

Result<std::vector<AppliedMigration>, StorageError> readApplied(Connection& connection) {
  auto exists = connection.tableExists("schema_migrations");
  if (!exists) return unexpected(exists.error());
  if (!*exists) return std::vector<AppliedMigration>();
  auto rows = connection.query(
      "SELECT version, name, checksum FROM schema_migrations ORDER BY version", {});
  if (!rows) return unexpected(rows.error());
  std::vector<AppliedMigration> applied;
  for (const Row& row : *rows) {
    RowReader reader(row);
    AppliedMigration migration;
    migration.version = reader.integer();
    migration.name = reader.text();
    migration.checksum = reader.text();
    if (auto error = reader.error()) return unexpected(std::move(*error));
    applied.push_back(std::move(migration));
  }
  return applied;
}

// Applies one migration and records it, in one transaction. Skips it when
// another process applied it meanwhile (SQLite has no migration lock; its
// BEGIN IMMEDIATE makes this check and the change atomic). True if applied.
Result<bool, StorageError> applyOne(Connection& connection, const Migration& migration,
                                    const Clock& clock) {
  if (auto begun = connection.begin(TransactionMode::ReadWrite); !begun) {
    return unexpected(begun.error());
  }
  auto fail = [&](StorageError error) -> Result<bool, StorageError> {
    (void)connection.executeScript("ROLLBACK");
    return unexpected(std::move(error));
  };
  Param version(migration.version);
  auto existing = connection.query("SELECT checksum FROM schema_migrations WHERE version = $1",
                                   std::span<const Param>(&version, 1));
  if (!existing) return fail(existing.error());
  if (!existing->empty()) {
    (void)connection.executeScript("ROLLBACK");
    return false;
  }
  if (auto run = connection.executeScript(migration.sql); !run) {
    StorageError error = run.error();
    error.detail = "migration " + std::to_string(migration.version) + "_" + migration.name +
                   " failed: " + error.detail;
    return fail(std::move(error));
  }
  const Param record[] = {migration.version, migration.name, migration.checksum, clock.now()};
  auto inserted = connection.execute(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
      "VALUES ($1, $2, $3, $4)",
      record);
  if (!inserted) return fail(inserted.error());
  if (auto committed = connection.executeScript("COMMIT"); !committed) {
    return fail(committed.error());
  }
  return true;
}

}  // namespace

SqlDatabase::SqlDatabase(std::string backend_name, ConnectionFactory factory,
                         const PoolOptions& pool, std::span<const core::EmbeddedFile> migrations,
                         SubscriptionFactory subscriptions)
    : backend_name_(std::move(backend_name)),
      pool_(factory, pool.size, pool.acquire_timeout),
      writer_pool_(pool.writers > 0 ? std::make_unique<ConnectionPool>(
                                          std::move(factory), pool.writers, pool.acquire_timeout)
                                    : nullptr),
      migration_files_(migrations),
      subscriptions_(std::move(subscriptions)) {}

PoolStats SqlDatabase::poolStats() const {
  PoolStats stats = pool_.stats();
  if (writer_pool_ != nullptr) {
    const PoolStats writers = writer_pool_->stats();
    stats.size += writers.size;
    stats.in_use += writers.in_use;
    stats.waiting += writers.waiting;
  }
  return stats;
}

std::unique_ptr<Subscription> SqlDatabase::subscribeToInvalidations(InvalidationHandler handler) {
  if (!subscriptions_) return nullptr;
  return subscriptions_(std::move(handler));
}

Result<ConnectionPool::Lease, StorageError> SqlDatabase::acquireWorking(TransactionMode mode) {
  // After a database restart every idle connection is dead; each attempt
  // closes one, so size + 1 attempts reach a freshly opened connection.
  ConnectionPool& pool =
      mode != TransactionMode::ReadOnly && writer_pool_ != nullptr ? *writer_pool_ : pool_;
  std::size_t attempts = pool.stats().size + 1;
  for (std::size_t attempt = 1;; ++attempt) {
    auto lease = pool.acquire();
    if (!lease) return unexpected(lease.error());
    auto begun = (*lease)->begin(mode);
    if (begun) return std::move(*lease);
    if (attempt >= attempts || !(*lease)->isBroken()) return unexpected(begun.error());
    // The lease goes back broken and the pool closes it.
  }
}

Result<std::unique_ptr<Transaction>, StorageError> SqlDatabase::begin(TransactionMode mode) {
  auto lease = acquireWorking(mode);
  if (!lease) return unexpected(lease.error());
  return std::unique_ptr<Transaction>(
      std::make_unique<SqlTransaction>(std::move(*lease), clients_, mode));
}

Result<void, StorageError> SqlDatabase::ping() {
  auto lease = acquireWorking(TransactionMode::ReadOnly);
  if (!lease) return unexpected(lease.error());
  auto rows = (*lease)->query("SELECT 1", {});
  (void)(*lease)->executeScript("ROLLBACK");
  if (!rows) return unexpected(rows.error());
  return {};
}

Result<std::vector<Migration>, MigrationError> SqlDatabase::pendingMigrations() {
  auto known = loadMigrations(migration_files_);
  if (!known) return unexpected(known.error());
  auto lease = pool_.acquire();
  if (!lease) return unexpected(storageFailure(lease.error()));
  auto applied = readApplied(**lease);
  if (!applied) return unexpected(storageFailure(applied.error()));
  return storage::pendingMigrations(*known, *applied);
}

Result<std::vector<Migration>, MigrationError> SqlDatabase::migrate(const Clock& clock) {
  auto known = loadMigrations(migration_files_);
  if (!known) return unexpected(known.error());
  auto lease = pool_.acquire();
  if (!lease) return unexpected(storageFailure(lease.error()));
  Connection& connection = **lease;

  if (auto locked = connection.lockMigrations(); !locked) {
    return unexpected(storageFailure(locked.error()));
  }
  auto run = [&]() -> Result<std::vector<Migration>, MigrationError> {
    if (auto created = connection.executeScript(connection.migrationsTableDdl()); !created) {
      return unexpected(storageFailure(created.error()));
    }
    auto applied = readApplied(connection);
    if (!applied) return unexpected(storageFailure(applied.error()));
    auto pending = storage::pendingMigrations(*known, *applied);
    if (!pending) return unexpected(pending.error());
    std::vector<Migration> done;
    for (const Migration& migration : *pending) {
      auto applied_now = applyOne(connection, migration, clock);
      if (!applied_now) return unexpected(storageFailure(applied_now.error()));
      if (*applied_now) done.push_back(migration);
    }
    return done;
  };
  auto result = run();
  // If the connection died, the server has released its lock already.
  (void)connection.unlockMigrations();
  return result;
}

}  // namespace mxauth::storage::sql
