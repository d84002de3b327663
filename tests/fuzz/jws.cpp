// Fuzz target: src/crypto/jws verify() against a fixed key set (RS256,
// ES256, EdDSA), the ID-token-hint check of the end-session endpoint
// (src/oauth/id_token verifyIdTokenHint), and public JWK import
// (PublicKey::fromJwk, jwkThumbprint) when the input is a JSON object.
// Invariants: what verifies carries an allowed algorithm and the kid of one
// of our keys, verifies again with that key alone, and is refused when its
// algorithm is not allowed; an accepted hint verified as a JWS and names a
// subject and an audience; an imported JWK has a kid.

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/jws.h"
#include "crypto/key_store.h"
#include "crypto/keys.h"
#include "fixed_keys.h"
#include "fuzz_support.h"
#include "oauth/id_token.h"

namespace {

namespace crypto = mxauth::crypto;

constexpr crypto::SigningAlgorithm kAll[] = {
    crypto::SigningAlgorithm::Rs256,
    crypto::SigningAlgorithm::Es256,
    crypto::SigningAlgorithm::EdDsa,
};
constexpr std::string_view kIssuer = "https://auth.example.com/";

const crypto::KeySet& keys() {
  static const crypto::KeySet set = [] {
    const std::vector<std::string> pems = mxauth::fuzz::fixedKeyPems();
    auto loaded = crypto::keySetFromPems(pems);
    if (!loaded) mxauth::fuzz::fail("fixed keys do not load", __FILE__, __LINE__);
    return std::move(*loaded);
  }();
  return set;
}

void checkJwk(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return;
  (void)crypto::jwkThumbprint(value.as_object());
  if (auto key = crypto::PublicKey::fromJwk(value.as_object())) {
    MXAUTH_FUZZ_CHECK(!key->kid().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const crypto::KeySet& set = keys();

  auto verified = crypto::verify(token, set, kAll);
  if (verified) {
    bool ours = false;
    for (const crypto::PublicKey& key : set.publicKeys()) {
      if (key.kid() != verified->kid) continue;
      ours = true;
      MXAUTH_FUZZ_CHECK(key.algorithm() == verified->algorithm);
      auto alone = crypto::verify(token, key, kAll);
      MXAUTH_FUZZ_CHECK(alone.has_value() && alone->payload == verified->payload);
    }
    MXAUTH_FUZZ_CHECK(ours);
    for (const crypto::SigningAlgorithm other : kAll) {
      if (other == verified->algorithm) continue;
      const crypto::SigningAlgorithm only[] = {other};
      MXAUTH_FUZZ_CHECK(!crypto::verify(token, set, only).has_value());
    }
  }

  auto hint = mxauth::oauth::verifyIdTokenHint(set, kIssuer, token);
  if (hint) {
    MXAUTH_FUZZ_CHECK(verified.has_value());
    MXAUTH_FUZZ_CHECK(!hint->subject.empty() && !hint->audience.empty());
    MXAUTH_FUZZ_CHECK(hint->algorithm == verified->algorithm);
  }

  checkJwk(token);
  return 0;
}
