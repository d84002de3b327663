#include "domain/email_address.h"

#include <cstddef>
#include <string_view>

namespace mxauth::domain {
namespace {

constexpr std::size_t kMaxAddressBytes = 254;
constexpr std::size_t kMaxLocalBytes = 64;
constexpr std::size_t kMaxDomainBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;

bool isAlphaNumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 §3.2.3 atext.
bool isAtext(char c) {
  if (isAlphaNumeric(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool isValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > kMaxLocalBytes) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char previous = '\0';
  for (char c : local) {
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!isAtext(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

bool isValidLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelBytes) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!isAlphaNumeric(c) && c != '-') return false;
  }
  return true;
}

bool isValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxDomainBytes) return false;
  while (true) {
    std::size_t dot = domain.find('.');
    if (!isValidLabel(domain.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

}  // namespace

bool isValidEmailAddress(std::string_view address) {
  if (address.size() > kMaxAddressBytes) return false;
  std::size_t at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return isValidLocalPart(address.substr(0, at)) && isValidDomain(address.substr(at + 1));
}

}  // namespace mxauth::domain
