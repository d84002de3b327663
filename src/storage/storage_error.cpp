#include "storage/storage_error.h"

namespace mxauth::storage {

std::string_view toString(StorageErrorCode code) {
  switch (code) {
    case StorageErrorCode::Conflict:
      return "conflict";
    case StorageErrorCode::Unavailable:
      return "unavailable";
    case StorageErrorCode::Constraint:
      return "constraint";
    case StorageErrorCode::Internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace mxauth::storage
