#include "http/client_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace mxauth::http {
namespace {

constexpr std::size_t kMaxIpv4Text = 15;  // 255.255.255.255
constexpr std::size_t kMaxIpv6Text = 45;  // ffff:...:ffff:255.255.255.255
constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr unsigned kMappedPrefixBits = 96;

bool isDigits(std::string_view text, std::size_t max) {
  return !text.empty() && text.size() <= max &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<unsigned> parsePrefix(std::string_view text, unsigned max) {
  if (!isDigits(text, 3)) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > max) return std::nullopt;
  return value;
}

// Keeps the first `bits` bits of `bytes` (IPv6 bit count) and clears the rest.
void keepLeadingBits(std::array<std::uint8_t, 16>& bytes, unsigned bits) {
  for (unsigned i = 0; i < bytes.size(); ++i) {
    const unsigned first_bit = i * 8;
    if (first_bit + 8 <= bits) continue;
    const unsigned keep = bits > first_bit ? bits - first_bit : 0;
    bytes[i] &= static_cast<std::uint8_t>(0xff00U >> keep);
  }
}

std::string_view trimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// One X-Forwarded-For element: an address, "[v6]", "[v6]:port" or
// "v4:port" (some proxies append the client's port).
std::optional<IpAddress> parseForwardedElement(std::string_view element) {
  if (element.starts_with('[')) {
    const std::size_t close = element.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = element.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && isDigits(rest.substr(1), 5))) {
      return std::nullopt;
    }
    const std::string_view inside = element.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) return std::nullopt;  // "[192.0.2.1]"
    return IpAddress::parse(inside);
  }
  const std::size_t colon = element.find(':');
  if (colon != std::string_view::npos && element.find(':', colon + 1) == std::string_view::npos) {
    if (!isDigits(element.substr(colon + 1), 5)) return std::nullopt;
    auto address = IpAddress::parse(element.substr(0, colon));
    if (!address || !address->isV4()) return std::nullopt;
    return address;
  }
  return IpAddress::parse(element);
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; anything longer than the longest
  // address is not one.
  std::array<char, kMaxIpv6Text + 1> buffer{};
  if (text.empty() || text.size() > kMaxIpv6Text) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::copy(text.begin(), text.end(), buffer.begin());
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    if (text.size() > kMaxIpv4Text) return std::nullopt;
    in_addr v4{};
    if (inet_pton(AF_INET, buffer.data(), &v4) != 1) return std::nullopt;
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes_.begin());
    std::memcpy(address.bytes_.data() + kMappedPrefix.size(), &v4, sizeof v4);
    return address;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buffer.data(), &v6) != 1) return std::nullopt;
  std::memcpy(address.bytes_.data(), &v6, sizeof v6);
  return address;
}

bool IpAddress::isV4() const {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes_.begin());
}

std::string IpAddress::str() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (isV4()) {
    in_addr v4{};
    std::memcpy(&v4, bytes_.data() + kMappedPrefix.size(), sizeof v4);
    if (inet_ntop(AF_INET, &v4, text.data(), text.size()) == nullptr) return {};
  } else {
    in6_addr v6{};
    std::memcpy(&v6, bytes_.data(), sizeof v6);
    if (inet_ntop(AF_INET6, &v6, text.data(), text.size()) == nullptr) return {};
  }
  return text.data();
}

IpAddress IpAddress::masked(unsigned bits) const {
  const unsigned total = std::min(isV4() ? kMappedPrefixBits + bits : bits, 128U);
  IpAddress out = *this;
  keepLeadingBits(out.bytes_, total);
  return out;
}

std::optional<IpRange> IpRange::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  IpRange range;
  if (slash == std::string_view::npos) {
    range.network_ = *address;
    range.prefix_ = 128;
    return range;
  }
  // A prefix on the text's own family: "a.b.c.d/n" counts IPv4 bits, any
  // IPv6 text (a mapped one too) IPv6 bits.
  const bool ipv4_text = text.substr(0, slash).find(':') == std::string_view::npos;
  auto prefix = parsePrefix(text.substr(slash + 1), ipv4_text ? 32 : 128);
  if (!prefix) return std::nullopt;
  range.prefix_ = ipv4_text ? kMappedPrefixBits + *prefix : *prefix;
  range.network_ = *address;
  keepLeadingBits(range.network_.bytes_, range.prefix_);
  return range;
}

bool IpRange::contains(const IpAddress& address) const {
  for (unsigned i = 0; i < network_.bytes_.size(); ++i) {
    const unsigned first_bit = i * 8;
    if (first_bit >= prefix_) return true;
    const unsigned keep = std::min(prefix_ - first_bit, 8U);
    const auto mask = static_cast<std::uint8_t>(0xff00U >> keep);
    if ((address.bytes_[i] & mask) != network_.bytes_[i]) return false;
  }
  return true;
}

Result<TrustedProxies, std::string> TrustedProxies::parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const std::string& entry : entries) {
    auto range = IpRange::parse(entry);
    if (!range) {
      return unexpected("\"" + entry + "\" is not an IP address or CIDR range");
    }
    proxies.ranges_.push_back(*range);
  }
  return proxies;
}

bool TrustedProxies::contains(const IpAddress& address) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&address](const IpRange& range) { return range.contains(address); });
}

std::string clientAddress(std::string_view peer, const Headers& headers,
                          const TrustedProxies& trusted) {
  const std::optional<IpAddress> peer_address = IpAddress::parse(peer);
  if (!peer_address) return std::string(peer);
  if (trusted.empty() || !trusted.contains(*peer_address)) return peer_address->str();

  std::optional<IpAddress> leftmost_trusted;
  const std::vector<std::string_view> fields = headers.getAll("X-Forwarded-For");
  // Right to left: the field added last first.
  for (std::size_t field = fields.size(); field-- > 0;) {
    std::string_view rest = fields[field];
    while (!rest.empty()) {
      const std::size_t comma = rest.rfind(',');
      const std::string_view element =
          trimSpaces(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
      if (element.empty()) continue;
      const std::optional<IpAddress> hop = parseForwardedElement(element);
      if (!hop) return peer_address->str();
      if (!trusted.contains(*hop)) return hop->str();
      leftmost_trusted = hop;
    }
  }
  return (leftmost_trusted ? *leftmost_trusted : *peer_address).str();
}

std::string addressKey(std::string_view address) {
  const std::optional<IpAddress> parsed = IpAddress::parse(address);
  if (!parsed) return std::string(address);
  if (parsed->isV4()) return parsed->str();
  return parsed->masked(64).str() + "/64";
}

}  // namespace mxauth::http
