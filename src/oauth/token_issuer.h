#pragma once

// Issuing access and refresh tokens for an OAuthSession, and the token
// response of RFC 6749 §5.1.
//
// Tokens are MAS-format opaque strings (crypto/token.h): "mat_…" access
// tokens that live `access_token_ttl`, "mar_…" refresh tokens that live
// `refresh_token_ttl` (zero: no expiry of their own; they die with the
// session). Only crypto::tokenHashHex() of each is stored (design §7); the
// plain values exist only in the returned IssuedTokens and the response.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/oauth.h"
#include "http/response.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::oauth {

struct TokenLifetimes {
  Duration access_token_ttl = std::chrono::seconds(300);
  Duration refresh_token_ttl = std::chrono::seconds(2592000);
  Duration authorization_code_ttl = std::chrono::seconds(600);
  // How long a device code (RFC 8628) waits for the user.
  Duration device_code_ttl = std::chrono::seconds(1200);
  // Absolute lifetime of an OAuth session, counted from its creation: past
  // it, refresh is refused and the session ends. Zero: no absolute limit
  // (the refresh token's own lifetime still ends idle sessions).
  Duration session_lifetime = Duration::zero();
};

// Everything the token, introspection, revocation and userinfo endpoints
// need from the configuration (the composition root maps config::Config).
struct TokenEndpointOptions {
  // The OAuth issuer: http.public_base, byte for byte as in the metadata.
  std::string issuer;
  // matrix.homeserver: user ids are @localpart:server_name.
  std::string server_name;
  // matrix.secret: the homeserver introspects with "Bearer <secret>".
  // Empty: no homeserver may introspect this way.
  std::string matrix_secret;
  TokenLifetimes lifetimes;
  // A consumed refresh token presented again is a lost-response retry only
  // when its successor is at least this old; a younger successor means two
  // requests raced (security checklist C.20) and the later one fails.
  Duration refresh_retry_min_age = std::chrono::seconds(2);
  // The least time between two polls of one device code (RFC 8628 §3.2).
  Duration device_code_interval = std::chrono::seconds(5);
  // Introspection cache (design §8).
  std::size_t introspection_cache_capacity = 100000;
  Duration introspection_cache_staleness = std::chrono::seconds(10);
  // How often batched session activity is written.
  Duration activity_flush_interval = std::chrono::seconds(5);
};

struct IssuedTokens {
  std::string access_token;
  domain::AccessToken access;
  std::optional<std::string> refresh_token;
  std::optional<domain::RefreshToken> refresh;
};

class TokenIssuer {
 public:
  TokenIssuer(Rng& rng, const Clock& clock, TokenLifetimes lifetimes);

  const TokenLifetimes& lifetimes() const { return lifetimes_; }

  // Stores a new access token (and, with `with_refresh_token`, a refresh
  // token paired with it) under `session`, in `tx`. Nothing is visible to
  // others until the caller commits.
  Result<IssuedTokens, storage::StorageError> issue(storage::Transaction& tx,
                                                    const domain::OAuthSessionId& session,
                                                    bool with_refresh_token) const;

 private:
  Rng& rng_;
  const Clock& clock_;
  TokenLifetimes lifetimes_;
};

// RFC 6749 §5.1 (and OIDC Core §3.1.3.3): {"access_token", "token_type":
// "Bearer", "expires_in" (whole seconds left, at least 0), "refresh_token"?,
// "scope", "id_token"?} with Cache-Control: no-store and Pragma: no-cache.
// `scope` is omitted when empty.
http::Response tokenResponse(const IssuedTokens& tokens, Timestamp now, const std::string& scope,
                             const std::optional<std::string>& id_token);

}  // namespace mxauth::oauth
