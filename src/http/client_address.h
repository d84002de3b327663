#pragma once

// Who the client is when mxauth runs behind reverse proxies (security
// checklist J.59). The TCP peer is the client unless it is one of the
// proxies the operator trusts (http.trusted_proxies); then the client is
// what those proxies wrote into X-Forwarded-For. Only trusted hops are
// believed, so a client that sends its own X-Forwarded-For changes nothing
// (its value is simply more text to the left of what the proxy appended).
//
// Pure functions of their inputs: the server adapter calls clientAddress()
// when it fills http::Request, and rate limits key on the result.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/headers.h"

namespace mxauth::http {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what
// a dual-stack socket reports for an IPv4 peer) is the IPv4 address it
// carries, so one client has one form whatever socket it came in on.
class IpAddress {
 public:
  // A bare address in its usual text form: "192.0.2.1", "2001:db8::1",
  // "::ffff:192.0.2.1". No brackets, port or zone ("fe80::1%eth0").
  static std::optional<IpAddress> parse(std::string_view text);

  bool isV4() const;
  // The canonical text: dotted decimal for IPv4; RFC 5952 for IPv6 (lower
  // case, the longest run of zero groups compressed).
  std::string str() const;
  // The address's first `bits` bits kept, the rest zero; for IPv4, `bits`
  // counts IPv4 bits (0–32), for IPv6 IPv6 bits (0–128).
  IpAddress masked(unsigned bits) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  friend class IpRange;
  // IPv6 bytes in network order; IPv4 in the mapped form ::ffff:a.b.c.d.
  std::array<std::uint8_t, 16> bytes_{};
};

// A CIDR range: "10.0.0.0/8", "2001:db8::/32", or a bare address meaning
// that one host. Bits after the prefix may be set ("10.1.2.3/8" is
// 10.0.0.0/8). "0.0.0.0/0" is every IPv4 address, "::/0" every address.
class IpRange {
 public:
  static std::optional<IpRange> parse(std::string_view text);
  bool contains(const IpAddress& address) const;

 private:
  IpAddress network_;
  unsigned prefix_ = 128;  // in IPv6 bits: an IPv4 /n is /(96 + n)
};

// The proxies whose X-Forwarded-For is believed. Empty: nobody's.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Every entry must be an address or a CIDR range; the error quotes the
  // first one that is not.
  static Result<TrustedProxies, std::string> parse(const std::vector<std::string>& entries);

  bool empty() const { return ranges_.empty(); }
  bool contains(const IpAddress& address) const;

 private:
  std::vector<IpRange> ranges_;
};

// The client's address for a request from `peer` (the TCP peer's address)
// with `headers`, in canonical form (IpAddress::str()):
//  - when the peer is not a trusted proxy, the peer;
//  - otherwise X-Forwarded-For is read from the right (every field of that
//    name, in order, each a comma-separated list; empty elements are
//    skipped, RFC 9110 §5.6.1): the first address that is not a trusted
//    proxy is the client. When every address is a trusted proxy, the
//    left-most one is (the request started inside the proxy chain);
//  - an element that is not an address (an optional port, "1.2.3.4:5678"
//    or "[2001:db8::1]:443", is allowed) stops the walk and the answer is
//    the peer: what a trusted hop wrote cannot be read, and nothing to its
//    left can be trusted;
//  - a peer that is not an address at all (unknown) is returned unchanged.
std::string clientAddress(std::string_view peer, const Headers& headers,
                          const TrustedProxies& trusted);

// The key a per-address limit counts under: an IPv4 address itself; for
// IPv6 the /64 it belongs to ("2001:db8:1:2::/64"), since one subscriber
// usually holds a whole /64 (RFC 6177) and could otherwise use a fresh
// address for every attempt. Text that is not an address is returned as is.
std::string addressKey(std::string_view address);

}  // namespace mxauth::http
