#include "web/page_kit.h"

#include <algorithm>
#include <utility>

#include "domain/localpart.h"
#include "http/url_encoding.h"
#include "i18n/catalogue.h"

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

templates::Layout PageKit::layout(const http::Request& request) const {
  templates::Layout layout;
  layout.service_name = context_.settings.service_name;
  layout.lang = pageLanguage(request);
  return layout;
}

std::string PageKit::pageLanguage(const http::Request& request) const {
  const i18n::Catalogue& catalogue = context_.templates.catalogue();
  const std::string accept_language(request.header("Accept-Language").value_or(""));
  if (const auto ui_locales = request.queryParam("ui_locales")) {
    if (auto chosen = catalogue.uiLocalesChoice(*ui_locales)) return std::move(*chosen);
  }
  if (const auto remembered = request.cookie(languageCookie())) {
    if (catalogue.supports(*remembered)) return std::string(*remembered);
  }
  return catalogue.negotiate(accept_language);
}

void PageKit::rememberUiLocales(const http::Request& request, http::Response& response) const {
  const i18n::Catalogue& catalogue = context_.templates.catalogue();
  const std::string chosen =
      catalogue.uiLocalesChoice(request.queryParam("ui_locales").value_or("")).value_or("");
  http::SetCookie cookie(languageCookie(), chosen);
  cookie.secure(sessions_.secureCookies()).httpOnly(true).sameSite(http::SameSite::Lax).path("/");
  if (!chosen.empty()) {
    response.setCookie(cookie.maxAge(context_.settings.grant_lifetime));
  } else if (request.cookie(languageCookie())) {
    response.setCookie(cookie.maxAge(std::chrono::seconds(0)));
  }
}

std::string PageKit::languageCookie() const {
  return sessions_.secureCookies() ? "__Host-mxauth-lang" : "mxauth-lang";
}

http::Response PageKit::html(int status, std::string body) const {
  http::Response response = http::Response::html(status, std::move(body));
  response.setHeader("Cache-Control", "no-store");
  setContentLanguage(response);
  return response;
}

http::Response PageKit::errorPage(const http::Request& request, int status, Text title,
                                  Text message) const {
  templates::ErrorPage page;
  page.layout = layout(request);
  page.title = std::move(title);
  page.message = std::move(message);
  return html(status, context_.templates.render(page));
}

http::Response PageKit::storageFailure(const http::Request& request,
                                       const storage::StorageError& error) const {
  switch (error.code) {
    case storage::StorageErrorCode::Unavailable:
      return errorPage(request, 503, Text("error.unavailable_title"),
                       Text("error.database_unavailable"));
    case storage::StorageErrorCode::Conflict:
    case storage::StorageErrorCode::Constraint:
    case storage::StorageErrorCode::Internal:
      break;
  }
  return errorPage(request, 500, Text("error.title"), Text("error.internal"));
}

http::Response PageKit::badForm(const http::Request& request) const {
  return errorPage(request, 400, Text("error.bad_form_title"), Text("error.bad_form"));
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

Text waitMessage(Duration retry_after) {
  const std::int64_t seconds = std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
  if (seconds == 1) return Text("wait.one_second");
  if (seconds < 120) return Text("wait.seconds", {{"count", std::to_string(seconds)}});
  return Text("wait.minutes", {{"count", std::to_string((seconds + 59) / 60)}});
}

void setContentLanguage(http::Response& response) {
  constexpr std::string_view kMarker = "<html lang=\"";
  const std::string_view head = std::string_view(response.body).substr(0, 200);
  const std::size_t at = head.find(kMarker);
  if (at == std::string_view::npos) return;
  const std::size_t start = at + kMarker.size();
  const std::size_t end = head.find('"', start);
  if (end == std::string_view::npos || end == start) return;
  response.setHeader("Content-Language", std::string(head.substr(start, end - start)));
  response.setHeader("Vary", "Accept-Language");
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
