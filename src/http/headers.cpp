#include "http/headers.h"

#include <algorithm>

namespace mxauth::http {
namespace {

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const HeaderField& field : fields_) {
    if (equalsIgnoreCase(field.name, name)) return std::string_view(field.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::getAll(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const HeaderField& field : fields_) {
    if (equalsIgnoreCase(field.name, name)) values.emplace_back(field.value);
  }
  return values;
}

void Headers::add(std::string name, std::string value) {
  // Requests and responses carry a handful of fields: one allocation for
  // the usual number instead of a reallocation at 1, 2, 4 and 8.
  if (fields_.capacity() == 0) fields_.reserve(kTypicalFields);
  fields_.push_back({std::move(name), std::move(value)});
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_,
                [&](const HeaderField& field) { return equalsIgnoreCase(field.name, name); });
}

}  // namespace mxauth::http
