#pragma once

// ULIDs (26 Crockford base32 characters: 48-bit millisecond time + 80 random
// bits) as the primary keys of every record, as MAS uses. They sort by
// creation time, so listing "newest first" needs no extra column.

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/rng.h"

namespace mxauth::core {

std::string newUlid(Rng& rng, const Clock& clock);
// The least ULID of the millisecond `at` (random part zero): every ULID made
// before `at` sorts below it, so that "created before" is a range of ids.
std::string ulidFloor(Timestamp at);
bool isUlid(std::string_view text);

}  // namespace mxauth::core
