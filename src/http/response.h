#pragma once

// The framework-neutral response that handlers return. The server adds the
// defaults every response gets (request id, security headers, Cache-Control
// on JSON; see middleware.h) and writes Content-Length itself, so handlers
// set only what is specific to them.

#include <chrono>
#include <optional>
#include <string>

#include "http/headers.h"

namespace mxauth::http {

enum class SameSite { Strict, Lax, None };

// A Set-Cookie header (RFC 6265 §4.1), built fluently:
//   response.setCookie(SetCookie("session", value).maxAge(std::chrono::hours(1)));
// The defaults suit a session cookie: HttpOnly, Secure, SameSite=Lax,
// Path=/, no Max-Age. `name` must be an RFC 9110 token and `value`
// cookie-octets (encode binary or free text, e.g. base64url); that is the
// caller's contract, not checked here.
class SetCookie {
 public:
  SetCookie(std::string name, std::string value);

  SetCookie& path(std::string path);
  // Zero tells the browser to delete the cookie now.
  SetCookie& maxAge(std::chrono::seconds max_age);
  SetCookie& httpOnly(bool http_only);
  // SameSite=None implies Secure whatever this says: browsers drop
  // SameSite=None cookies that are not Secure.
  SetCookie& secure(bool secure);
  SetCookie& sameSite(SameSite same_site);

  std::string serialize() const;

 private:
  std::string name_;
  std::string value_;
  std::string path_ = "/";
  std::optional<std::chrono::seconds> max_age_;
  bool http_only_ = true;
  bool secure_ = true;
  SameSite same_site_ = SameSite::Lax;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // `body` must already be JSON; Content-Type: application/json.
  static Response json(int status, std::string body);
  // Content-Type: text/html; charset=utf-8.
  static Response html(int status, std::string body);
  // Content-Type: text/plain; charset=utf-8.
  static Response text(int status, std::string body);
  // A redirect to `location` (303 See Other unless told otherwise), no body.
  static Response redirect(std::string location, int status = 303);
  static Response noContent();

  Response& setHeader(std::string name, std::string value);
  Response& addHeader(std::string name, std::string value);
  Response& setCookie(const SetCookie& cookie);
  // Deletes a cookie set with the same name and path.
  Response& clearCookie(std::string name, std::string path = "/");

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
};

}  // namespace mxauth::http
