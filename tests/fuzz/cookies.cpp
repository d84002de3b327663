// Fuzz target: the Cookie header and what is sealed in cookies:
// src/http/url_encoding parseCookieHeader() and Request::cookie(),
// src/crypto/aead open() under a fixed secret, and the CSRF checks of
// src/web/session (csrfCookie, verifyCsrf, isCrossSite).
// Input: a byte of flags, then NUL-separated fields: a Cookie header, a CSRF
// token, an Origin header.
// Invariants: every pair has a non-empty name and views into the header;
// Request::cookie(name) is the first pair of that name; a value sealed with
// the fixed secret opens to itself only under the same associated data;
// arbitrary bytes never open; a CSRF token is accepted only when it is the
// one the cookie gives for that purpose.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/testing/fakes.h"
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "http/request.h"
#include "http/url_encoding.h"
#include "web/session.h"

namespace {

namespace crypto = mxauth::crypto;
namespace http = mxauth::http;

constexpr std::string_view kSecretHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

const crypto::EncryptionSecret& secret() {
  static const crypto::EncryptionSecret value = [] {
    auto parsed = crypto::parseEncryptionSecret(kSecretHex);
    if (!parsed) mxauth::fuzz::fail("fixed secret does not parse", __FILE__, __LINE__);
    return *parsed;
  }();
  return value;
}

void checkHeader(std::string_view header) {
  const std::vector<http::Cookie> cookies = http::parseCookieHeader(header);
  const char* begin = header.data();
  const char* end = header.data() + header.size();
  for (const http::Cookie& cookie : cookies) {
    MXAUTH_FUZZ_CHECK(!cookie.name.empty());
    MXAUTH_FUZZ_CHECK(cookie.name.data() >= begin &&
                      cookie.name.data() + cookie.name.size() <= end);
    MXAUTH_FUZZ_CHECK(cookie.value.empty() || (cookie.value.data() >= begin &&
                                               cookie.value.data() + cookie.value.size() <= end));
  }
  auto request = http::Request::make(http::Method::Get, "/");
  MXAUTH_FUZZ_CHECK(request.has_value());
  request->headers.add("Cookie", std::string(header));
  const std::vector<http::Cookie> seen = request->cookies();
  MXAUTH_FUZZ_CHECK(seen.size() == cookies.size());
  for (const http::Cookie& cookie : seen) {
    const auto first = request->cookie(cookie.name);
    MXAUTH_FUZZ_CHECK(first.has_value());
  }
}

void checkAead(std::string_view value, std::string_view associated_data) {
  const crypto::Aead aead(secret());
  // Arbitrary text does not open: forging needs the key.
  if (auto opened = aead.open(value, associated_data)) {
    mxauth::fuzz::fail("arbitrary bytes opened", __FILE__, __LINE__);
  }
  mxauth::test::SeededRng rng(7);
  const std::string sealed = aead.seal(rng, value, associated_data);
  auto opened = aead.open(sealed, associated_data);
  MXAUTH_FUZZ_CHECK(opened.has_value() && *opened == value);
  MXAUTH_FUZZ_CHECK(!aead.open(sealed, std::string(associated_data) + "x").has_value());
  MXAUTH_FUZZ_CHECK(http::parseCookieHeader("c=" + sealed).front().value == sealed);
}

void checkCsrf(std::uint8_t flags, std::string_view header, std::string_view token,
               std::string_view origin) {
  mxauth::web::SessionSettings settings;
  settings.public_base = (flags & 1) != 0 ? "https://auth.example.com/" : "http://127.0.0.1:8080/";
  const mxauth::web::SessionManager sessions(secret(), settings);
  auto request = http::Request::make(http::Method::Post, "/consent");
  MXAUTH_FUZZ_CHECK(request.has_value());
  request->headers.add("Cookie", std::string(header));
  if ((flags & 2) != 0) request->headers.add("Origin", std::string(origin));
  if ((flags & 4) != 0) request->headers.add("Sec-Fetch-Site", std::string(origin));

  mxauth::test::SeededRng rng(flags);
  const mxauth::web::CsrfCookie cookie = sessions.csrfCookie(*request, rng);
  MXAUTH_FUZZ_CHECK(!cookie.value.empty());
  const bool accepted = sessions.verifyCsrf(*request, "consent", token);
  if (accepted) {
    MXAUTH_FUZZ_CHECK(!cookie.is_new);
    MXAUTH_FUZZ_CHECK(token == sessions.csrfToken(cookie, "consent"));
    MXAUTH_FUZZ_CHECK(!sessions.isCrossSite(*request));
  }
  if (!cookie.is_new && !sessions.isCrossSite(*request)) {
    MXAUTH_FUZZ_CHECK(
        sessions.verifyCsrf(*request, "consent", sessions.csrfToken(cookie, "consent")));
    MXAUTH_FUZZ_CHECK(
        !sessions.verifyCsrf(*request, "other", sessions.csrfToken(cookie, "consent")));
  }
  (void)mxauth::web::originOf(origin);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxauth::fuzz::Input input(data, size);
  const std::uint8_t flags = input.byte();
  const std::string header(input.field());
  const std::string token(input.field());
  const std::string origin(input.field());

  checkHeader(header);
  for (const http::Cookie& cookie : http::parseCookieHeader(header)) {
    checkAead(cookie.value, cookie.name);
  }
  checkAead(token, "mxauth-session");
  checkCsrf(flags, header, token, origin);
  return 0;
}
