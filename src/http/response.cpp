#include "http/response.h"

#include <utility>

namespace mxauth::http {
namespace {

Response withContentType(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers.add("Content-Type", std::move(content_type));
  return response;
}

std::string_view sameSiteName(SameSite same_site) {
  switch (same_site) {
    case SameSite::Strict:
      return "Strict";
    case SameSite::Lax:
      return "Lax";
    case SameSite::None:
      return "None";
  }
  return "Lax";
}

}  // namespace

SetCookie::SetCookie(std::string name, std::string value)
    : name_(std::move(name)), value_(std::move(value)) {}

SetCookie& SetCookie::path(std::string path) {
  path_ = std::move(path);
  return *this;
}

SetCookie& SetCookie::maxAge(std::chrono::seconds max_age) {
  max_age_ = max_age;
  return *this;
}

SetCookie& SetCookie::httpOnly(bool http_only) {
  http_only_ = http_only;
  return *this;
}

SetCookie& SetCookie::secure(bool secure) {
  secure_ = secure;
  return *this;
}

SetCookie& SetCookie::sameSite(SameSite same_site) {
  same_site_ = same_site;
  return *this;
}

std::string SetCookie::serialize() const {
  std::string out = name_;
  out += '=';
  out += value_;
  if (!path_.empty()) {
    out += "; Path=";
    out += path_;
  }
  if (max_age_) {
    out += "; Max-Age=";
    out += std::to_string(max_age_->count() < 0 ? 0 : max_age_->count());
  }
  if (http_only_) out += "; HttpOnly";
  if (secure_ || same_site_ == SameSite::None) out += "; Secure";
  out += "; SameSite=";
  out += sameSiteName(same_site_);
  return out;
}

Response Response::json(int status, std::string body) {
  return withContentType(status, std::move(body), "application/json");
}

Response Response::html(int status, std::string body) {
  return withContentType(status, std::move(body), "text/html; charset=utf-8");
}

Response Response::text(int status, std::string body) {
  return withContentType(status, std::move(body), "text/plain; charset=utf-8");
}

Response Response::redirect(std::string location, int status) {
  Response response;
  response.status = status;
  response.headers.add("Location", std::move(location));
  return response;
}

Response Response::noContent() {
  Response response;
  response.status = 204;
  return response;
}

Response& Response::setHeader(std::string name, std::string value) {
  headers.set(std::move(name), std::move(value));
  return *this;
}

Response& Response::addHeader(std::string name, std::string value) {
  headers.add(std::move(name), std::move(value));
  return *this;
}

Response& Response::setCookie(const SetCookie& cookie) {
  headers.add("Set-Cookie", cookie.serialize());
  return *this;
}

Response& Response::clearCookie(std::string name, std::string path) {
  return setCookie(
      SetCookie(std::move(name), "").path(std::move(path)).maxAge(std::chrono::seconds(0)));
}

}  // namespace mxauth::http
