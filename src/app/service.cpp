#include "app/service.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include "app/email_setup.h"
#include "app/logging.h"
#include "crypto/aead.h"
#include "homeserver/standalone_connection.h"
#include "homeserver/synapse_connection.h"
#include "http/connection_slots.h"
#include "jobs/cleanup.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/discovery.h"
#include "oauth/registration_handler.h"
#include "storage/database_uri.h"
#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"
#include "web/account_actions.h"
#include "web/routes.h"

namespace mxauth::app {
namespace {

// Blocking-pool queue: deep enough to absorb bursts, shallow enough that an
// overloaded server answers 503 within a second instead of queueing forever.
constexpr std::size_t kBlockingQueueLimit = 2048;

// The routes whose handlers hash a password (checked at mount).
constexpr std::array<std::pair<http::Method, std::string_view>, 6> kPasswordRoutes{{
    {http::Method::Post, "/login"},
    {http::Method::Post, "/register"},
    {http::Method::Post, "/account/reauth"},
    {http::Method::Post, "/account/password"},
    {http::Method::Post, "/_matrix/client/v3/login"},
    {http::Method::Post, "/_matrix/client/r0/login"},
}};

// Raises the soft open-file limit (RLIMIT_NOFILE) to the hard one and
// returns the limit now in force: every connection is a descriptor, and many
// systems start processes at a soft limit of 1,024.
std::uint64_t raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // An unlimited hard limit cannot be the soft one (fs.nr_open caps it):
    // then the soft limit stays as it was.
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

// http.max_connections, or less when the open-file limit cannot hold that
// many connections besides the descriptors the rest of the process needs,
// with a warning that says what to raise. Past the limit accept() would fail
// with EMFILE; below it the server sheds or refuses connections instead.
std::size_t connectionLimit(const config::Config& config, std::size_t blocking_workers) {
  const auto requested = static_cast<std::size_t>(std::max(1, config.http.max_connections));
  const std::uint64_t open_files = raiseOpenFileLimit();
  // Standard streams, the listening socket, epoll and its eventfds, log
  // files, key files; per database connection up to three (SQLite's
  // database, WAL and shared-memory files); per blocking worker one
  // outbound HTTP connection (homeserver, jwks_uri).
  const std::size_t reserved =
      64 + 3 * static_cast<std::size_t>(config.database.max_connections) + blocking_workers;
  const std::size_t allowed = http::connectionCapacity(requested, open_files, reserved);
  if (allowed < requested) {
    const std::uint64_t needed = requested + reserved + http::ConnectionSlots::kShedHeadroom;
    logWarn("the open-file limit is too low for http.max_connections; serving fewer connections",
            {{"http.max_connections", std::to_string(requested)},
             {"effective_max_connections", std::to_string(allowed)},
             {"open_file_limit", std::to_string(open_files)},
             {"needed_open_file_limit", std::to_string(needed)},
             {"hint",
              "raise the hard limit (systemd LimitNOFILE=, docker --ulimit nofile=, ulimit -Hn)"}});
  }
  return allowed;
}

std::string describeStorage(const storage::StorageError& error) {
  return fmt::format("{}: {}", storage::toString(error.code), error.detail);
}

// Gauges read at scrape time from the pools and the hasher.
class ResourceGauges {
 public:
  explicit ResourceGauges(prometheus::Registry& registry)
      : pool_(prometheus::BuildGauge()
                  .Name("mxauth_db_pool_connections")
                  .Help("Database connections by state")
                  .Register(registry)),
        pool_size_(pool_.Add({{"state", "max"}})),
        pool_in_use_(pool_.Add({{"state", "in_use"}})),
        pool_waiting_(prometheus::BuildGauge()
                          .Name("mxauth_db_pool_waiting")
                          .Help("Callers waiting for a database connection")
                          .Register(registry)
                          .Add({})),
        hashes_(prometheus::BuildGauge()
                    .Name("mxauth_password_hashes")
                    .Help("Password hash operations by state")
                    .Register(registry)),
        hashes_running_(hashes_.Add({{"state", "running"}})),
        hashes_waiting_(hashes_.Add({{"state", "waiting"}})),
        jobs_unfinished_(prometheus::BuildGauge()
                             .Name("mxauth_jobs_unfinished")
                             .Help("Jobs in the durable queue not finished yet (last poll)")
                             .Register(registry)
                             .Add({})),
        job_runs_(prometheus::BuildCounter()
                      .Name("mxauth_job_runs_total")
                      .Help("Job runs of this process by outcome")
                      .Register(registry)),
        job_runs_completed_(job_runs_.Add({{"outcome", "completed"}})),
        job_runs_failed_(job_runs_.Add({{"outcome", "failed"}})) {}

