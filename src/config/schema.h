#pragma once

// Module-internal: the one table of configuration keys. Loading (YAML and
// environment), validation and rendering all walk this table, so a key added
// here is parsed, checked, generated and overridable at once.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/config_error.h"
#include "core/result.h"

namespace mxauth::config::schema {

// A problem with one value. `subkey` extends the field's path for errors
// inside lists ("[2]", "[0].kid"); `line` is 1-based.
struct ValueError {
  std::string message;
  std::optional<int> line;
  std::string subkey;
  ConfigErrorCode code = ConfigErrorCode::InvalidValue;
};

struct Field {
  std::string_view path;  // "email.smtp.port"
  std::string_view help;  // one line, shown above the key in generated files
  // Parses a YAML value into the config (after checking it).
  std::function<Result<void, ValueError>(Config&, const YAML::Node&)> fromYaml;
  // Parses an environment variable's text into the config.
  std::function<Result<void, ValueError>(Config&, std::string_view)> fromText;
  // Checks the current value on its own; the message does not name the key.
  std::function<Result<void, std::string>(const Config&)> check;
  // YAML for the value, to be placed right after "key:" at the given
  // indentation (in spaces) of the key.
  std::function<std::string(const Config&, int indent)> render;
};

struct Section {
  std::string_view path;  // "email.smtp"
  std::string_view help;
};

const std::vector<Field>& fields();
const std::vector<Section>& sections();
const Field* findField(std::string_view path);
bool isSection(std::string_view path);

// "email.smtp.port" -> "MXAUTH_EMAIL__SMTP__PORT".
std::string environmentName(std::string_view path);

// The candidate closest to `word` within edit distance 2, if any.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// `text` in double quotes with YAML escapes; round-trips through yaml-cpp.
std::string quoteYaml(std::string_view text);

}  // namespace mxauth::config::schema
