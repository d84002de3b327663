#include "config/config_error.h"

namespace mxauth::config {

std::string ConfigError::toString() const {
  std::string out;
  if (!variable.empty()) {
    out = variable + ": ";
  } else if (!file.empty()) {
    out = file + (line ? ":" + std::to_string(*line) : std::string()) + ": ";
  }
  // An unknown key's message names the key itself; an environment variable
  // already names its key.
  bool name_key = !key.empty() && code != ConfigErrorCode::UnknownKey && variable.empty();
  if (name_key) out += key + ": ";
  return out + message;
}

}  // namespace mxauth::config
