#pragma once

// The process environment as an injectable value, so that tests never touch
// the real environment and loading stays a function of its inputs.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mxauth::config {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> variables)
      : variables_(std::move(variables)) {}

  // A snapshot of this process's environment (environ(7)).
  static Environment fromProcess();

  std::optional<std::string> get(std::string_view name) const;
  void set(std::string name, std::string value) { variables_[std::move(name)] = std::move(value); }
  // All variables, sorted by name.
  const std::map<std::string, std::string>& variables() const { return variables_; }

 private:
  std::map<std::string, std::string> variables_;
};

}  // namespace mxauth::config
