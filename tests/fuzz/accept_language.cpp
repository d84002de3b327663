// Fuzz target: src/web/navigation preferredLanguages(), the Accept-Language
// header. Invariants: at most 16 tags, none empty, none "*"; reading the
// answer back (joined as a header) keeps the same tags in the same order.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "web/navigation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> tags = mxauth::web::preferredLanguages(text);
  MXAUTH_FUZZ_CHECK(tags.size() <= 16);
  std::string header;
  for (const auto& tag : tags) {
    MXAUTH_FUZZ_CHECK(!tag.empty());
    MXAUTH_FUZZ_CHECK(tag != "*");
    if (!header.empty()) header += ", ";
    header += tag;
  }
  MXAUTH_FUZZ_CHECK(mxauth::web::preferredLanguages(header) == tags);
  return 0;
}
