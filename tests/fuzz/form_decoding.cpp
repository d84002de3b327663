// Fuzz target: the decoders of src/http/url_encoding (percent-decoding,
// query strings and form bodies, the request target) and Request::form().
// Invariants: whatever decodes is UTF-8 without NUL; percentEncode and
// encodeUrlEncoded are inverted by the decoders; a parsed target has a path
// starting with '/'.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/request.h"
#include "http/url_encoding.h"

namespace {

using mxauth::http::FormParams;

void checkDecoded(std::string_view text) {
  MXAUTH_FUZZ_CHECK(mxauth::http::isValidUtf8(text));
  MXAUTH_FUZZ_CHECK(text.find('\0') == std::string_view::npos);
}

void checkParams(const FormParams& params) {
  for (const auto& [name, value] : params.entries()) {
    checkDecoded(name);
    checkDecoded(value);
  }
  // Encoding and decoding again gives the same pairs, in the same order.
  auto again = mxauth::http::parseUrlEncoded(mxauth::http::encodeUrlEncoded(params.entries()));
  MXAUTH_FUZZ_CHECK(again.has_value());
  MXAUTH_FUZZ_CHECK(again->entries() == params.entries());
  if (auto duplicate = params.firstDuplicate()) {
    MXAUTH_FUZZ_CHECK(params.count(*duplicate) > 1);
    MXAUTH_FUZZ_CHECK(!params.getUnique(*duplicate).has_value());
  }
  for (const auto& entry : params.entries()) {
    MXAUTH_FUZZ_CHECK(params.get(entry.first).has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (const bool plus_is_space : {false, true}) {
    auto decoded = mxauth::http::percentDecode(text, plus_is_space);
    if (!decoded) continue;
    checkDecoded(*decoded);
    auto round = mxauth::http::percentDecode(mxauth::http::percentEncode(*decoded), false);
    MXAUTH_FUZZ_CHECK(round.has_value() && *round == *decoded);
  }

  if (auto params = mxauth::http::parseUrlEncoded(text)) checkParams(*params);

  if (auto target = mxauth::http::parseRequestTarget(text)) {
    MXAUTH_FUZZ_CHECK(target->path.starts_with('/'));
    checkDecoded(target->path);
    checkParams(target->query);
    MXAUTH_FUZZ_CHECK(text.ends_with(target->raw_query));
  }

  // The same bytes as a form body behind each kind of Content-Type.
  if (auto request = mxauth::http::Request::make(mxauth::http::Method::Post, "/")) {
    request->body = std::string(text);
    request->headers.set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
    if (auto form = request->form()) checkParams(*form);
    request->headers.set("Content-Type", "application/json");
    MXAUTH_FUZZ_CHECK(!request->form().has_value());
  }
  (void)mxauth::http::isFormContentType(text);
  return 0;
}
