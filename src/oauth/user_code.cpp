#include "oauth/user_code.h"

namespace mxauth::oauth {

std::string generateUserCode(Rng& rng) {
  std::string code;
  code.reserve(kUserCodeLength);
  for (std::size_t i = 0; i < kUserCodeLength; ++i) {
    code.push_back(kUserCodeAlphabet[rng.uniform(kUserCodeAlphabet.size())]);
  }
  return code;
}

std::optional<std::string> normalizeUserCode(std::string_view typed) {
  // Anything longer than a code with generous spacing is not a code; the
  // bound also keeps the work per request small.
  if (typed.size() > 4 * kUserCodeLength) return std::nullopt;
  std::string code;
  code.reserve(kUserCodeLength);
  for (const char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    const char upper = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (kUserCodeAlphabet.find(upper) == std::string_view::npos) return std::nullopt;
    code.push_back(upper);
    if (code.size() > kUserCodeLength) return std::nullopt;
  }
  if (code.size() != kUserCodeLength) return std::nullopt;
  return code;
}

std::string displayUserCode(std::string_view code) {
  if (code.size() != kUserCodeLength) return std::string(code);
  std::string shown(code.substr(0, kUserCodeLength / 2));
  shown.push_back('-');
  shown.append(code.substr(kUserCodeLength / 2));
  return shown;
}

}  // namespace mxauth::oauth
