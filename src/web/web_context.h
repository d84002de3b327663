#pragma once

// Everything the browser pages need, handed in by the composition root
// (style §6.17). The references must outlive the router the routes are
// mounted on.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "accounts/login_throttle.h"
#include "core/clock.h"
#include "core/rate_limiter.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "crypto/key_source.h"
#include "crypto/password_hasher.h"
#include "domain/oauth.h"
#include "email/mailer.h"
#include "homeserver/homeserver_connection.h"
#include "oauth/introspection_cache.h"
#include "storage/database.h"
#include "templates/emails.h"
#include "templates/templates.h"
#include "web/grant_form_targets.h"

namespace mxauth::web {

struct WebSettings {
  // http.public_base: the issuer (RFC 9207 `iss`) and our own origin.
  std::string public_base = "http://127.0.0.1:8080/";
  std::string service_name = "mxauth";   // branding.service_name
  std::string homeserver = "localhost";  // matrix.homeserver (server_name)
  bool registration_enabled = true;      // account.registration
  bool password_change_enabled = true;   // account.password_change
  bool deactivation_enabled = true;      // account.deactivation
  bool email_change_enabled = true;      // account.email_change
  // account.registration_token_required: registration needs a token made
  // with `mxauth registration-token add`.
  bool registration_token_required = false;
  // account.email_verification_required: registration needs an address,
  // verified by a code before the account exists (web/registration_verify.cpp).
  bool email_verification_required = false;
  // branding.tos_uri: registration needs the terms accepted.
  std::optional<std::string> tos_uri;
  // Password recovery by e-mail (web/recovery.h): account.password_recovery,
  // in effect only with a mailer; account.password_recovery_ttl.
  bool password_recovery_enabled = true;
  std::chrono::seconds recovery_link_ttl{600};
  // Step-up authentication (web/step_up.h): account.step_up.max_age and
  // account.step_up.stages.
  std::chrono::seconds step_up_max_age{300};
  std::vector<std::string> step_up_stages{"password"};
  // Browser sessions (web/session.h).
  std::chrono::seconds session_idle_lifetime = std::chrono::hours(24 * 7);
  std::chrono::seconds session_absolute_lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(domain::kBrowserSessionLifetime);
  // How long an /authorize request may wait for the user to log in and
  // consent before it must be started again.
  std::chrono::seconds grant_lifetime = std::chrono::hours(1);
  // How long a legacy SSO login (web/compat_sso.h) may wait for the user.
  std::chrono::seconds compat_sso_lifetime = std::chrono::minutes(30);
};

struct WebContext {
  storage::Database& database;
  crypto::PasswordHasher& hasher;
  Rng& rng;
  const Clock& clock;
  const templates::Templates& templates;
  // secrets.encryption: keys the session cookie and the CSRF tokens.
  crypto::EncryptionSecret encryption_secret{};
  WebSettings settings;
  // Asked whether a localpart is free before an account is created; null
  // (tests) or stand-alone: every valid localpart is.
  homeserver::HomeserverConnection* homeserver = nullptr;
  // The login limits, shared with the legacy login API; null: none. Over a
  // limit, the login page comes back with 429 before any hashing.
  accounts::LoginThrottle* login_throttle = nullptr;
  // The signing keys, to recognise the ID tokens we issued when they come
  // back as id_token_hint (web/end_session.h, the authorization endpoint);
  // null: no hint is ours.
  const crypto::KeySource* keys = nullptr;
  // Wrong user codes typed into /link, per client address
  // (rate_limits.device_link); null: no limit. `on_device_link_limited` is
  // told of each refusal (the metric).
  core::RateLimiter* device_link_limiter = nullptr;
  std::function<void()> on_device_link_limited{};
  // The introspection cache of this process, told of the sessions the
  // account pages end (a password change, a deactivation) so that their
  // tokens introspect inactive at once; null: no cache (tests).
  oauth::IntrospectionCache* introspection_cache = nullptr;
  // Queues e-mail (the e-mail step-up stage's codes, web/step_up.h) and
  // renders it; null: no e-mail can be sent.
  email::Mailer* mailer = nullptr;
  const templates::EmailTemplates* email_templates = nullptr;
  // The form targets of the requests this process sent to sign in, for
  // their login pages (grant_form_targets.h); null: read from storage.
  GrantFormTargets* grant_form_targets = nullptr;
};

}  // namespace mxauth::web
