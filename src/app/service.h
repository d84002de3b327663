#pragma once

// The composition root (design §1–§2, style §6.17): the one place that names
// concrete classes. It builds the object graph from a Config — database
// backend, keys, pools, hasher, routes, HTTP server — and owns it.

#include <prometheus/registry.h>
#include <cstdint>
#include <memory>
#include <string>

#include "accounts/login_throttle.h"
#include "compat/compat_handlers.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/rate_limiter.h"
#include "core/result.h"
#include "core/rng.h"
#include "core/worker_pool.h"
#include "crypto/aead.h"
#include "crypto/key_ring.h"
#include "crypto/key_source.h"
#include "crypto/key_store.h"
#include "crypto/password_hasher.h"
#include "email/mailer.h"
#include "email/transport.h"
#include "homeserver/homeserver_connection.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "jobs/job_runner.h"
#include "oauth/client_metadata.h"
#include "oauth/jwks_fetcher.h"
#include "oauth/token_handler.h"
#include "storage/database.h"
#include "templates/emails.h"
#include "templates/templates.h"
#include "web/web_context.h"

namespace mxauth::app {

// Opens the database the config names (SQLite or PostgreSQL) and checks that
// it answers. The error is one line for the operator; it never repeats the
// URI, which may hold a password.
Result<std::unique_ptr<storage::Database>, std::string> openDatabase(
    const config::DatabaseConfig& config);

// Applies pending migrations, logging each; the error is one line.
Result<void, std::string> migrateDatabase(storage::Database& database, const Clock& clock);

// The homeserver connection the config describes: Synapse's /_synapse/mas
// API at matrix.endpoint, or stand-alone when it is empty.
std::unique_ptr<homeserver::HomeserverConnection> makeHomeserverConnection(
    const config::Config& config);

// The encryption secret: secrets.encryption, or the one kept in keys_dir
// (generated there on first use). The error is one line.
Result<crypto::EncryptionSecret, std::string> loadEncryptionSecret(const config::Config& config,
                                                                   Rng& rng);

// What registration and `mxauth client add` accept of a client's keys
// (clients.jwks_uri.allow_http / allow_private_addresses).
oauth::MetadataRules clientMetadataRules(const config::Config& config);

// The password hasher the config describes.
crypto::PasswordHasherOptions passwordHasherOptions(const config::PasswordsConfig& config);

struct ServiceOptions {
  // false: refuse to start when migrations are pending (serve --no-migrate).
  bool migrate = true;
};

class Service {
 public:
  // Everything up to, not including, binding the port: keys, database,
  // migrations, routes. The error is one line for the operator.
  static Result<std::unique_ptr<Service>, std::string> create(const config::Config& config,
                                                              const Clock& clock, Rng& rng,
                                                              ServiceOptions options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds the listen address.
  Result<void, std::string> start();
  std::uint16_t boundPort() const;
  // Serves until SIGTERM/SIGINT, then drains in-flight requests and writes
  // the last batch of session activity.
  void runUntilSignal();
  void stop();

  storage::Database& database() { return *database_; }
  const crypto::KeySource& keys() const { return keys_; }

 private:
  Service(config::Config config, const Clock& clock, Rng& rng);
  void mountRoutes();

  config::Config config_;
  const Clock& clock_;
  Rng& rng_;
  std::unique_ptr<storage::Database> database_;
  crypto::KeySource keys_;
  // Follows secrets.keys_dir while serving (signing-key rotation); null with
  // inline secrets.keys, which only a restart changes.
  std::unique_ptr<crypto::KeyRingWatcher> key_watcher_;
  std::string encryption_secret_;
  std::unique_ptr<crypto::PasswordHasher> hasher_;
  std::unique_ptr<templates::Templates> templates_;
  std::unique_ptr<homeserver::HomeserverConnection> homeserver_;
  // E-mail (email.*): the pages queue messages through mailer_; the job
  // runner sends them, so both outlive it.
  std::unique_ptr<templates::EmailTemplates> email_templates_;
  std::unique_ptr<email::Transport> email_transport_;
  std::unique_ptr<crypto::Aead> email_payload_aead_;  // seals queued messages
  std::unique_ptr<email::Mailer> mailer_;
  std::unique_ptr<jobs::JobRunner> job_runner_;
  std::unique_ptr<accounts::LoginThrottle> login_throttle_;
  std::unique_ptr<core::RateLimiter> device_link_limiter_;
  std::unique_ptr<web::GrantFormTargets> grant_form_targets_ =
      std::make_unique<web::GrantFormTargets>();
  std::unique_ptr<web::WebContext> web_context_;
  // Client authentication: client_secret_jwt secrets are sealed with the
  // encryption key; private_key_jwt key sets are fetched from jwks_uri.
  std::unique_ptr<crypto::Aead> client_secret_aead_;
  std::unique_ptr<oauth::JwksFetcher> jwks_fetcher_;
  std::unique_ptr<oauth::TokenEndpoints> token_endpoints_;
  // Declared after the cache's owner, so that it stops first.
  std::unique_ptr<storage::Subscription> invalidations_;
  std::unique_ptr<compat::CompatHandlers> compat_;
  prometheus::Registry registry_;
  std::unique_ptr<http::Metrics> metrics_;
  http::Router router_;
  std::unique_ptr<core::WorkerPool> blocking_pool_;
  std::unique_ptr<core::WorkerPool> password_pool_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace mxauth::app
