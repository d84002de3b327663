#pragma once

// What loading or validating a configuration reports instead of a Config.
// Every error names the key it is about (issue 2: "a broken config names the
// key"), and where the value came from: a file and line, or an environment
// variable. The CLI prints toString() as its one line on stderr.

#include <optional>
#include <string>

namespace mxauth::config {

enum class ConfigErrorCode {
  Unreadable,    // the file could not be read
  Syntax,        // not YAML, or not a mapping at the top
  UnknownKey,    // a key or MXAUTH_* variable that is not a setting
  WrongType,     // e.g. text where an integer is expected
  InvalidValue,  // right type, but malformed or out of range
  Inconsistent,  // settings that are fine alone but not together
};

struct ConfigError {
  ConfigErrorCode code = ConfigErrorCode::InvalidValue;
  // Dotted key path, e.g. "http.listn" or "secrets.keys[0].kid"; empty only
  // for errors about the whole file (unreadable, syntax).
  std::string key;
  std::optional<int> line;  // 1-based line in `file`, when known
  std::string file;         // the file the value came from; empty otherwise
  std::string variable;     // the MXAUTH_* variable the value came from
  // The problem, e.g. "expected an integer, got \"abc\"". For UnknownKey it
  // names the key itself (with a "did you mean" suggestion when one is close).
  std::string message;

  // One line: "mxauth.yaml:3: unknown key 'http.listn' (did you mean
  // 'http.listen'?)", "mxauth.yaml:5: http.max_connections: expected an
  // integer, got \"abc\"", "MXAUTH_HTTP__MAX_CONNECTIONS: expected an integer,
  // got \"abc\"".
  std::string toString() const;

  bool operator==(const ConfigError&) const = default;
};

}  // namespace mxauth::config
