#include "storage/sql/session.h"

#include <cctype>
#include <span>
#include <string>

namespace mxauth::storage::sql {
namespace {

// `text` begins with `word` (upper case), whatever the case of `text`.
bool startsWithWord(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return true;
}

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// A statement that only reads: a SELECT that locks no rows (no FOR UPDATE,
// FOR NO KEY UPDATE, FOR SHARE or FOR KEY SHARE).
bool onlyReads(std::string_view sql) {
  while (!sql.empty() && isSpace(sql.front())) sql.remove_prefix(1);
  if (!startsWithWord(sql, "SELECT")) return false;
  for (std::size_t at = 1; at + 4 < sql.size(); ++at) {
    if (!isSpace(sql[at - 1]) || !startsWithWord(sql.substr(at), "FOR") || !isSpace(sql[at + 3])) {
      continue;
    }
    std::string_view rest = sql.substr(at + 4);
    while (!rest.empty() && isSpace(rest.front())) rest.remove_prefix(1);
    if (startsWithWord(rest, "UPDATE") || startsWithWord(rest, "SHARE") ||
        startsWithWord(rest, "NO") || startsWithWord(rest, "KEY")) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<void, StorageError> Session::checkReadOnly(std::string_view sql, bool writes) {
  if (!read_only_ || (!writes && onlyReads(sql))) return {};
  spoiled_ = true;
  constexpr std::size_t kQuoted = 40;
  return unexpected(StorageError{
      StorageErrorCode::Internal,
      "a read-only transaction may only read (" + std::string(sql.substr(0, kQuoted)) + "…)"});
}

Result<void, StorageError> Session::checkUsable() const {
  if (finished_) {
    return unexpected(
        StorageError{StorageErrorCode::Internal, "the transaction has already finished"});
  }
  if (spoiled_) {
    return unexpected(StorageError{StorageErrorCode::Internal,
                                   "the transaction was aborted by an earlier error"});
  }
  return {};
}

Result<std::span<const Param>, StorageError> Session::usableParams(
    std::initializer_list<Param> params) {
  if (auto usable = checkUsable(); !usable) return unexpected(usable.error());
  std::span<const Param> span(params.begin(), params.size());
  if (auto checked = checkParams(span); !checked) {
    spoiled_ = true;
    return unexpected(checked.error());
  }
  return span;
}

Result<std::vector<Row>, StorageError> Session::query(std::string_view sql,
                                                      std::initializer_list<Param> params) {
  auto span = usableParams(params);
  if (!span) return unexpected(span.error());
  if (auto reads = checkReadOnly(sql, /*writes=*/false); !reads) {
    return unexpected(reads.error());
  }
  auto rows = connection_.query(sql, *span);
  if (!rows) spoiled_ = true;
  return rows;
}

Result<std::optional<Row>, StorageError> Session::queryOptional(
    std::string_view sql, std::initializer_list<Param> params) {
  auto rows = query(sql, params);
  if (!rows) return unexpected(rows.error());
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}

Result<std::int64_t, StorageError> Session::execute(std::string_view sql,
                                                    std::initializer_list<Param> params) {
  auto span = usableParams(params);
  if (!span) return unexpected(span.error());
  if (auto reads = checkReadOnly(sql, /*writes=*/false); !reads) {
    return unexpected(reads.error());
  }
  auto changed = connection_.execute(sql, *span);
  if (!changed) spoiled_ = true;
  return changed;
}

Result<void, StorageError> Session::executeLater(std::string_view sql,
                                                 std::initializer_list<Param> params) {
  auto span = usableParams(params);
  if (!span) return unexpected(span.error());
  // A write by definition, even one written as a SELECT of a function.
  if (auto reads = checkReadOnly(sql, /*writes=*/true); !reads) return unexpected(reads.error());
  auto sent = connection_.executeLater(sql, *span);
  if (!sent) spoiled_ = true;
  return sent;
}

}  // namespace mxauth::storage::sql
