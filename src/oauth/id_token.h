#pragma once

// OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6, §3.3.2.11), issued by
// the token endpoint when the granted scope contains `openid`.
//
// `sub` is the user's ULID id: stable for the life of the account, unique on
// this issuer, and unlike the localpart never reassigned to someone else
// (OIDC Core §5.7: "MUST NOT be reassigned"). Userinfo answers the same sub.
//
// at_hash / c_hash: base64url of the left half of the hash of the ASCII
// value, with the hash of the signing algorithm: SHA-256 for RS256 and
// ES256, SHA-512 for EdDSA with Ed25519 (OIDC Core errata set 2, as
// openid-client and jose check it).

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/key_store.h"
#include "crypto/keys.h"
#include "oauth/oauth_error.h"

namespace mxauth::oauth {

struct IdTokenClaims {
  std::string issuer;    // iss: the metadata issuer, byte for byte
  std::string subject;   // sub
  std::string audience;  // aud: the client_id
  Timestamp issued_at;   // iat
  Timestamp expires_at;  // exp
  std::optional<Timestamp> auth_time;
  std::optional<std::string> nonce;
  std::optional<std::string> access_token;  // → at_hash
  std::optional<std::string> code;          // → c_hash
};

// The at_hash / c_hash value of `value` for `algorithm` (header comment).
std::string oidcHalfHash(std::string_view value, crypto::SigningAlgorithm algorithm);

// Signs the claims with the first key of `algorithm` in `keys` (kid in the
// header, typ JWT). server_error when the server has no key for it.
Result<std::string, OAuthError> signIdToken(const crypto::KeySet& keys,
                                            crypto::SigningAlgorithm algorithm,
                                            const IdTokenClaims& claims);

// An ID token this server issued, presented back as `id_token_hint` at the
// end-session endpoint (OpenID Connect RP-Initiated Logout 1.0 §2).
struct IdTokenHint {
  std::string subject;   // sub: the user's id
  std::string audience;  // aud: the client_id it was issued to
  crypto::SigningAlgorithm algorithm = crypto::SigningAlgorithm::Rs256;  // as signed
};

enum class IdTokenHintError {
  Malformed,      // not a JWS of ours in form: too long, bad parts, not a JSON object
  BadSignature,   // no key of ours signed it (or an alg we do not sign with)
  WrongIssuer,    // iss is not our issuer, byte for byte
  MissingClaims,  // sub or aud missing, empty, or not a single string
};

std::string_view describe(IdTokenHintError error);

// Verifies `token` as an ID token we issued: a JWS whose signature one of
// `keys` verifies (RS256, ES256 or EdDSA, the header's alg matching the
// key's), whose iss is `issuer` exactly, and whose sub and aud are
// non-empty strings (we issue aud as one string). exp is not checked: the
// spec accepts an expired ID token as a hint, since the RP's session with
// it usually outlives it; the signature and the issuer are what make it
// ours. The caller checks aud against the client and sub against the
// browser session.
Result<IdTokenHint, IdTokenHintError> verifyIdTokenHint(const crypto::KeySet& keys,
                                                        std::string_view issuer,
                                                        std::string_view token);

}  // namespace mxauth::oauth
