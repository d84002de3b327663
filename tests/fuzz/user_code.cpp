// Fuzz target: src/oauth/user_code (normalizeUserCode, displayUserCode),
// what a person types at /link. Invariants: a normalised code is 8 letters
// of the alphabet, normalising is idempotent, and the displayed form
// normalises back to the code.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "oauth/user_code.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace oauth = mxauth::oauth;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  (void)oauth::displayUserCode(text);
  const auto code = oauth::normalizeUserCode(text);
  if (!code) return 0;
  MXAUTH_FUZZ_CHECK(code->size() == oauth::kUserCodeLength);
  for (const char c : *code) {
    MXAUTH_FUZZ_CHECK(oauth::kUserCodeAlphabet.find(c) != std::string_view::npos);
  }
  MXAUTH_FUZZ_CHECK(oauth::normalizeUserCode(*code) == code);
  const std::string shown = oauth::displayUserCode(*code);
  MXAUTH_FUZZ_CHECK(shown.size() == oauth::kUserCodeLength + 1);
  MXAUTH_FUZZ_CHECK(oauth::normalizeUserCode(shown) == code);
  return 0;
}
