#include "crypto/jws.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <vector>

#include "core/encoding.h"

namespace mxauth::crypto {
namespace {

// Far above any token we issue or accept; bounds work on hostile input.
constexpr std::size_t kMaxCompactBytes = std::size_t{64} * 1024;

struct ParsedJws {
  boost::json::object header;
  SigningAlgorithm algorithm = SigningAlgorithm::Rs256;
  std::optional<std::string> kid;
  std::string_view signing_input;  // "<header>.<payload>" as received
  std::string payload;
  std::string signature;
};

Result<ParsedJws, JwsError> parse(std::string_view compact,
                                  std::span<const SigningAlgorithm> allowed) {
  auto split = parseCompactJws(compact);
  if (!split) return unexpected(split.error());
  auto algorithm = algorithmFromName(split->alg);
  if (!algorithm) return unexpected(JwsError::UnsupportedAlgorithm);
  if (std::find(allowed.begin(), allowed.end(), *algorithm) == allowed.end()) {
    return unexpected(JwsError::AlgorithmNotAllowed);
  }
  if (split->signature.empty()) return unexpected(JwsError::BadSignature);
  return ParsedJws{std::move(split->header),  *algorithm,
                   std::move(split->kid),     split->signing_input,
                   std::move(split->payload), std::move(split->signature)};
}

VerifiedJws verified(ParsedJws parsed, const PublicKey& key) {
  return VerifiedJws{std::move(parsed.header), std::move(parsed.payload), parsed.algorithm,
                     key.kid()};
}

}  // namespace

Result<CompactJws, JwsError> parseCompactJws(std::string_view compact) {
  if (compact.size() > kMaxCompactBytes) return unexpected(JwsError::Malformed);
  std::size_t first = compact.find('.');
  if (first == std::string_view::npos) return unexpected(JwsError::Malformed);
  std::size_t second = compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return unexpected(JwsError::Malformed);
  }
  std::string_view header_part = compact.substr(0, first);
  std::string_view payload_part = compact.substr(first + 1, second - first - 1);
  std::string_view signature_part = compact.substr(second + 1);
  if (header_part.empty()) return unexpected(JwsError::Malformed);

  auto header_json = core::base64UrlDecode(header_part);
  if (!header_json) return unexpected(JwsError::BadBase64);
  boost::system::error_code ec;
  boost::json::value header = boost::json::parse(*header_json, ec);
  if (ec || !header.is_object()) return unexpected(JwsError::Malformed);

  CompactJws out;
  out.header = std::move(header.as_object());
  const boost::json::value* alg = out.header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return unexpected(JwsError::UnsupportedAlgorithm);
  out.alg = std::string(alg->as_string());
  if (out.header.contains("crit")) return unexpected(JwsError::UnsupportedCritical);
  if (const boost::json::value* kid = out.header.if_contains("kid")) {
    if (!kid->is_string()) return unexpected(JwsError::Malformed);
    out.kid = std::string(kid->as_string());
  }

  auto payload = core::base64UrlDecode(payload_part);
  auto signature = core::base64UrlDecode(signature_part);
  if (!payload || !signature) return unexpected(JwsError::BadBase64);
  out.signing_input = compact.substr(0, second);
  out.payload = std::move(*payload);
  out.signature = std::move(*signature);
  return out;
}

std::string_view describe(JwsError error) {
  switch (error) {
    case JwsError::Malformed:
      return "malformed JWS";
    case JwsError::BadBase64:
      return "JWS part is not base64url";
    case JwsError::UnsupportedAlgorithm:
      return "unsupported JWS algorithm";
    case JwsError::AlgorithmNotAllowed:
      return "JWS algorithm not allowed here";
    case JwsError::UnsupportedCritical:
      return "unsupported critical JWS header";
    case JwsError::KeyNotFound:
      return "no key for this JWS";
    case JwsError::KeyMismatch:
      return "JWS algorithm does not match the key";
    case JwsError::BadSignature:
      return "JWS signature does not verify";
    case JwsError::SigningFailed:
      return "JWS signing failed";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

Result<std::string, JwsError> sign(const SigningKey& key, const boost::json::object& extra_header,
                                   std::string_view payload) {
  boost::json::object header;
  header["alg"] = algorithmName(key.algorithm());
  header["kid"] = key.kid();
  for (const auto& member : extra_header) {
    if (member.key() == "alg" || member.key() == "kid") continue;
    header[member.key()] = member.value();
  }
  std::string out = core::base64UrlEncode(boost::json::serialize(header));
  out += '.';
  out += core::base64UrlEncode(payload);
  auto signature = key.sign(out);
  if (!signature) return unexpected(JwsError::SigningFailed);
  out += '.';
  out += core::base64UrlEncode(*signature);
  return out;
}

Result<std::string, JwsError> signJson(const SigningKey& key,
                                       const boost::json::object& extra_header,
                                       const boost::json::object& payload) {
  return sign(key, extra_header, boost::json::serialize(payload));
}

Result<VerifiedJws, JwsError> verify(std::string_view compact, const PublicKey& key,
                                     std::span<const SigningAlgorithm> allowed) {
  auto parsed = parse(compact, allowed);
  if (!parsed) return unexpected(parsed.error());
  if (key.algorithm() != parsed->algorithm) return unexpected(JwsError::KeyMismatch);
  if (!key.verify(parsed->signing_input, parsed->signature)) {
    return unexpected(JwsError::BadSignature);
  }
  return verified(std::move(*parsed), key);
}

Result<VerifiedJws, JwsError> verify(std::string_view compact, std::span<const PublicKey> keys,
                                     std::span<const SigningAlgorithm> allowed) {
  auto parsed = parse(compact, allowed);
  if (!parsed) return unexpected(parsed.error());
  if (parsed->kid) {
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const PublicKey& key) { return key.kid() == *parsed->kid; });
    if (it == keys.end()) return unexpected(JwsError::KeyNotFound);
    if (it->algorithm() != parsed->algorithm) return unexpected(JwsError::KeyMismatch);
    if (!it->verify(parsed->signing_input, parsed->signature)) {
      return unexpected(JwsError::BadSignature);
    }
    return verified(std::move(*parsed), *it);
  }
  bool any = false;
  for (const PublicKey& key : keys) {
    if (key.algorithm() != parsed->algorithm) continue;
    any = true;
    if (key.verify(parsed->signing_input, parsed->signature)) {
      return verified(std::move(*parsed), key);
    }
  }
  return unexpected(any ? JwsError::BadSignature : JwsError::KeyNotFound);
}

Result<VerifiedJws, JwsError> verify(std::string_view compact, const KeySet& keys,
                                     std::span<const SigningAlgorithm> allowed) {
  std::vector<PublicKey> public_keys = keys.publicKeys();
  return verify(compact, std::span<const PublicKey>(public_keys), allowed);
}

}  // namespace mxauth::crypto
