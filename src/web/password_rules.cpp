#include "web/password_rules.h"

#include <algorithm>
#include <array>

#include "domain/localpart.h"

namespace mxauth::web {
namespace {

// The most common passwords of at least kMinPasswordLength characters, from
// the public breach-corpus top lists (lower-case; compared case-insensitively).
constexpr std::array<std::string_view, 40> kCommonPasswords = {
    "password",  "12345678", "123456789", "1234567890", "qwertyuiop", "password1", "password123",
    "iloveyou",  "11111111", "00000000",  "abc12345",   "qwerty123",  "1q2w3e4r",  "1qaz2wsx",
    "sunshine",  "princess", "football",  "baseball",   "superman",   "trustno1",  "welcome1",
    "letmein1",  "starwars", "whatever",  "computer",   "internet",   "passw0rd",  "qwertyui",
    "asdfghjkl", "zaq12wsx", "12341234",  "87654321",   "11223344",   "michelle",  "jennifer",
    "1234qwer",  "q1w2e3r4", "changeme",  "matrix123",  "element123"};

std::size_t countCharacters(std::string_view text) {
  // UTF-8: count the bytes that start a character.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

}  // namespace

std::optional<Text> passwordProblem(std::string_view password, std::string_view username) {
  if (countCharacters(password) < kMinPasswordLength) {
    return Text("password.too_short", {{"count", std::to_string(kMinPasswordLength)}});
  }
  if (std::all_of(password.begin(), password.end(),
                  [&](char c) { return c == password.front(); })) {
    return Text("password.repeated_character");
  }
  const std::string lowered = domain::asciiLowercase(password);
  if (!username.empty() && lowered == domain::asciiLowercase(username)) {
    return Text("password.is_username");
  }
  if (std::find(kCommonPasswords.begin(), kCommonPasswords.end(), lowered) !=
      kCommonPasswords.end()) {
    return Text("password.too_common");
  }
  return std::nullopt;
}

}  // namespace mxauth::web
