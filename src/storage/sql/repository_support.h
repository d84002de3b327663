#pragma once

// What every SQL repository does with a statement's outcome: read rows into
// domain values, answer whether a conditional write changed anything, and
// build a statement from constant parts. Shared by every repository of
// storage/sql.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
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

// The part of a joined row (splitRow) that a LEFT JOIN filled: empty when
// it found nothing, which leaves its columns NULL, the id first.
template <class T>
Result<std::optional<T>, StorageError> readJoined(const Row& part, Reader<T> read) {
  if (part.empty() || !part.front()) return std::optional<T>();
  auto value = read(part);
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

// For joins. `columns` ("a, b") with each name qualified by `table`
// ("t.a, t.b").
inline std::string qualified(std::string_view table, std::string_view columns) {
  std::string out;
  for (std::size_t start = 0; start < columns.size();) {
    std::size_t end = columns.find(',', start);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view name = columns.substr(start, end - start);
    while (name.starts_with(' ')) name.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out.append(table).append(".").append(name);
    start = end + 1;
  }
  return out;
}

// How many names a column list ("a, b, c") has.
inline std::size_t columnCount(std::string_view columns) {
  return static_cast<std::size_t>(std::count(columns.begin(), columns.end(), ',')) + 1;
}

// A joined row cut in two: its first `width` columns and the rest.
inline std::pair<Row, Row> splitRow(Row row, std::size_t width) {
  width = std::min(width, row.size());
  const auto middle = row.begin() + static_cast<std::ptrdiff_t>(width);
  Row rest(std::make_move_iterator(middle), std::make_move_iterator(row.end()));
  row.erase(middle, row.end());
  return {std::move(row), std::move(rest)};
}

}  // namespace mxauth::storage::sql
