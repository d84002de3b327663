// mxauth [--config FILE] COMMAND ... (interface.md §2)
//
// Exit status: 0 on success, 2 on bad usage, 1 on any other error with one
// line on stderr that says what.

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include "app/doctor.h"
#include "app/email_setup.h"
#include "app/key_admin.h"
#include "app/logging.h"
#include "app/registration_tokens.h"
#include "app/service.h"
#include "app/user_admin.h"
#include "compat/operator_tokens.h"
#include "config/generate.h"
#include "config/load.h"
#include "config/validate.h"
#include "core/clock.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "crypto/keys.h"
#include "domain/email_address.h"
#include "jobs/cleanup.h"
#include "oauth/static_clients.h"

namespace mxauth::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

int fail(std::string_view message) {
  std::fprintf(stderr, "mxauth: %.*s\n", static_cast<int>(message.size()), message.data());
  return kExitError;
}

Result<config::Config, std::string> loadConfiguration(const std::optional<std::string>& flag) {
  std::optional<std::filesystem::path> path;
  if (flag) path = *flag;
  auto loaded =
      config::loadConfig(config::resolveConfigPath(path), config::Environment::fromProcess());
  if (!loaded) return unexpected(loaded.error().toString());
  return std::move(*loaded);
}

// The password on stdin: everything up to EOF, without one trailing newline.
Result<std::string, std::string> readPasswordFromStdin() {
  std::string password((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) return unexpected(std::string("no password on stdin"));
  return password;
}

int commandServe(const config::Config& cfg, bool no_migrate) {
  SystemClock clock;
  OsRng rng;
  app::configureLogging(cfg.log, clock);
  // Declared before the service, so that it outlives the service's threads.
  const app::BackgroundLogging background_logging;
  auto service = app::Service::create(cfg, clock, rng, {.migrate = !no_migrate});
  if (!service) return fail(service.error());
  auto started = (*service)->start();
  if (!started) return fail(started.error());
  app::logInfo("listening", {{"address", cfg.http.listen},
                             {"port", std::to_string((*service)->boundPort())},
                             {"issuer", cfg.http.public_base},
                             {"database", std::string((*service)->database().backendName())}});
  (*service)->runUntilSignal();
  app::logInfo("stopped");
  return kExitOk;
}

int commandConfigGenerate() {
  OsRng rng;
  config::Config cfg = config::generateConfig(rng);
  for (auto algorithm : {crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::Es256,
                         crypto::SigningAlgorithm::EdDsa}) {
    auto key = crypto::SigningKey::generate(algorithm);
    if (!key) return fail("cannot generate a signing key: " + key.error().detail);
    auto pem = key->privateKeyPem();
    if (!pem) return fail("cannot encode a signing key: " + pem.error().detail);
    cfg.secrets.keys.push_back({key->kid(), *pem});
  }
  std::fputs(config::renderConfig(cfg).c_str(), stdout);
  return kExitOk;
}

int commandDbMigrate(const config::Config& cfg) {
  SystemClock clock;
  app::configureLogging(cfg.log, clock);
  auto database = app::openDatabase(cfg.database);
  if (!database) return fail(database.error());
  auto pending = (*database)->pendingMigrations();
  auto migrated = app::migrateDatabase(**database, clock);
  if (!migrated) return fail(migrated.error());
  std::size_t count = pending ? pending->size() : 0;
  std::printf("%s\n", count == 0 ? "database is up to date"
                                 : fmt::format("applied {} migration(s)", count).c_str());
  return kExitOk;
}

// Runs the periodic cleanup (jobs/cleanup.h) until nothing dead is left,
// with the configured retention, and prints what it deleted per table.
int commandDbCleanup(const config::Config& cfg, storage::Database& database, const Clock& clock) {
  jobs::CleanupOptions options;
  options.retention = cfg.tokens.retention;
  std::array<std::int64_t, storage::kCleanupOrder.size()> deleted{};
  jobs::CleanupCursors cursors;
  for (;;) {
    jobs::CleanupReport report = jobs::runCleanup(database, clock, options, cursors);
    for (std::size_t i = 0; i < deleted.size(); ++i) deleted[i] += report.deleted[i];
    if (report.error) return fail("cleanup: " + *report.error);
    if (!report.capped) break;
  }
  std::string json = "{";
  std::int64_t total = 0;
  for (std::size_t i = 0; i < deleted.size(); ++i) {
    json += fmt::format(R"("{}":{},)", storage::tableName(storage::kCleanupOrder[i]), deleted[i]);
    total += deleted[i];
  }
  json += fmt::format(R"("total":{}}})", total);
  std::printf("%s\n", json.c_str());
  return kExitOk;
}

std::string userJson(const domain::User& user, std::string_view server_name) {
  return fmt::format(R"({{"id":"{}","user_id":"@{}:{}","admin":{},"locked":{},"deactivated":{}}})",
                     user.id.str(), user.localpart, server_name, user.is_admin, user.isLocked(),
                     !user.isActive());
}

// Opens the database for a management command (migrating first, so that a
// fresh install can `user add` before its first `serve`).
template <class Fn>
int withDatabase(const config::Config& cfg, Fn&& fn) {
  SystemClock clock;
  OsRng rng;
  app::configureLogging({.level = config::LogLevel::Warn, .format = cfg.log.format}, clock);
  auto database = app::openDatabase(cfg.database);
  if (!database) return fail(database.error());
  auto migrated = app::migrateDatabase(**database, clock);
  if (!migrated) return fail(migrated.error());
  return fn(**database, clock, rng);
}

// A file of at most 1 MiB, whole (a JWK set for `client add --jwks`).
Result<std::string, std::string> readSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(std::string("cannot be read"));
  std::string text;
  constexpr std::size_t kLimit = std::size_t{1} << 20;
  text.resize(kLimit + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kLimit) return unexpected(std::string("is larger than 1 MiB"));
  return text;
}

