#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace mxauth::domain {

// Why a requested username cannot become a Matrix localpart.
enum class LocalpartError {
  Empty,
  // The full user id "@localpart:server_name" would exceed 255 bytes.
  TooLong,
  // A character outside a-z 0-9 . _ = - / + (after ASCII lower-casing).
  InvalidCharacter,
  // Allowed by the grammar but kept back: a leading '_' (the namespace
  // application services use) or all digits (the ids homeservers give guests).
  Reserved,
};

// A human-readable reason, suitable for a form error next to the field.
std::string_view describe(LocalpartError error);

// The localpart of a user id on this server, validated and case-folded.
//
// Matrix spec, "User Identifiers": new user ids use the lower-case grammar
// a-z 0-9 . _ = - / (and '+' since v1.8), and the whole "@localpart:domain"
// is at most 255 bytes. Input is lower-cased (ASCII only) before validation,
// so "Alice" registers as "alice" and uniqueness is case-insensitive.
class Localpart {
 public:
  // server_name is the homeserver's name; it counts towards the length limit.
  static Result<Localpart, LocalpartError> parse(std::string_view input,
                                                 std::string_view server_name);

  const std::string& str() const { return value_; }
  // "@localpart:server_name".
  std::string userId(std::string_view server_name) const;

  friend bool operator==(const Localpart&, const Localpart&) = default;

 private:
  explicit Localpart(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// Lower-cases ASCII letters and leaves every other byte alone.
std::string asciiLowercase(std::string_view text);

}  // namespace mxauth::domain
