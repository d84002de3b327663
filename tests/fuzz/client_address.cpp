// Fuzz target: src/http/client_address (IpAddress, IpRange, TrustedProxies,
// the X-Forwarded-For walk of clientAddress, addressKey).
// Input: NUL-separated fields: the peer, the trusted proxies (one entry a
// line), then X-Forwarded-For values (one header field each).
// Invariants: an address prints in a canonical form that parses to the same
// address and prints the same; a range contains its own network; without
// trusted proxies (or from an untrusted peer) the client is the peer, in
// canonical form; otherwise the client is a canonical address.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "http/client_address.h"
#include "http/headers.h"

namespace {

namespace http = mxauth::http;

void checkAddress(std::string_view text) {
  const auto address = http::IpAddress::parse(text);
  if (!address) return;
  const std::string canonical = address->str();
  const auto again = http::IpAddress::parse(canonical);
  MXAUTH_FUZZ_CHECK(again.has_value() && *again == *address);
  MXAUTH_FUZZ_CHECK(again->str() == canonical);
  const unsigned bits = address->isV4() ? 32 : 128;
  MXAUTH_FUZZ_CHECK(address->masked(bits) == *address);
  MXAUTH_FUZZ_CHECK(address->masked(0).isV4() == address->isV4());
  const std::string key = http::addressKey(canonical);
  MXAUTH_FUZZ_CHECK(address->isV4() ? key == canonical : key.ends_with("/64"));
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    out.emplace_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxauth::fuzz::Input input(data, size);
  const std::string peer(input.field());
  const std::vector<std::string> entries = lines(input.field());
  http::Headers headers;
  while (!input.empty()) headers.add("X-Forwarded-For", std::string(input.field()));

  checkAddress(peer);
  (void)http::addressKey(peer);
  for (const auto& entry : entries) {
    checkAddress(entry);
    if (const auto range = http::IpRange::parse(entry)) {
      if (const auto address = http::IpAddress::parse(entry)) {
        MXAUTH_FUZZ_CHECK(range->contains(*address));
      }
    }
  }

  // The peer, in canonical form when it is an address.
  const auto peer_address = http::IpAddress::parse(peer);
  const std::string canonical_peer = peer_address ? peer_address->str() : peer;
  MXAUTH_FUZZ_CHECK(http::clientAddress(peer, headers, http::TrustedProxies()) == canonical_peer);
  const auto trusted = http::TrustedProxies::parse(entries);
  if (!trusted) return 0;
  const std::string client = http::clientAddress(peer, headers, *trusted);
  if (!peer_address || !trusted->contains(*peer_address)) {
    MXAUTH_FUZZ_CHECK(client == canonical_peer);
    return 0;
  }
  if (client == canonical_peer) return 0;
  const auto client_address = http::IpAddress::parse(client);
  MXAUTH_FUZZ_CHECK(client_address.has_value());
  MXAUTH_FUZZ_CHECK(client_address->str() == client);
  return 0;
}
