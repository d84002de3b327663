#pragma once

// What every page handler of web/ shares: the context, the session manager,
// the layout, and the one mapping of failures to HTML pages (style §6.5):
// every failure is a page with a message, never a blank body or JSON.

#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "storage/storage_error.h"
#include "templates/pages.h"
#include "web/session.h"
#include "web/web_context.h"

namespace mxauth::web {

using templates::Text;

// What a form with a missing or stale CSRF token says above the form.
inline const Text kExpiredForm{"form.expired"};

class PageKit;
// "@alice:example.org" for the signed-in user.
std::string userIdOf(const PageKit& kit, const ActiveSession& active);

class PageKit {
 public:
  explicit PageKit(WebContext& context);

  WebContext& context() const { return context_; }
  const SessionManager& sessions() const { return sessions_; }
  const WebSettings& settings() const { return context_.settings; }
  // The layout of a page answering `request`, in the language negotiated
  // for it (pageLanguage()).
  templates::Layout layout(const http::Request& request) const;
  // The language of the pages for this request: the first supported tag of
  // its `ui_locales` query parameter (OIDC Core §3.1.2.1, on /authorize and
  // the end-session endpoint), else the language an /authorize request's
  // ui_locales chose for the pages that follow it (the language cookie,
  // rememberUiLocales()), else the Accept-Language header, else English.
  std::string pageLanguage(const http::Request& request) const;
  // After /authorize: keeps the language its ui_locales chose for the
  // login and consent pages that follow (a cookie that lives as long as the
  // grant), or forgets an earlier choice when this request made none.
  void rememberUiLocales(const http::Request& request, http::Response& response) const;

  // text/html with the body; the server adds CSP, X-Frame-Options and
  // Referrer-Policy (http/middleware.h). Pages are never cached: they carry
  // CSRF tokens and personal data. Content-Language is the page's language
  // (its <html lang>), with Vary: Accept-Language.
  http::Response html(int status, std::string body) const;
  http::Response errorPage(const http::Request& request, int status, Text title,
                           Text message) const;
  // 503 when the database is unavailable (retrying may help), else 500.
  http::Response storageFailure(const http::Request& request,
                                const storage::StorageError& error) const;
  // A 400 page for a form body that is not application/x-www-form-urlencoded
  // or does not decode.
  http::Response badForm(const http::Request& request) const;

  // "/login?next=<path>" and the like: `path` with its query parameters
  // percent-encoded; empty values are left out.
  static std::string withQuery(
      std::string path,
      std::initializer_list<std::pair<std::string_view, std::optional<std::string_view>>> params);

 private:
  std::string languageCookie() const;

  WebContext& context_;
  SessionManager sessions_;
};

// "42 seconds" (for "Please wait 42 seconds"), from a rate limiter's wait
// rounded up to whole seconds; "3 minutes" from two minutes on: a message
// to pass as the {wait} argument of another (Text::with).
Text waitMessage(Duration retry_after);
// Content-Language and Vary for a page whose body starts like the
// templates' head (<html lang="…">).
void setContentLanguage(http::Response& response);
// The Retry-After header value (RFC 9110 §10.2.3) for that wait: whole
// seconds, rounded up.
std::string retryAfterSeconds(Duration retry_after);

// A Content-Security-Policy like the server's default (http/middleware.h)
// but with extra sources for form-action and img-src: the consent form
// ends in a redirect to the client (browsers apply form-action to it), and
// the client's logo lives on the client's host.
std::string contentSecurityPolicy(std::string_view extra_form_action,
                                  std::string_view extra_img_src);

// The CSP source expression for the place a URI points to: its origin for
// http(s) ("https://app.example:8443"), "scheme:" for a private-use scheme.
// Empty when the URI cannot be expressed safely as a source.
std::string cspSourceFor(std::string_view uri);

}  // namespace mxauth::web
