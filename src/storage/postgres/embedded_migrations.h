#pragma once

#include <span>

#include "core/embedded_file.h"

namespace mxauth::storage::postgres {

// Generated from migrations/*.sql by mxauth_embed_files (CMakeLists.txt).
std::span<const core::EmbeddedFile> migrationFiles();

}  // namespace mxauth::storage::postgres
