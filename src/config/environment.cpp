#include "config/environment.h"

#include <unistd.h>

namespace mxauth::config {

Environment Environment::fromProcess() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return Environment(std::move(variables));
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = variables_.find(std::string(name));
  if (it == variables_.end()) return std::nullopt;
  return it->second;
}

}  // namespace mxauth::config