int printUserOr(const Result<domain::User, app::AdminError>& result, const config::Config& cfg) {
  if (!result) return fail(result.error().message);
  std::printf("%s\n", userJson(*result, cfg.matrix.homeserver).c_str());
  return kExitOk;
}

int run(int argc, char** argv) {
  CLI::App cli{"mxauth: an OAuth 2.0 / OpenID Connect authorization server for Matrix homeservers",
               "mxauth"};
  cli.require_subcommand(1);
  std::optional<std::string> config_flag;
  cli.add_option("--config", config_flag, "configuration file (default: ./mxauth.yaml if present)");

  auto* serve =
      cli.add_subcommand("serve", "run the HTTP server (applies pending migrations first)");
  bool no_migrate = false;
  serve->add_flag("--no-migrate", no_migrate, "refuse to start when migrations are pending");

  auto* config_cmd = cli.add_subcommand("config", "configuration files");
  config_cmd->require_subcommand(1);
  auto* config_generate = config_cmd->add_subcommand(
      "generate", "print a complete commented config with fresh secrets");
  auto* config_check = config_cmd->add_subcommand("check", "validate the configuration");

  auto* db = cli.add_subcommand("db", "database");
  db->require_subcommand(1);
  auto* db_migrate = db->add_subcommand("migrate", "apply pending migrations");
  auto* db_cleanup = db->add_subcommand(
      "cleanup", "delete the tokens, sessions and flows dead for longer than tokens.retention");

  auto* user = cli.add_subcommand("user", "manage local users");
  user->require_subcommand(1);
  std::string name;
  bool password_stdin = false;
  std::optional<std::string> email;
  bool admin = false;
  auto* user_add = user->add_subcommand("add", "create a local user");
  user_add->add_option("NAME", name, "the Matrix localpart")->required();
  user_add->add_flag("--password-stdin", password_stdin, "read the password from stdin");
  user_add->add_option("--email", email, "a confirmed e-mail address");
  user_add->add_flag("--admin", admin, "make the user an administrator");
  auto* user_set_password = user->add_subcommand("set-password", "set a user's password");
  user_set_password->add_option("NAME", name, "the Matrix localpart")->required();
  user_set_password->add_flag("--password-stdin", password_stdin, "read the password from stdin")
      ->required();
  struct StateCommand {
    const char* name;
    const char* help;
    app::AccountAction action;
  };
  constexpr StateCommand kStateCommands[] = {
      {"lock",
       "lock an account: it keeps its data and sessions but cannot log in, its tokens stop "
       "working and its browser sessions end",
       app::AccountAction::Lock},
      {"unlock", "unlock an account", app::AccountAction::Unlock},
      {"deactivate",
       "deactivate an account: every session ends and the homeserver deactivates the user",
       app::AccountAction::Deactivate},
      {"reactivate", "reactivate a deactivated account", app::AccountAction::Reactivate},
  };
  std::optional<std::string> device_id;
  auto* user_issue_token = user->add_subcommand(
      "issue-compat-token",
      "issue a never-expiring legacy access token on one device, for bots and scripts; prints it "
      "as JSON");
  user_issue_token->add_option("NAME", name, "the Matrix localpart")->required();
  user_issue_token->add_option("--device-id", device_id, "the device (generated when absent)");
  user_issue_token->add_flag("--admin", admin,
                             "give the token the Synapse admin scope (urn:synapse:admin:*)");
  std::vector<std::pair<CLI::App*, app::AccountAction>> state_commands;
  bool erase = false;
  for (const auto& command : kStateCommands) {
    auto* sub = user->add_subcommand(command.name, command.help);
    sub->add_option("NAME", name, "the Matrix localpart")->required();
    if (command.action == app::AccountAction::Deactivate) {
      sub->add_flag("--erase", erase,
                    "also ask the homeserver to erase the user's data (GDPR erasure)");
    }
    state_commands.emplace_back(sub, command.action);
  }

  auto* client = cli.add_subcommand("client", "manage OAuth clients");
  client->require_subcommand(1);
  oauth::StaticClientRequest client_request;
  auto* client_add = client->add_subcommand(
      "add", "register a static client; prints its client_id (and secret) as JSON");
  client_add->add_option("--name", client_request.name, "the client's name")->required();
  client_add->add_option("--redirect-uri", client_request.redirect_uris,
                         "a redirect URI (repeatable)");
  client_add->add_option("--post-logout-redirect-uri", client_request.post_logout_redirect_uris,
                         "where RP-initiated logout may return the browser (repeatable)");
  client_add->add_flag("--confidential", client_request.confidential,
                       "a confidential client: a secret is generated and printed once");
  client_add->add_option("--grant", client_request.grants,
                         "a grant type (repeatable; default authorization_code and refresh_token)");
  client_add->add_option("--scope", client_request.scopes,
                         "a scope the client may request (repeatable)");
  client_add->add_option("--auth-method", client_request.auth_method,
                         "none, client_secret_basic, client_secret_post, client_secret_jwt or "
                         "private_key_jwt (default: client_secret_basic with --confidential, "
                         "else none)");
  std::optional<std::string> jwks_file;
  client_add->add_option("--jwks", jwks_file,
                         "private_key_jwt: a file holding the client's public JWK set");
  client_add->add_option("--jwks-uri", client_request.jwks_uri,
                         "private_key_jwt: where the client publishes its JWK set");
  client_add->add_option("--signing-alg", client_request.signing_alg,
                         "the one algorithm the client's assertions may use "
                         "(token_endpoint_auth_signing_alg)");

  auto* keys = cli.add_subcommand("keys", "signing keys of secrets.keys_dir (rotation)");
  keys->require_subcommand(1);
  std::vector<std::string> key_algorithms;
  bool publish_only = false;
  bool immediately = false;
  bool list_json = false;
  std::string kid;
  auto* keys_rotate = keys->add_subcommand(
      "rotate",
      "add a new signing key per algorithm; it signs after secrets.key_rotation.activation_delay "
      "and the key it replaces retires after grace_period; prints JSON");
  keys_rotate
      ->add_option("--alg", key_algorithms,
                   "RS256, ES256 or EdDSA (repeatable; default: each "
                   "algorithm in use)")
      ->check(CLI::IsMember({"RS256", "ES256", "EdDSA"}));
  keys_rotate->add_flag("--publish-only", publish_only,
                        "only publish the new keys; `keys activate KID` makes them sign");
  auto* immediately_flag = keys_rotate->add_flag(
      "--immediately", immediately, "sign with the new keys at once (no activation delay)");
  immediately_flag->excludes(keys_rotate->get_option("--publish-only"));
  auto* keys_activate =
      keys->add_subcommand("activate", "make a published key sign (after activation_delay)");
  keys_activate->add_option("KID", kid, "the key's kid")->required();
  keys_activate->add_flag("--immediately", immediately, "sign with it at once");
  auto* keys_retire = keys->add_subcommand(
      "retire",
      "retire a key at once: it leaves the JWKS (a compromised key); not the signing one");
  keys_retire->add_option("KID", kid, "the key's kid")->required();
  auto* keys_prune = keys->add_subcommand("prune", "remove retired keys and their files");
  auto* keys_list =
      keys->add_subcommand("list", "show each key: kid, algorithm, state and its instants");
  keys_list->add_flag("--json", list_json, "as JSON");

  auto* audit = cli.add_subcommand("audit", "the audit log of sensitive account operations");
  audit->require_subcommand(1);
  std::optional<std::string> audit_user;
  std::size_t audit_limit = 100;
  auto* audit_list = audit->add_subcommand(
      "list", "print the newest events first, one JSON object per line (mxauth extension)");
  audit_list->add_option("--user", audit_user, "only this user's events (the Matrix localpart)");
  audit_list->add_option("--limit", audit_limit, "at most this many events (1-1000, default 100)")
      ->check(CLI::Range(1, 1000));

  auto* registration_token = cli.add_subcommand(
      "registration-token",
      "tokens that registration asks for with account.registration_token_required (mxauth "
      "extension)");
  registration_token->require_subcommand(1);
  std::optional<std::int64_t> token_uses;
  std::optional<std::int64_t> token_expires_in;
  std::string token_or_id;
  auto* token_add = registration_token->add_subcommand(
      "add", "create a token and print it once, with its id, as JSON");
  token_add->add_option("--uses", token_uses, "how many accounts it may create (default: any)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000000}));
  token_add
      ->add_option("--expires-in", token_expires_in, "seconds until it expires (default: never)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{315360000}));
  auto* token_list = registration_token->add_subcommand(
      "list", "print every token (its id, never the token), one JSON object per line");
  auto* token_revoke =
      registration_token->add_subcommand("revoke", "revoke a token, given the token or its id");
  token_revoke->add_option("TOKEN", token_or_id, "the token or its id")->required();

  auto* doctor = cli.add_subcommand(
      "doctor", "check a live deployment: metadata, homeserver, shared secret, proxy routes");
  std::optional<std::string> client_url;
  doctor->add_option("--client-url", client_url,
                     "the homeserver's public client URL, to check the proxy's routes");

  auto* email_cmd = cli.add_subcommand("email", "outgoing e-mail (email.*)");
  email_cmd->require_subcommand(1);
  std::string email_address;
  auto* email_test = email_cmd->add_subcommand(
      "test", "send a test message to ADDRESS now, through email.transport (not the job queue)");
  email_test->add_option("ADDRESS", email_address, "the recipient")->required();
  std::string email_language = "en";
  email_test->add_option("--lang", email_language,
                         "the language of the message (a catalogue of resources/i18n: en, fr)");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    cli.exit(e);
    return kExitUsage;
  }

  if (config_generate->parsed()) return commandConfigGenerate();

  auto cfg = loadConfiguration(config_flag);
  if (!cfg) return fail(cfg.error());

  if (config_check->parsed()) {
    std::printf("configuration ok\n");
    return kExitOk;
  }
  if (serve->parsed()) return commandServe(*cfg, no_migrate);
  if (doctor->parsed()) {
    bool healthy = true;
    for (const app::DoctorCheck& check : app::runDoctor(*cfg, {.client_url = client_url})) {
      const char* mark = check.outcome == app::CheckOutcome::Ok       ? "ok  "
                         : check.outcome == app::CheckOutcome::Failed ? "FAIL"
                                                                      : "skip";
      healthy = healthy && check.outcome != app::CheckOutcome::Failed;
      std::printf("%s %s: %s\n", mark, check.name.c_str(), check.detail.c_str());
    }
    return healthy ? kExitOk : kExitError;
  }
  if (db_migrate->parsed()) return commandDbMigrate(*cfg);
  if (db_cleanup->parsed()) {
    return withDatabase(*cfg, [&cfg](storage::Database& database, const Clock& clock, Rng&) {
      return commandDbCleanup(*cfg, database, clock);
    });
  }
  if (email_test->parsed()) {
    if (!domain::isValidEmailAddress(email_address)) {
      std::fprintf(stderr, "mxauth: \"%s\" is not an e-mail address\n", email_address.c_str());
      return kExitUsage;
    }
    SystemClock clock;
    OsRng rng;
    app::configureLogging({.level = config::LogLevel::Warn, .format = cfg->log.format}, clock);
    auto sent = app::sendTestEmail(*cfg, clock, rng, email_address, email_language);
    if (!sent) return fail("the test message was not sent: " + sent.error());
    if (cfg->email.transport == config::EmailTransport::Blackhole) {
      std::printf("email.transport is blackhole: the test message was dropped, not sent\n");
    } else {
      std::printf("sent a test message to %s through %s\n", email_address.c_str(),
                  app::makeEmailTransport(*cfg)->describe().c_str());
    }
    return kExitOk;
  }
  if (keys->parsed()) {
    SystemClock clock;
    if (keys_list->parsed()) {
      auto listing = app::listKeys(cfg->secrets, clock);
      if (!listing) return fail(listing.error());
      std::fputs(app::renderKeyListing(*listing, list_json).c_str(), stdout);
      return kExitOk;
    }
    Result<app::KeyRingChange, std::string> change = unexpected(std::string("no command"));
    if (keys_rotate->parsed()) {
      app::KeyRotationRequest request{
          .algorithms = {}, .publish_only = publish_only, .immediately = immediately};
      for (const std::string& algorithm : key_algorithms) {
        request.algorithms.push_back(*crypto::algorithmFromName(algorithm));  // IsMember checked
      }
      change = app::rotateKeys(cfg->secrets, clock, request);
    } else if (keys_activate->parsed()) {
      change = app::activateKey(cfg->secrets, clock, kid, immediately);
    } else if (keys_retire->parsed()) {
      change = app::retireKey(cfg->secrets, clock, kid);
    } else if (keys_prune->parsed()) {
      change = app::pruneKeys(cfg->secrets, clock);
    }
    if (!change) return fail(change.error());
    std::fputs(app::renderKeyChange(*change).c_str(), stdout);
    return kExitOk;
  }

  if (token_add->parsed()) {
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng& rng) {
      app::NewRegistrationToken request;
      request.uses = token_uses;
      if (token_expires_in) request.expires_in = std::chrono::seconds(*token_expires_in);
      auto added = app::addRegistrationToken(database, rng, clock, request);
      if (!added) return fail(added.error().message);
      std::printf("%s\n", added->c_str());
      return kExitOk;
    });
  }
  if (token_list->parsed()) {
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng&) {
      auto lines = app::listRegistrationTokens(database, clock);
      if (!lines) return fail(lines.error().message);
      for (const std::string& line : *lines) std::printf("%s\n", line.c_str());
      return kExitOk;
    });
  }
  if (token_revoke->parsed()) {
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng&) {
      auto revoked = app::revokeRegistrationToken(database, clock, token_or_id);
      if (!revoked) return fail(revoked.error().message);
      std::printf("%s\n", revoked->c_str());
      return kExitOk;
    });
  }
  if (audit_list->parsed()) {
    return withDatabase(*cfg, [&](storage::Database& database, const Clock&, Rng&) {
      auto lines = app::listAuditEvents(database, cfg->matrix.homeserver, audit_user, audit_limit);
      if (!lines) return fail(lines.error().message);
      for (const std::string& line : *lines) std::printf("%s\n", line.c_str());
      return kExitOk;
    });
  }
  if (user_add->parsed()) {
    std::optional<std::string> password;
    if (password_stdin) {
      auto read = readPasswordFromStdin();
      if (!read) return fail(read.error());
      password = std::move(*read);
    }
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng& rng) {
      crypto::PasswordHasher hasher(app::passwordHasherOptions(cfg->passwords));
      return printUserOr(
          app::addUser(database, hasher, rng, clock, cfg->matrix.homeserver,
                       {.name = name, .password = password, .email = email, .admin = admin}),
          *cfg);
    });
  }
  if (user_set_password->parsed()) {
    auto password = readPasswordFromStdin();
    if (!password) return fail(password.error());
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng& rng) {
      crypto::PasswordHasher hasher(app::passwordHasherOptions(cfg->passwords));
      return printUserOr(app::setPassword(database, hasher, rng, clock, name, *password), *cfg);
    });
  }
  if (user_issue_token->parsed()) {
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng& rng) {
      auto homeserver = app::makeHomeserverConnection(*cfg);
      auto issued =
          compat::issueOperatorToken(database, rng, clock, *homeserver,
                                     {.localpart = name, .device_id = device_id, .admin = admin});
      if (!issued) {
        std::fprintf(stderr, "mxauth: %s\n", issued.error().message.c_str());
        return issued.error().kind == compat::OperatorTokenError::Kind::InvalidInput ? kExitUsage
                                                                                     : kExitError;
      }
      std::printf("%s\n",
                  fmt::format(R"({{"user_id":"@{}:{}","device_id":"{}","access_token":"{}",)"
                              R"("admin":{}}})",
                              issued->user.localpart, cfg->matrix.homeserver, issued->device_id,
                              issued->access_token, admin)
                      .c_str());
      return kExitOk;
    });
  }
  if (client_add->parsed()) {
    if (jwks_file) {
      auto jwks = readSmallFile(*jwks_file);
      if (!jwks) {
        std::fprintf(stderr, "mxauth: --jwks %s: %s\n", jwks_file->c_str(), jwks.error().c_str());
        return kExitUsage;
      }
      client_request.jwks = std::move(*jwks);
    }
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng& rng) {
      oauth::StaticClientOptions client_options;
      client_options.rules = app::clientMetadataRules(*cfg);
      std::optional<crypto::Aead> aead;
      if (client_request.auth_method == "client_secret_jwt") {
        auto secret = app::loadEncryptionSecret(*cfg, rng);
        if (!secret) return fail(secret.error());
        aead.emplace(*secret);
        client_options.secret_aead = &*aead;
      }
      auto added = oauth::addStaticClient(database, rng, clock, client_request, client_options);
      if (!added) {
        std::fprintf(stderr, "mxauth: %s\n", added.error().message.c_str());
        return added.error().code == oauth::StaticClientErrorCode::InvalidRequest ? kExitUsage
                                                                                  : kExitError;
      }
      std::printf("%s\n", added->toJson().c_str());
      return kExitOk;
    });
  }
  for (const auto& [sub, state_action] : state_commands) {
    if (!sub->parsed()) continue;
    const auto action = state_action;  // a structured binding cannot be captured before C++20
    return withDatabase(*cfg, [&](storage::Database& database, const Clock& clock, Rng& rng) {
      return printUserOr(app::changeAccountState(database, rng, clock, name, action, erase), *cfg);
    });
  }
  return fail("no command");
}

}  // namespace
}  // namespace mxauth::cli

int main(int argc, char** argv) {
  try {
    return mxauth::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // Start-up problems that a library reported by throwing.
    return mxauth::cli::fail(e.what());
  }
}
