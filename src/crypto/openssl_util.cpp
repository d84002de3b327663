#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <array>

namespace mxauth::crypto::detail {

std::string takeOpensslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  std::array<char, 256> buffer{};
  ERR_error_string_n(code, buffer.data(), buffer.size());
  return buffer.data();
}

}  // namespace mxauth::crypto::detail