  void update(const jobs::JobRunnerStats& jobs) {
    jobs_unfinished_.Set(static_cast<double>(jobs.unfinished));
    // The runner counts; the counters catch up at each scrape.
    job_runs_completed_.Increment(static_cast<double>(jobs.completed - completed_seen_));
    job_runs_failed_.Increment(static_cast<double>(jobs.failed_attempts - failed_seen_));
    completed_seen_ = jobs.completed;
    failed_seen_ = jobs.failed_attempts;
  }

  void update(const storage::Database& database, const crypto::PasswordHasher& hasher) {
    storage::PoolStats stats = database.poolStats();
    pool_size_.Set(static_cast<double>(stats.size));
    pool_in_use_.Set(static_cast<double>(stats.in_use));
    pool_waiting_.Set(static_cast<double>(stats.waiting));
    hashes_running_.Set(static_cast<double>(hasher.inFlight()));
    hashes_waiting_.Set(static_cast<double>(hasher.waiting()));
  }

 private:
  prometheus::Family<prometheus::Gauge>& pool_;
  prometheus::Gauge& pool_size_;
  prometheus::Gauge& pool_in_use_;
  prometheus::Gauge& pool_waiting_;
  prometheus::Family<prometheus::Gauge>& hashes_;
  prometheus::Gauge& hashes_running_;
  prometheus::Gauge& hashes_waiting_;
  prometheus::Gauge& jobs_unfinished_;
  prometheus::Family<prometheus::Counter>& job_runs_;
  prometheus::Counter& job_runs_completed_;
  prometheus::Counter& job_runs_failed_;
  std::uint64_t completed_seen_ = 0;
  std::uint64_t failed_seen_ = 0;
};

// mxauth_rate_limited_total{limiter}: attempts a rate limiter refused. The
// children exist from the start, so that a scrape shows 0 rather than
// nothing.
prometheus::Family<prometheus::Counter>& rateLimitedFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("mxauth_rate_limited_total")
      .Help("Requests refused by a rate limiter, by limiter")
      .Register(registry);
}

std::function<void(accounts::LoginLimit)> countLoginLimited(
    prometheus::Family<prometheus::Counter>& family) {
  const auto child = [&family](accounts::LoginLimit limit) {
    return &family.Add({{"limiter", std::string(accounts::metricLabel(limit))}});
  };
  prometheus::Counter* per_address = child(accounts::LoginLimit::PerAddress);
  prometheus::Counter* per_account = child(accounts::LoginLimit::PerAccount);
  return [per_address, per_account](accounts::LoginLimit limit) {
    switch (limit) {
      case accounts::LoginLimit::PerAddress:
        per_address->Increment();
        return;
      case accounts::LoginLimit::PerAccount:
        per_account->Increment();
        return;
    }
  };
}

// The periodic cleanup of dead rows (jobs/cleanup.h), unless
// tokens.cleanup_interval is 0. mxauth_cleanup_deleted_rows_total{table}
// counts what it deleted; a run that deleted something says so in the log.
void scheduleTokenCleanup(jobs::JobRunner& runner, storage::Database& database, const Clock& clock,
                          const config::TokensConfig& tokens, prometheus::Registry& registry) {
  if (tokens.cleanup_interval <= std::chrono::seconds(0)) return;
  auto& family = prometheus::BuildCounter()
                     .Name("mxauth_cleanup_deleted_rows_total")
                     .Help("Rows the periodic cleanup deleted, by table")
                     .Register(registry);
  std::array<prometheus::Counter*, storage::kCleanupOrder.size()> deleted{};
  for (std::size_t i = 0; i < deleted.size(); ++i) {
    deleted[i] =
        &family.Add({{"table", std::string(storage::tableName(storage::kCleanupOrder[i]))}});
  }
  jobs::CleanupOptions options;
  options.retention = tokens.retention;
  jobs::scheduleCleanup(
      runner, database, clock, tokens.cleanup_interval, options,
      [deleted](const jobs::CleanupReport& report) {
        std::string tables;
        for (std::size_t i = 0; i < deleted.size(); ++i) {
          if (report.deleted[i] == 0) continue;
          deleted[i]->Increment(static_cast<double>(report.deleted[i]));
          if (!tables.empty()) tables += ' ';
          tables += fmt::format("{}={}", storage::tableName(storage::kCleanupOrder[i]),
                                report.deleted[i]);
        }
        if (tables.empty()) return;
        logInfo("cleanup deleted dead rows", {{"total", std::to_string(report.total())},
                                              {"tables", tables},
                                              {"more_left", report.capped ? "true" : "false"}});
      });
}

core::RateLimit rateLimit(const config::RateLimitConfig& configured) {
  return core::RateLimit{static_cast<std::uint32_t>(std::max(0, configured.burst)),
                         configured.refill_interval};
}

accounts::LoginThrottleOptions loginLimits(const config::LoginRateLimitsConfig& config) {
  return accounts::LoginThrottleOptions{rateLimit(config.per_ip), rateLimit(config.per_account)};
}

// host:pid, so that an operator can tell which instance holds a job.
std::string jobWorkerId() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + ":" + std::to_string(::getpid());
}

