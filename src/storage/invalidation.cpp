#include <string>
#include <utility>

#include "storage/database.h"

namespace mxauth::storage {

std::optional<Invalidation> parseInvalidation(std::string_view payload) {
  const std::size_t colon = payload.find(':');
  if (colon == std::string_view::npos || colon + 1 == payload.size()) return std::nullopt;
  const std::string_view kind = payload.substr(0, colon);
  std::string id(payload.substr(colon + 1));
  if (kind == "token") return Invalidation{Invalidation::Kind::Token, std::move(id)};
  if (kind == "session") return Invalidation{Invalidation::Kind::Session, std::move(id)};
  if (kind == "user") return Invalidation{Invalidation::Kind::User, std::move(id)};
  return std::nullopt;
}

}  // namespace mxauth::storage
