// Fuzz target: src/oauth/scope (ScopeSet::parse, validateScope,
// describeScope). Invariants: a parsed scope is what was sent (toString()
// gives the input back) and parses again to the same set; every token is
// grammatical; its introspection form starts with it; the device id is one
// isValidDeviceId accepts; validateScope never lets the Matrix scopes
// through client_credentials.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "oauth/scope.h"

namespace {

namespace oauth = mxauth::oauth;

constexpr oauth::GrantKind kGrants[] = {
    oauth::GrantKind::AuthorizationCode,
    oauth::GrantKind::DeviceCode,
    oauth::GrantKind::RefreshToken,
    oauth::GrantKind::ClientCredentials,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  MXAUTH_FUZZ_CHECK(!oauth::describeScope(text).key.empty());
  (void)oauth::isValidScopeToken(text);
  (void)oauth::isValidDeviceId(text);

  auto parsed = oauth::ScopeSet::parse(text);
  if (!parsed) return 0;
  const oauth::ScopeSet& scope = *parsed;

  MXAUTH_FUZZ_CHECK(!scope.empty());
  MXAUTH_FUZZ_CHECK(scope.toString() == text);
  auto again = oauth::ScopeSet::parse(scope.toString());
  MXAUTH_FUZZ_CHECK(again.has_value() && *again == scope);
  MXAUTH_FUZZ_CHECK(scope.isSubsetOf(scope));
  MXAUTH_FUZZ_CHECK(scope.introspectionScope().starts_with(scope.toString()));

  for (const auto& token : scope.tokens()) {
    MXAUTH_FUZZ_CHECK(oauth::isValidScopeToken(token.value));
    MXAUTH_FUZZ_CHECK(scope.contains(token.value));
    MXAUTH_FUZZ_CHECK(!oauth::describeScope(token.value).key.empty());
    // Each token alone is a scope of its own, except a device scope, which
    // needs the API scope beside it.
    auto alone = oauth::ScopeSet::parse(token.value);
    if (alone) MXAUTH_FUZZ_CHECK(alone->isSubsetOf(scope));
  }
  if (scope.deviceId()) {
    MXAUTH_FUZZ_CHECK(oauth::isValidDeviceId(*scope.deviceId()));
    MXAUTH_FUZZ_CHECK(scope.hasMatrixApi());
  }

  for (const oauth::GrantKind grant : kGrants) {
    for (const bool admin : {false, true}) {
      auto valid = oauth::validateScope(scope, grant, admin);
      if (grant == oauth::GrantKind::ClientCredentials && valid) {
        MXAUTH_FUZZ_CHECK(!scope.hasMatrixApi() && !scope.deviceId());
      }
      if (valid && scope.isAdmin() && oauth::isInteractive(grant)) MXAUTH_FUZZ_CHECK(admin);
    }
  }
  return 0;
}