Result<std::string, std::string> loadEncryptionSecretHex(const config::Config& config, Rng& rng) {
  if (config.secrets.encryption) return *config.secrets.encryption;
  auto secret = crypto::ensureEncryptionSecret(config.secrets.keys_dir, rng);
  if (!secret) return unexpected("secrets.keys_dir: " + secret.error().detail);
  return std::move(*secret);
}

}  // namespace

Result<crypto::EncryptionSecret, std::string> loadEncryptionSecret(const config::Config& config,
                                                                   Rng& rng) {
  auto hex = loadEncryptionSecretHex(config, rng);
  if (!hex) return unexpected(hex.error());
  auto secret = crypto::parseEncryptionSecret(*hex);
  if (!secret) return unexpected(std::string("secrets.encryption: not 64 hexadecimal characters"));
  return *secret;
}

oauth::MetadataRules clientMetadataRules(const config::Config& config) {
  oauth::MetadataRules rules;
  rules.allow_http_jwks_uri = config.clients.jwks_uri.allow_http;
  rules.allow_private_jwks_uri = config.clients.jwks_uri.allow_private_addresses;
  return rules;
}

Result<std::unique_ptr<storage::Database>, std::string> openDatabase(
    const config::DatabaseConfig& config) {
  auto uri = storage::parseDatabaseUri(config.uri);
  if (!uri) return unexpected("database.uri: " + uri.error().message);
  auto max_connections = static_cast<std::size_t>(std::max(1, config.max_connections));
  Result<std::unique_ptr<storage::Database>, storage::StorageError> database =
      unexpected(storage::StorageError{});
  if (const auto* sqlite = std::get_if<storage::SqliteUri>(&*uri)) {
    storage::sqlite::SqliteOptions options;
    options.path = sqlite->path;
    options.pool_size = max_connections;
    database = storage::sqlite::openDatabase(options);
  } else {
    storage::postgres::PostgresOptions options;
    options.uri = std::get<storage::PostgresUri>(*uri).uri;
    options.pool_size = max_connections;
    options.connect_timeout = config.connect_timeout;
    database = storage::postgres::openDatabase(options);
  }
  if (!database)
    return unexpected("cannot open the database: " + describeStorage(database.error()));
  auto ping = (*database)->ping();
  if (!ping) return unexpected("cannot reach the database: " + describeStorage(ping.error()));
  return std::move(*database);
}

