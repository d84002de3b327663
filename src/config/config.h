#pragma once

// The service configuration as plain values. Every member has the default
// that lets `mxauth serve` start with no file at all (interface.md §3);
// config/load.h fills these from YAML and MXAUTH_* environment variables and
// guarantees that a loaded Config passes validateConfig().
//
// Member names are the YAML key names, so `config.email.smtp.port` is the
// key `email.smtp.port` and the variable MXAUTH_EMAIL__SMTP__PORT.
// Durations are whole seconds. docs/configuration.md describes every key.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxauth::config {

struct HttpConfig {
  // host:port to bind; [v6]:port for IPv6 (see parseListenAddress).
  std::string listen = "127.0.0.1:8080";
  // Public URL of the service, absolute http(s), always ending with '/'. The
  // OAuth issuer is this exact string.
  std::string public_base = "http://127.0.0.1:8080/";
  // mxauth extensions: server resources and limits.
  int io_threads = 1;
  int max_connections = 10000;
  std::int64_t max_body_bytes = 1048576;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
  // Peers (CIDR, or a bare address meaning one host) whose X-Forwarded-For
  // is believed. Empty: the socket peer is the client.
  std::vector<std::string> trusted_proxies;

  bool operator==(const HttpConfig&) const = default;
};

struct DatabaseConfig {
  // sqlite://PATH, postgresql://... or postgres://... (libpq URI).
  std::string uri = "sqlite://./data/mxauth.db";
  int max_connections = 10;
  std::chrono::seconds connect_timeout{5};

  bool operator==(const DatabaseConfig&) const = default;
};

// A signing key given inline instead of in secrets.keys_dir.
struct InlineKey {
  std::optional<std::string> kid;  // derived from the key when absent
  std::string key;                 // PEM private key

  bool operator==(const InlineKey&) const = default;
};

// Signing-key rotation (`mxauth keys ...`, crypto/key_ring.h).
struct KeyRotationConfig {
  // How long a key that stopped signing stays in the JWKS and verifies: ID
  // tokens it signed, and id_token_hints made of them, must still check.
  std::chrono::seconds grace_period{7 * 24 * 3600};
  // How long after `mxauth keys rotate` the new key starts signing; until
  // then it is only published, so that every instance and relying party can
  // learn it first.
  std::chrono::seconds activation_delay{60};
  // How often a running server looks for a changed key ring.
  std::chrono::seconds check_interval{10};

  bool operator==(const KeyRotationConfig&) const = default;
};

struct SecretsConfig {
  std::filesystem::path keys_dir = "./data/keys";
  // 64 hex characters (32 bytes). Empty: the app generates one on first
  // start into keys_dir/encryption.secret.
  std::optional<std::string> encryption;
  // When non-empty, these keys are used and keys_dir is not read for
  // signing keys.
  std::vector<InlineKey> keys;
  KeyRotationConfig key_rotation;

  bool operator==(const SecretsConfig&) const = default;
};

struct MatrixConfig {
  std::string homeserver = "localhost";  // server_name: @localpart:homeserver
  // Internal URL of the homeserver, ending with '/'; empty = stand-alone.
  std::string endpoint;
  std::string secret;  // shared with the homeserver; required with endpoint

  bool operator==(const MatrixConfig&) const = default;
};

// Step-up authentication before a sensitive operation on the account pages
// (web/step_up.h): the browser session must have authenticated less than
// max_age ago, else the user goes through `stages`, in order.
struct StepUpConfig {
  std::chrono::seconds max_age{300};
  std::vector<std::string> stages{"password"};

  bool operator==(const StepUpConfig&) const = default;
};

struct AccountConfig {
  bool registration = true;
  bool password_change = true;
  bool email_change = true;
  bool deactivation = true;
  StepUpConfig step_up;
  // Password recovery by e-mail (mxauth extension): in effect only when
  // email.transport is not blackhole.
  bool password_recovery = true;
  std::chrono::seconds password_recovery_ttl{600};
  // Registration needs a token from `mxauth registration-token add`.
  bool registration_token_required = false;
  // Registration needs an e-mail address, verified by a code before the
  // account is created.
  bool email_verification_required = false;

  bool operator==(const AccountConfig&) const = default;
};

enum class EmailTransport { Blackhole, Smtp };
enum class SmtpMode { Plain, StartTls, Tls };

struct SmtpConfig {
  std::string host = "127.0.0.1";
  int port = 25;
  SmtpMode mode = SmtpMode::Plain;
  std::string username;
  std::string password;

  bool operator==(const SmtpConfig&) const = default;
};

struct EmailConfig {
  EmailTransport transport = EmailTransport::Blackhole;
  SmtpConfig smtp;
  std::string from = "mxauth <noreply@localhost>";

