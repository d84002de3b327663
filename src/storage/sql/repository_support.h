#pragma once

// What every SQL repository does with a statement's outcome: read rows into
// domain values, answer whether a conditional write changed anything, and
// build a statement from constant parts. Shared by every repository of
// storage/sql.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "storage/sql/connection.h"
#include "storage/storage_error.h"

namespace mxauth::storage::sql {

template <class T>
using Reader = Result<T, StorageError> (*)(const Row&);

template <class T>
Result<std::optional<T>, StorageError> readOptional(
    const Result<std::optional<Row>, StorageError>& row, Reader<T> read) {
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<T>();
  auto value = read(**row);
  if (!value) return unexpected(value.error());
  return std::optional<T>(std::move(*value));
}

template <class T>
Result<std::vector<T>, StorageError> readAll(const Result<std::vector<Row>, StorageError>& rows,
                                             Reader<T> read) {
  if (!rows) return unexpected(rows.error());
  std::vector<T> values;
  values.reserve(rows->size());
  for (const Row& row : *rows) {
    auto value = read(row);
    if (!value) return unexpected(value.error());
    values.push_back(std::move(*value));
  }
  return values;
}

// An id column that may be NULL.
template <class IdType>
std::optional<IdType> optionalId(std::optional<std::string> text) {
  if (!text) return std::nullopt;
  return IdType(std::move(*text));
}

// A conditional write's answer: did it change a row?
inline Result<bool, StorageError> changedAny(const Result<std::int64_t, StorageError>& changed) {
  if (!changed) return unexpected(changed.error());
  return *changed > 0;
}

inline Result<void, StorageError> done(const Result<std::int64_t, StorageError>& changed) {
  if (!changed) return unexpected(changed.error());
  return {};
}

inline std::string sql(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (std::string_view part : parts) text.append(part);
  return text;
}

}  // namespace mxauth::storage::sql
