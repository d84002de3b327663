#pragma once

// An ordered list of HTTP header fields with case-insensitive names
// (RFC 9110 §5.1). Repeated fields keep their order, so several Set-Cookie
// lines survive and `headerValues()` can return every Accept line.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxauth::http {

struct HeaderField {
  std::string name;
  std::string value;
};

// ASCII case-insensitive equality, as HTTP field names and tokens compare.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

class Headers {
 public:
  // The first field called `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every field called `name`, in the order received or added.
  std::vector<std::string_view> getAll(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  // Appends a field, keeping any others of the same name.
  void add(std::string name, std::string value);
  // Replaces every field called `name` with one field.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  void reserve(std::size_t fields) { fields_.reserve(fields); }

  const std::vector<HeaderField>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }

 private:
  static constexpr std::size_t kTypicalFields = 10;
  std::vector<HeaderField> fields_;
};

}  // namespace mxauth::http
