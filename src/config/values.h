#pragma once

// Parsers for the structured values inside configuration strings. Each
// returns the normalised value or a message saying what is expected; the
// message does not repeat the input (callers decide whether it is secret).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mxauth::config {

struct ListenAddress {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;

  bool operator==(const ListenAddress&) const = default;
};

// "host:port" or "[v6]:port"; host is an IPv4 address, a DNS name or (in
// brackets) an IPv6 address; port 1-65535.
Result<ListenAddress, std::string> parseListenAddress(std::string_view text);

// An absolute http:// or https:// URL without query or fragment, returned
// with the scheme in lower case and a path that ends with '/'.
Result<std::string, std::string> normaliseBaseUrl(std::string_view text);

// An absolute http(s) URL (query allowed, no fragment), returned unchanged.
Result<std::string, std::string> checkHttpUrl(std::string_view text);

// A host without port: a DNS name, an IPv4 address, or an IPv6 address with
// or without brackets.
bool isHost(std::string_view text);

// A Matrix server name: hostname [":" port], where hostname is an IPv4
// literal, "[" IPv6 literal "]" or a DNS name (Matrix spec, appendices,
// "Server name").
bool isServerName(std::string_view text);

// "addr@domain" or "Display Name <addr@domain>", on one line.
bool isMailbox(std::string_view text);

// "a.b.c.d/n" (n <= 32), "v6/n" (n <= 128), or a bare address.
bool isCidr(std::string_view text);

// Exactly 64 hexadecimal characters.
bool isEncryptionKey(std::string_view text);

}  // namespace mxauth::config