Result<void, std::string> migrateDatabase(storage::Database& database, const Clock& clock) {
  auto applied = database.migrate(clock);
  if (!applied) {
    return unexpected(fmt::format("database migration failed ({}): {}",
                                  storage::toString(applied.error().code), applied.error().detail));
  }
  for (const auto& migration : *applied) {
    logInfo("applied migration",
            {{"version", std::to_string(migration.version)}, {"name", migration.name}});
  }
  return {};
}

std::unique_ptr<homeserver::HomeserverConnection> makeHomeserverConnection(
    const config::Config& config) {
  if (config.matrix.endpoint.empty()) {
    return std::make_unique<homeserver::StandaloneConnection>(config.matrix.homeserver);
  }
  homeserver::SynapseOptions synapse;
  synapse.server_name = config.matrix.homeserver;
  synapse.endpoint = config.matrix.endpoint;
  synapse.secret = config.matrix.secret;
  synapse.log = [](std::string_view message) { logWarn(message); };
  return std::make_unique<homeserver::SynapseConnection>(std::move(synapse));
}

crypto::PasswordHasherOptions passwordHasherOptions(const config::PasswordsConfig& config) {
  crypto::PasswordHasherOptions options;
  options.argon2.memory_kib = config.argon2_memory_kib;
  options.argon2.iterations = config.argon2_iterations;
  options.argon2.parallelism = config.argon2_parallelism;
  options.max_concurrent = static_cast<std::size_t>(std::max(0, config.max_concurrent_hashes));
  return options;
}

Service::Service(config::Config config, const Clock& clock, Rng& rng)
    : config_(std::move(config)), clock_(clock), rng_(rng) {}

Service::~Service() {
  server_.reset();
  invalidations_.reset();
  if (blocking_pool_) blocking_pool_->shutdown();
  if (password_pool_) password_pool_->shutdown();
  if (job_runner_) job_runner_->stop();
  if (token_endpoints_) token_endpoints_->stop();
}

