#include "storage/sql/session.h"

#include <span>

namespace mxauth::storage::sql {

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
  auto changed = connection_.execute(sql, *span);
  if (!changed) spoiled_ = true;
  return changed;
}

Result<void, StorageError> Session::executeLater(std::string_view sql,
                                                 std::initializer_list<Param> params) {
  auto span = usableParams(params);
  if (!span) return unexpected(span.error());
  auto sent = connection_.executeLater(sql, *span);
  if (!sent) spoiled_ = true;
  return sent;
}

}  // namespace mxauth::storage::sql
