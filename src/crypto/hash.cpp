#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <string>

#include "core/encoding.h"

namespace mxauth::crypto {
namespace {

// SHA-256 fetched from the provider once: EVP_sha256() makes every digest
// look the algorithm up again (a locked provider-store search in OpenSSL 3),
// which cost a token hash on the introspection fast path as much as the
// hashing. Kept for the life of the process.
const EVP_MD* sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();  // OpenSSL without a SHA-256 provider
    return fetched;
  }();
  return md;
}

}  // namespace

Sha256Digest sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  // EVP_Digest fails only when OpenSSL itself is broken (no SHA-256 provider).
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256Md(), nullptr) != 1 ||
      len != out.size()) {
    std::abort();
  }
  return out;
}

Sha256Digest sha256(std::string_view data) { return sha256(core::asBytes(data)); }

Sha256Digest hmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  static constexpr std::uint8_t kEmpty = 0;
  const std::uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  if (HMAC(sha256Md(), key_data, static_cast<int>(key.size()), data.data(), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    std::abort();  // as above: only a broken OpenSSL fails here
  }
  return out;
}

Sha256Digest hmacSha256(std::string_view key, std::string_view data) {
  return hmacSha256(core::asBytes(key), core::asBytes(data));
}

Sha256Digest deriveKey(std::span<const std::uint8_t> secret, std::string_view purpose) {
  std::string label = "mxauth:";
  label += purpose;
  return hmacSha256(secret, core::asBytes(label));
}

}  // namespace mxauth::crypto