  bool operator==(const EmailConfig&) const = default;
};

struct TokensConfig {
  std::chrono::seconds access_token_ttl{300};
  std::chrono::seconds refresh_token_ttl{2592000};
  std::chrono::seconds authorization_code_ttl{600};
  std::chrono::seconds session_lifetime{0};  // 0: no absolute lifetime
  // The device authorization grant (RFC 8628): how long a device code
  // waits for the user, and the least time between two polls.
  std::chrono::seconds device_code_ttl{1200};
  std::chrono::seconds device_code_interval{5};
  // The periodic cleanup (jobs/cleanup.h): how often it runs (0: never),
  // and how long dead rows are kept before it deletes them.
  std::chrono::seconds cleanup_interval{600};
  std::chrono::seconds retention{604800};

  bool operator==(const TokensConfig&) const = default;
};

// Fetching the JWK sets of private_key_jwt clients (mxauth extension).
struct JwksUriConfig {
  std::chrono::seconds timeout{5};
  std::int64_t max_bytes = 65536;
  std::chrono::seconds cache_ttl{300};
  bool allow_http = false;
  bool allow_private_addresses = false;
  bool operator==(const JwksUriConfig&) const = default;
};

// Client authentication with signed assertions (mxauth extension).
struct ClientsConfig {
  std::chrono::seconds assertion_max_lifetime{300};
  std::chrono::seconds assertion_leeway{30};
  JwksUriConfig jwks_uri;

  bool operator==(const ClientsConfig&) const = default;
};

// argon2id parameters for new password hashes (OWASP: m=19 MiB, t=2, p=1).
struct PasswordsConfig {
  std::uint32_t argon2_memory_kib = 19456;
  std::uint32_t argon2_iterations = 2;
  std::uint32_t argon2_parallelism = 1;
  // Hashes computed at once; 0 = one per CPU core.
  int max_concurrent_hashes = 0;

  bool operator==(const PasswordsConfig&) const = default;
};

// One rate limit (mxauth extension): `burst` attempts at once, then one
// more every `refill_interval`. burst 0 turns the limit off.
struct RateLimitConfig {
  int burst = 0;
  std::chrono::seconds refill_interval{1};

  bool operator==(const RateLimitConfig&) const = default;
};

// Password logins, the browser page and the legacy API counted together
// (accounts/login_throttle.h). Every attempt counts per client address;
// only wrong passwords count per account.
struct LoginRateLimitsConfig {
  RateLimitConfig per_ip{10, std::chrono::seconds(3)};
  RateLimitConfig per_account{5, std::chrono::seconds(60)};

  bool operator==(const LoginRateLimitsConfig&) const = default;
};

// Wrong user codes typed into /link (the device authorization grant),
// counted per client address: burst 10, then one every 6 s.
struct DeviceLinkRateLimitsConfig {
  RateLimitConfig per_ip{10, std::chrono::seconds(6)};

  bool operator==(const DeviceLinkRateLimitsConfig&) const = default;
};

struct RateLimitsConfig {
  LoginRateLimitsConfig login;
  DeviceLinkRateLimitsConfig device_link;

  bool operator==(const RateLimitsConfig&) const = default;
};

// The durable job queue (jobs/job_runner.h; mxauth extension).
struct JobsConfig {
  // How long a claimed job stays with the instance that claimed it. An
  // instance that dies (kill -9, a crash) leaves its claimed jobs to be
  // taken again when this runs out; it must be longer than any job runs.
  std::chrono::seconds lease{300};

  bool operator==(const JobsConfig&) const = default;
};

enum class LogLevel { Trace, Debug, Info, Warn, Error };
enum class LogFormat { Json, Text };

struct LogConfig {
  LogLevel level = LogLevel::Info;
  LogFormat format = LogFormat::Json;

  bool operator==(const LogConfig&) const = default;
};

struct BrandingConfig {
  std::string service_name = "mxauth";
  std::optional<std::string> tos_uri;
  std::optional<std::string> policy_uri;

  bool operator==(const BrandingConfig&) const = default;
};

struct Config {
  HttpConfig http;
  DatabaseConfig database;
  SecretsConfig secrets;
  MatrixConfig matrix;
  AccountConfig account;
  EmailConfig email;
  TokensConfig tokens;
  ClientsConfig clients;
  PasswordsConfig passwords;
  RateLimitsConfig rate_limits;
  JobsConfig jobs;
  LogConfig log;
  BrandingConfig branding;

  bool operator==(const Config&) const = default;
};

// The YAML spelling of each enumerator ("blackhole", "starttls", "warn", ...).
std::string_view toString(EmailTransport value);
std::string_view toString(SmtpMode value);
std::string_view toString(LogLevel value);
std::string_view toString(LogFormat value);

}  // namespace mxauth::config
