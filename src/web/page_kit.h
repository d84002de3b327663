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

// What a form with a missing or stale CSRF token says above the form.
inline constexpr std::string_view kExpiredForm =
    "This form has expired or was not sent from this site. Please try again.";

class PageKit;
// "@alice:example.org" for the signed-in user.
std::string userIdOf(const PageKit& kit, const ActiveSession& active);

class PageKit {
 public:
  explicit PageKit(WebContext& context);

  WebContext& context() const { return context_; }
  const SessionManager& sessions() const { return sessions_; }
  const WebSettings& settings() const { return context_.settings; }
  templates::Layout layout() const;

  // text/html with the body; the server adds CSP, X-Frame-Options and
  // Referrer-Policy (http/middleware.h). Pages are never cached: they carry
  // CSRF tokens and personal data.
  http::Response html(int status, std::string body) const;
  http::Response errorPage(int status, std::string title, std::string message) const;
  // 503 when the database is unavailable (retrying may help), else 500.
  http::Response storageFailure(const storage::StorageError& error) const;
  // A 400 page for a form body that is not application/x-www-form-urlencoded
  // or does not decode.
  http::Response badForm() const;

  // "/login?next=<path>" and the like: `path` with its query parameters
  // percent-encoded; empty values are left out.
  static std::string withQuery(
      std::string path,
      std::initializer_list<std::pair<std::string_view, std::optional<std::string_view>>> params);

 private:
  WebContext& context_;
  SessionManager sessions_;
};

// "42 seconds" (for "Please wait 42 seconds"), from a rate limiter's wait
// rounded up to whole seconds; "3 minutes" from two minutes on.
std::string waitMessage(Duration retry_after);
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