Result<std::unique_ptr<Service>, std::string> Service::create(const config::Config& config,
                                                              const Clock& clock, Rng& rng,
                                                              ServiceOptions options) {
  std::unique_ptr<Service> service(new Service(config, clock, rng));

  // Keys: inline ones from the config, fixed until a restart; else the key
  // directory, generated on first start, whose key ring is followed while
  // serving (crypto/key_ring.h).
  if (!config.secrets.keys.empty()) {
    std::vector<std::string> pems;
    for (const auto& key : config.secrets.keys) pems.push_back(key.key);
    auto keys = crypto::keySetFromPems(pems);
    if (!keys) return unexpected("secrets.keys: " + keys.error().detail);
    service->keys_.replace(std::move(*keys));
  } else {
    auto keys = crypto::ensureKeys(config.secrets.keys_dir);
    if (!keys) return unexpected("secrets.keys_dir: " + keys.error().detail);
    service->key_watcher_ = std::make_unique<crypto::KeyRingWatcher>(
        config.secrets.keys_dir, service->keys_, clock,
        crypto::KeyRingWatcher::Hooks{.info = [](std::string_view message) { logInfo(message); },
                                      .warn = [](std::string_view message) { logWarn(message); }});
    auto loaded = service->key_watcher_->load();
    if (!loaded) return unexpected("secrets.keys_dir: " + loaded.error().detail);
  }
  auto encryption_secret = loadEncryptionSecretHex(config, rng);
  if (!encryption_secret) return unexpected(encryption_secret.error());
  service->encryption_secret_ = std::move(*encryption_secret);

  auto database = openDatabase(config.database);
  if (!database) return unexpected(database.error());
  service->database_ = std::move(*database);
  if (options.migrate) {
    auto migrated = migrateDatabase(*service->database_, clock);
    if (!migrated) return unexpected(migrated.error());
  } else {
    auto pending = service->database_->pendingMigrations();
    if (!pending) return unexpected("cannot read the schema version: " + pending.error().detail);
    if (!pending->empty()) {
      return unexpected(
          fmt::format("the database needs {} migration(s); run 'mxauth db migrate' or serve "
                      "without --no-migrate",
                      pending->size()));
    }
  }

  service->hasher_ =
      std::make_unique<crypto::PasswordHasher>(passwordHasherOptions(config.passwords));
  auto templates = templates::Templates::load();
  if (!templates) return unexpected("cannot load the page templates: " + templates.error().message);
  service->templates_ = std::make_unique<templates::Templates>(std::move(*templates));
  auto encryption = crypto::parseEncryptionSecret(service->encryption_secret_);
  if (!encryption)
    return unexpected(std::string("secrets.encryption: not 64 hexadecimal characters"));
  service->homeserver_ = makeHomeserverConnection(config);
  jobs::JobRunnerOptions job_options;
  job_options.worker_id = jobWorkerId();
  job_options.lease = config.jobs.lease;
  job_options.log = [](std::string_view message) { logWarn(message); };
  service->job_runner_ =
      std::make_unique<jobs::JobRunner>(*service->database_, clock, std::move(job_options));
  jobs::registerHomeserverJobs(*service->job_runner_, *service->database_, clock,
                               *service->homeserver_);
  jobs::scheduleDeviceReconciliation(*service->job_runner_, *service->database_, rng, clock,
                                     *service->homeserver_);
  scheduleTokenCleanup(*service->job_runner_, *service->database_, clock, config.tokens,
                       service->registry_);
  auto email_templates = templates::EmailTemplates::load();
  if (!email_templates) {
    return unexpected("cannot load the e-mail templates: " + email_templates.error().message);
  }
  service->email_templates_ =
      std::make_unique<templates::EmailTemplates>(std::move(*email_templates));
  auto mailer_options = mailerOptions(config);
  if (!mailer_options) return unexpected(mailer_options.error());
  service->email_transport_ = makeEmailTransport(config);
  service->email_payload_aead_ = std::make_unique<crypto::Aead>(*encryption);
  mailer_options->payload_aead = service->email_payload_aead_.get();
  service->mailer_ = std::make_unique<email::Mailer>(*service->email_transport_, rng, clock,
                                                     std::move(*mailer_options));
  email::registerEmailJobs(*service->job_runner_, *service->mailer_);
  logInfo("e-mail transport", {{"transport", service->email_transport_->describe()}});
  // One throttle for both login doors, so that their attempts add up.
  auto& rate_limited = rateLimitedFamily(service->registry_);
  service->login_throttle_ = std::make_unique<accounts::LoginThrottle>(
      clock, loginLimits(config.rate_limits.login), countLoginLimited(rate_limited));
  core::RateLimiterOptions device_link_limits;
  device_link_limits.limit = rateLimit(config.rate_limits.device_link.per_ip);
  service->device_link_limiter_ = std::make_unique<core::RateLimiter>(clock, device_link_limits);
  prometheus::Counter* device_link_limited = &rate_limited.Add({{"limiter", "device_link"}});
  web::WebSettings web_settings;
  web_settings.public_base = config.http.public_base;
  web_settings.service_name = config.branding.service_name;
  web_settings.homeserver = config.matrix.homeserver;
  web_settings.registration_enabled = config.account.registration;
  web_settings.password_change_enabled = config.account.password_change;
  web_settings.deactivation_enabled = config.account.deactivation;
  web_settings.email_change_enabled = config.account.email_change;
  web_settings.password_recovery_enabled =
      config.account.password_recovery &&
      config.email.transport != config::EmailTransport::Blackhole;
  web_settings.recovery_link_ttl = config.account.password_recovery_ttl;
  web_settings.registration_token_required = config.account.registration_token_required;
  web_settings.email_verification_required = config.account.email_verification_required;
  web_settings.tos_uri = config.branding.tos_uri;
  web_settings.step_up_max_age = config.account.step_up.max_age;
  web_settings.step_up_stages = config.account.step_up.stages;
  service->web_context_ = std::make_unique<web::WebContext>(web::WebContext{
      .database = *service->database_,
      .hasher = *service->hasher_,
      .rng = rng,
      .clock = clock,
      .templates = *service->templates_,
      .encryption_secret = *encryption,
      .settings = web_settings,
      .homeserver = service->homeserver_.get(),
      .login_throttle = service->login_throttle_.get(),
      .keys = &service->keys_,
      .device_link_limiter = service->device_link_limiter_.get(),
      .on_device_link_limited = [device_link_limited] { device_link_limited->Increment(); },
  });
  oauth::TokenEndpointOptions token_options;
  token_options.issuer = config.http.public_base;
  token_options.server_name = config.matrix.homeserver;
  token_options.matrix_secret = config.matrix.secret;
  token_options.lifetimes.access_token_ttl = config.tokens.access_token_ttl;
  token_options.lifetimes.refresh_token_ttl = config.tokens.refresh_token_ttl;
  token_options.lifetimes.authorization_code_ttl = config.tokens.authorization_code_ttl;
  token_options.lifetimes.session_lifetime = config.tokens.session_lifetime;
  token_options.lifetimes.device_code_ttl = config.tokens.device_code_ttl;
  token_options.device_code_interval = config.tokens.device_code_interval;
  service->client_secret_aead_ = std::make_unique<crypto::Aead>(*encryption);
  oauth::JwksFetchOptions jwks_options;
  jwks_options.timeout = config.clients.jwks_uri.timeout;
  jwks_options.max_bytes = static_cast<std::size_t>(config.clients.jwks_uri.max_bytes);
  jwks_options.cache_ttl = config.clients.jwks_uri.cache_ttl;
  jwks_options.allow_http = config.clients.jwks_uri.allow_http;
  jwks_options.allow_private_addresses = config.clients.jwks_uri.allow_private_addresses;
  service->jwks_fetcher_ = std::make_unique<oauth::JwksFetcher>(clock, jwks_options);
  token_options.client_authentication.max_assertion_lifetime =
      config.clients.assertion_max_lifetime;
  token_options.client_authentication.leeway = config.clients.assertion_leeway;
  token_options.client_authentication.secret_aead = service->client_secret_aead_.get();
  token_options.client_authentication.jwks = service->jwks_fetcher_.get();
  oauth::scheduleAssertionJtiPurge(*service->job_runner_, *service->database_, clock);
  service->token_endpoints_ =
      std::make_unique<oauth::TokenEndpoints>(*service->database_, rng, clock, service->keys_,
                                              std::move(token_options), service->homeserver_.get());
  // On PostgreSQL, what other instances and `mxauth` commands revoke, end or
  // lock reaches this instance's introspection cache at once (LISTEN/NOTIFY);
  // on SQLite the cache's staleness bound applies.
  oauth::IntrospectionCache& cache = service->token_endpoints_->introspectionCache();
  service->web_context_->introspection_cache = &cache;
  service->web_context_->grant_form_targets = service->grant_form_targets_.get();
  service->web_context_->mailer = service->mailer_.get();
  service->web_context_->email_templates = service->email_templates_.get();
  service->invalidations_ = service->database_->subscribeToInvalidations(
      [&cache](const storage::Invalidation& change) { oauth::applyInvalidation(cache, change); });
  compat::CompatOptions compat_options;
  compat_options.server_name = config.matrix.homeserver;
  compat_options.access_token_ttl = config.tokens.access_token_ttl;
  service->compat_ = std::make_unique<compat::CompatHandlers>(
      compat::CompatContext{*service->database_, *service->hasher_, rng, clock,
                            *service->homeserver_, service->token_endpoints_->introspectionCache(),
                            compat_options, service->login_throttle_.get()});
  service->metrics_ = std::make_unique<http::Metrics>(service->registry_);
  std::size_t workers =
      std::max<std::size_t>(4, static_cast<std::size_t>(config.database.max_connections));
  service->blocking_pool_ =
      std::make_unique<core::WorkerPool>("blocking", workers, kBlockingQueueLimit);
  // Twice the hash slots, so that a slot never idles while its request
  // does its database work; the queue is the hasher's waiting room, about a
  // second of hashing at the defaults on two cores.
  const crypto::PasswordHasherOptions& hashing = service->hasher_->options();
  service->password_pool_ = std::make_unique<core::WorkerPool>(
      "passwords", 2 * hashing.max_concurrent, hashing.max_waiting);
  service->mountRoutes();

  http::ServerOptions server_options;
  server_options.listen = config.http.listen;
  server_options.io_threads = static_cast<std::size_t>(std::max(1, config.http.io_threads));
  server_options.max_connections =
      connectionLimit(config, workers + service->password_pool_->threads());
  server_options.max_body_bytes = static_cast<std::size_t>(config.http.max_body_bytes);
  server_options.header_timeout = config.http.header_timeout;
  server_options.idle_timeout = config.http.idle_timeout;
  auto trusted_proxies = http::TrustedProxies::parse(config.http.trusted_proxies);
  if (!trusted_proxies) return unexpected("http.trusted_proxies: " + trusted_proxies.error());
  server_options.trusted_proxies = std::move(*trusted_proxies);
  // RFC 6797: browsers that reached us over https must keep using https.
  if (config.http.public_base.starts_with("https://")) {
    server_options.strict_transport_security = "max-age=31536000";
  }
  http::ServerHooks hooks;
  hooks.access_log = [](std::string_view line) { logAccessLine(line); };
  hooks.error_log = [](std::string_view message) { logError(message); };
  hooks.warning_log = [](std::string_view message) { logWarn(message); };
  hooks.metrics = service->metrics_.get();
  hooks.clock = &clock;
  hooks.rng = &rng;
  service->server_ = std::make_unique<http::Server>(server_options, service->router_,
                                                    *service->blocking_pool_, std::move(hooks));
  return service;
}

