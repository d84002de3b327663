// Fuzz target: JSON request bodies. The dynamic client registration body
// (src/oauth/client_metadata parseRegistrationRequest, with the MSC2966
// rules and the redirect-URI checks behind it), the stored metadata reader
// (parseStoredMetadata), and Boost.JSON's parse as the server calls it for
// every JSON body (the legacy login body of src/compat uses the same
// default-options boost::json::parse).
// Invariants: accepted metadata passes checkRegistrationRules, its canonical
// document reads back (parseStoredMetadata) to the same metadata and
// serialises to the same text, and registering that document again gives
// the same metadata; a parsed JSON value serialises to text that parses to
// an equal value (when it holds no infinite number: see allFinite).

#include <boost/json.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "oauth/client_metadata.h"

namespace {

// Boost.JSON 1.81 reads 1e99999 as infinity and writes it as "Infinity",
// which is not JSON; nothing of ours echoes a client's number, so the round
// trip is checked only for finite documents.
bool allFinite(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(value.get_double());
    case boost::json::kind::array:
      for (const auto& element : value.get_array()) {
        if (!allFinite(element)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (const auto& member : value.get_object()) {
        if (!allFinite(member.value())) return false;
      }
      return true;
    case boost::json::kind::null:
    case boost::json::kind::bool_:
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::string:
      return true;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace oauth = mxauth::oauth;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(body, ec);
  if (!ec && allFinite(value)) {
    boost::system::error_code again_ec;
    const boost::json::value again = boost::json::parse(boost::json::serialize(value), again_ec);
    MXAUTH_FUZZ_CHECK(!again_ec && again == value);
  }

  (void)oauth::parseStoredMetadata(body);
  auto metadata = oauth::parseRegistrationRequest(body);
  if (!metadata) return 0;
  MXAUTH_FUZZ_CHECK(oauth::checkRegistrationRules(*metadata).has_value());
  const std::string canonical = oauth::canonicalMetadataJson(*metadata);
  auto stored = oauth::parseStoredMetadata(canonical);
  MXAUTH_FUZZ_CHECK(stored.has_value());
  MXAUTH_FUZZ_CHECK(*stored == *metadata);
  MXAUTH_FUZZ_CHECK(oauth::canonicalMetadataJson(*stored) == canonical);
  MXAUTH_FUZZ_CHECK(oauth::metadataDigest(*stored) == oauth::metadataDigest(*metadata));
  auto registered_again = oauth::parseRegistrationRequest(canonical);
  MXAUTH_FUZZ_CHECK(registered_again.has_value() && *registered_again == *metadata);
  return 0;
}
