#include "crypto/aead.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace mxauth::crypto {
namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kHeaderBytes = 1 + kNonceBytes;

const unsigned char* bytesOf(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The associated data as GCM sees it: the key id byte, then the caller's.
std::string gcmAad(std::uint8_t key_id, std::string_view associated_data) {
  std::string aad(1, static_cast<char>(key_id));
  aad += associated_data;
  return aad;
}

}  // namespace

Result<EncryptionSecret, AeadError> parseEncryptionSecret(std::string_view hex) {
  EncryptionSecret secret{};
  if (hex.size() != 2 * secret.size()) return unexpected(AeadError::InvalidSecret);
  auto bytes = core::hexDecode(hex);
  if (!bytes) return unexpected(AeadError::InvalidSecret);
  std::copy(bytes->begin(), bytes->end(), secret.begin());
  return secret;
}

std::string generateEncryptionSecretHex(Rng& rng) {
  return core::hexEncode(randomBytes(rng, EncryptionSecret().size()));
}

Aead::Key Aead::deriveFrom(const EncryptionSecret& secret) {
  Key key{};
  key.id = deriveKey(secret, "aead-key-id")[0];
  key.bytes = deriveKey(secret, "aead-aes-256-gcm");
  return key;
}

Aead::Aead(const EncryptionSecret& secret) { keys_.push_back(deriveFrom(secret)); }

Result<Aead, AeadError> Aead::fromHexSecret(std::string_view hex) {
  auto secret = parseEncryptionSecret(hex);
  if (!secret) return unexpected(secret.error());
  return Aead(*secret);
}

void Aead::addRetiredSecret(const EncryptionSecret& secret) { keys_.push_back(deriveFrom(secret)); }

std::string Aead::seal(Rng& rng, std::string_view plaintext,
                       std::string_view associated_data) const {
  const Key& key = keys_.front();
  std::string out(kHeaderBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = static_cast<char>(key.id);
  std::vector<std::uint8_t> nonce = randomBytes(rng, kNonceBytes);
  std::copy(nonce.begin(), nonce.end(), out.begin() + 1);
  std::string aad = gcmAad(key.id, associated_data);

  auto* cipher_out = reinterpret_cast<unsigned char*>(out.data() + kHeaderBytes);
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  // AES-GCM with a valid key and nonce fails only when OpenSSL is broken.
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.bytes.data(), nonce.data(), nullptr) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytesOf(aad), static_cast<int>(aad.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), cipher_out, &len, bytesOf(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher_out + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          out.data() + kHeaderBytes + plaintext.size()) != 1) {
    std::abort();
  }
  return core::base64UrlEncode(out);
}

Result<std::string, AeadError> Aead::open(std::string_view sealed,
                                          std::string_view associated_data) const {
  auto decoded = core::base64UrlDecode(sealed);
  if (!decoded || decoded->size() < kHeaderBytes + kTagBytes) {
    return unexpected(AeadError::Malformed);
  }
  std::string_view raw = *decoded;
  auto key_id = static_cast<std::uint8_t>(raw[0]);
  std::string_view nonce = raw.substr(1, kNonceBytes);
  std::string_view ciphertext = raw.substr(kHeaderBytes, raw.size() - kHeaderBytes - kTagBytes);
  std::string tag(raw.substr(raw.size() - kTagBytes));
  std::string aad = gcmAad(key_id, associated_data);

  bool known = false;
  // Key ids are one byte, so two secrets may share one: try each that matches.
  for (const Key& key : keys_) {
    if (key.id != key_id) continue;
    known = true;
    std::string plaintext(ciphertext.size(), '\0');
    detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int final_len = 0;
    bool ok =
        ctx &&
        EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.bytes.data(), bytesOf(nonce),
                            nullptr) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytesOf(aad), static_cast<int>(aad.size())) ==
            1 &&
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plaintext.data()), &len,
                          bytesOf(ciphertext), static_cast<int>(ciphertext.size())) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                            tag.data()) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plaintext.data()) + len,
                            &final_len) == 1;
    if (ok) return plaintext;
    detail::takeOpensslError();
  }
  return unexpected(known ? AeadError::AuthenticationFailed : AeadError::UnknownKey);
}

}  // namespace mxauth::crypto