void Service::mountRoutes() {
  oauth::DiscoveryOptions discovery;
  discovery.public_base = config_.http.public_base;
  discovery.registration_enabled = config_.account.registration;
  discovery.account_management_actions = web::supportedAccountActions(web_context_->settings);
  discovery.ui_locales = web_context_->templates.catalogue().languages();
  oauth::mountDiscoveryRoutes(router_, discovery, keys_);
  oauth::RegistrationOptions registration;
  registration.rules = clientMetadataRules(config_);
  // Fixed at start-up, like the metadata: a rotation renews the algorithms
  // in use; one added by `keys rotate --alg` is advertised after a restart.
  registration.rules.id_token_algorithms = keys_.current()->algorithms();
  registration.secret_aead = client_secret_aead_.get();
  oauth::mountRegistrationRoutes(router_, *database_, rng_, clock_, registration);
  oauth::mountTokenRoutes(router_, *token_endpoints_);
  compat::mountCompatRoutes(router_, *compat_);
  web::mountWebRoutes(router_, *web_context_);
  // The routes that hash a password run on their own pool: a flood of
  // logins waits (and past the queue's limit gets 503 at once) there,
  // while refreshes, introspection misses and pages keep the main pool.
  for (const auto& [method, pattern] : kPasswordRoutes) {
    if (!router_.setPool(method, pattern, password_pool_.get())) {
      throw std::logic_error("password route not mounted: " + std::string(pattern));
    }
  }

  // GET /health: 200 when the database answers, 503 otherwise. Blocking,
  // because the ping is a database round trip.
  router_.add(http::Method::Get, "/health", [this](http::Request&) {
    auto ping = database_->ping();
    if (!ping) {
      return http::Response::json(503, R"({"status":"unavailable","database":"unreachable"})");
    }
    return http::Response::json(200, R"({"status":"ok"})");
  });

  auto gauges = std::make_shared<ResourceGauges>(registry_);
  http::Handler serialise = http::metricsHandler(registry_);
  router_.add(http::Method::Get, "/metrics",
              [this, gauges, serialise](http::Request& request) {
                gauges->update(*database_, *hasher_);
                gauges->update(job_runner_->stats());
                return serialise(request);
              },
              {.execution = http::Execution::Inline, .fast_path = {}});
}

Result<void, std::string> Service::start() { return server_->start(); }

std::uint16_t Service::boundPort() const { return server_->boundPort(); }

void Service::runUntilSignal() {
  token_endpoints_->start();
  job_runner_->start();
  if (key_watcher_) key_watcher_->start(config_.secrets.key_rotation.check_interval);
  server_->runUntilSignal();
  if (key_watcher_) key_watcher_->stop();
  job_runner_->stop();
  token_endpoints_->stop();
}

void Service::stop() { server_->stop(); }

}  // namespace mxauth::app
