#include "domain/localpart.h"

#include <algorithm>
#include <cstddef>

namespace mxauth::domain {
namespace {

// Matrix spec: a user id is at most 255 bytes including '@' and ':'.
constexpr std::size_t kMaxUserIdBytes = 255;

bool isLocalpartCharacter(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '.':
    case '_':
    case '=':
    case '-':
    case '/':
    case '+':
      return true;
    default:
      return false;
  }
}

bool isAllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view describe(LocalpartError error) {
  switch (error) {
    case LocalpartError::Empty:
      return "The username must not be empty.";
    case LocalpartError::TooLong:
      return "The username is too long.";
    case LocalpartError::InvalidCharacter:
      return "The username may contain only a-z, 0-9 and . _ = - / +";
    case LocalpartError::Reserved:
      return "This username is reserved.";
  }
  return "The username is invalid.";
}

std::string asciiLowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<Localpart, LocalpartError> Localpart::parse(std::string_view input,
                                                   std::string_view server_name) {
  if (input.empty()) return unexpected(LocalpartError::Empty);
  // '@' and ':' frame the localpart in the full id.
  if (input.size() + server_name.size() + 2 > kMaxUserIdBytes) {
    return unexpected(LocalpartError::TooLong);
  }
  std::string folded = asciiLowercase(input);
  if (!std::all_of(folded.begin(), folded.end(), isLocalpartCharacter)) {
    return unexpected(LocalpartError::InvalidCharacter);
  }
  if (folded.front() == '_' || isAllDigits(folded)) return unexpected(LocalpartError::Reserved);
  return Localpart(std::move(folded));
}

std::string Localpart::userId(std::string_view server_name) const {
  std::string id;
  id.reserve(value_.size() + server_name.size() + 2);
  id.append("@").append(value_).append(":").append(server_name);
  return id;
}

}  // namespace mxauth::domain
