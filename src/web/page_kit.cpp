#include "web/page_kit.h"

#include <algorithm>
#include <utility>

#include "domain/localpart.h"
#include "http/url_encoding.h"

namespace mxauth::web {

std::string userIdOf(const PageKit& kit, const ActiveSession& active) {
  return "@" + active.user.localpart + ":" + kit.settings().homeserver;
}
namespace {

SessionSettings sessionSettings(const WebSettings& settings) {
  SessionSettings session;
  session.public_base = settings.public_base;
  session.idle_lifetime = settings.session_idle_lifetime;
  session.absolute_lifetime = settings.session_absolute_lifetime;
  return session;
}

bool isSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

}  // namespace

PageKit::PageKit(WebContext& context)
    : context_(context), sessions_(context.encryption_secret, sessionSettings(context.settings)) {}

templates::Layout PageKit::layout() const {
  templates::Layout layout;
  layout.service_name = context_.settings.service_name;
  return layout;
}

http::Response PageKit::html(int status, std::string body) const {
  http::Response response = http::Response::html(status, std::move(body));
  response.setHeader("Cache-Control", "no-store");
  return response;
}

http::Response PageKit::errorPage(int status, std::string title, std::string message) const {
  templates::ErrorPage page;
  page.layout = layout();
  page.title = std::move(title);
  page.message = std::move(message);
  return html(status, context_.templates.render(page));
}

http::Response PageKit::storageFailure(const storage::StorageError& error) const {
  switch (error.code) {
    case storage::StorageErrorCode::Unavailable:
      return errorPage(503, "Temporarily unavailable",
                       "The service is busy or its database cannot be reached. Please try again "
                       "in a moment.");
    case storage::StorageErrorCode::Conflict:
    case storage::StorageErrorCode::Constraint:
    case storage::StorageErrorCode::Internal:
      break;
  }
  return errorPage(500, "Something went wrong",
                   "The service could not complete your request. Please try again later.");
}

http::Response PageKit::badForm() const {
  return errorPage(400, "Invalid form",
                   "The form could not be read. Please go back and try again.");
}

std::string PageKit::withQuery(
    std::string path,
    std::initializer_list<std::pair<std::string_view, std::optional<std::string_view>>> params) {
  std::vector<http::FormParams::Entry> entries;
  for (const auto& [name, value] : params) {
    if (value && !value->empty()) entries.emplace_back(std::string(name), std::string(*value));
  }
  if (entries.empty()) return path;
  return path + "?" + http::encodeUrlEncoded(entries);
}

std::string waitMessage(Duration retry_after) {
  const std::int64_t seconds = std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
  if (seconds == 1) return "1 second";
  if (seconds < 120) return std::to_string(seconds) + " seconds";
  return std::to_string((seconds + 59) / 60) + " minutes";
}

std::string retryAfterSeconds(Duration retry_after) {
  return std::to_string(std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000));
}

std::string contentSecurityPolicy(std::string_view extra_form_action,
                                  std::string_view extra_img_src) {
  std::string policy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";
  if (!extra_form_action.empty()) {
    policy += ' ';
    policy += extra_form_action;
  }
  policy += "; img-src 'self'";
  if (!extra_img_src.empty()) {
    policy += ' ';
    policy += extra_img_src;
  }
  policy += "; base-uri 'none'; object-src 'none'";
  return policy;
}

std::string cspSourceFor(std::string_view uri) {
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  const std::string scheme = domain::asciiLowercase(uri.substr(0, colon));
  if (!std::all_of(scheme.begin(), scheme.end(), isSchemeChar)) return {};
  std::string source;
  if (scheme == "http" || scheme == "https") {
    source = originOf(uri);
  } else {
    source = scheme + ":";
  }
  // A source expression must not carry separators of the policy grammar.
  const bool safe = !source.empty() && std::none_of(source.begin(), source.end(), [](char c) {
    return c == ' ' || c == ';' || c == ',' || c == '\'' || c == '"' ||
           static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e;
  });
  return safe ? source : std::string();
}

}  // namespace mxauth::web
