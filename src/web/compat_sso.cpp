#include "web/compat_sso.h"

#include <string>
#include <string_view>
#include <vector>

#include "compat/matrix_error.h"
#include "compat/sso_redirect.h"
#include "crypto/random.h"
#include "crypto/token.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kConfirmPath = "/complete-compat-sso/";
constexpr std::string_view kConfirmPurposePrefix = "compat-sso:";
// 192 bits; the client has seconds to use it.
constexpr std::size_t kLoginTokenBytes = 24;

// Browsers navigating get pages; API clients probing the endpoint get a
// Matrix error, as for the rest of /_matrix.
bool wantsHtml(const http::Request& request) {
  for (const std::string_view accept : request.headerValues("Accept")) {
    if (accept.find("text/html") != std::string_view::npos) return true;
  }
  return false;
}

std::string confirmPath(const domain::CompatSsoLoginId& id) {
  return std::string(kConfirmPath) + id.str();
}

}  // namespace

http::Response CompatSsoPages::redirect(const http::Request& request) const {
  WebContext& context = kit_.context();
  const auto refuse = [&](const char* key, const std::string& reason) {
    if (wantsHtml(request)) {
      templates::ErrorPage page;
      page.layout = kit_.layout(request);
      page.title = Text("sso.cannot_start_title");
      page.message = Text(key);
      // The precise reason is for the application's developers: in English,
      // as in the Matrix error.
      page.detail = Text::verbatim(reason);
      return kit_.html(400, context.templates.render(page));
    }
    return compat::matrixError(400, "M_INVALID_PARAM", reason);
  };
  auto url = request.query.getUnique("redirectUrl");
  if (!url) return refuse("sso.redirect_url_repeated", "The redirectUrl parameter is repeated.");
  if (!*url) {
    if (wantsHtml(request)) {
      return kit_.errorPage(request, 400, Text("sso.cannot_start_title"),
                            Text("sso.no_redirect_url"));
    }
    return compat::matrixError(400, "M_MISSING_PARAM", "Missing redirectUrl");
  }
  auto destination = compat::checkSsoRedirectUrl(**url);
  if (!destination) return refuse("sso.redirect_url_refused", destination.error());
  // MSC3824 (Matrix 1.18): the client's intent; anything else is ignored.
  std::string_view action = request.queryParam("action").value_or(
      request.queryParam("org.matrix.msc3824.action").value_or(""));
  if (action != "register" && action != "login") action = "";

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto added = (*tx)->compatSsoLogins().add(context.rng, context.clock, **url);
  if (!added) return kit_.storageFailure(request, added.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());

  // Absolute, on our public base: this request usually came through the
  // homeserver's address (the reverse proxy routes /_matrix/… here), where
  // the confirmation page does not live.
  std::string base = context.settings.public_base;
  while (base.ends_with('/')) base.pop_back();
  http::Response response = http::Response::redirect(
      base + PageKit::withQuery(
                 confirmPath(added->id),
                 {{"action",
                   action.empty() ? std::nullopt : std::optional<std::string_view>(action)}}),
      303);
  return response;
}

http::Response CompatSsoPages::showConfirm(const http::Request& request) const {
  return confirm(request, false);
}

http::Response CompatSsoPages::submitConfirm(const http::Request& request) const {
  return confirm(request, true);
}

http::Response CompatSsoPages::confirm(const http::Request& request, bool submitted) const {
  WebContext& context = kit_.context();
  const auto expired = [&]() {
    return kit_.errorPage(request, 400, Text("sso.expired_title"), Text("sso.expired"));
  };
  const auto id = domain::CompatSsoLoginId::parse(request.pathParam("id").value_or(""));
  if (!id) return expired();
  std::optional<http::FormParams> form;
  if (submitted) {
    auto parsed = request.form();
    if (!parsed) return kit_.badForm(request);
    form = std::move(*parsed);
  }

  auto tx = context.database.begin(submitted ? storage::TransactionMode::ReadWrite
                                             : storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto login = (*tx)->compatSsoLogins().lookup(*id);
  if (!login) return kit_.storageFailure(request, login.error());
  const Timestamp now = context.clock.now();
  if (!*login || !(*login)->isPending() ||
      now - (*login)->created_at > context.settings.compat_sso_lifetime) {
    return expired();
  }
  auto destination = compat::checkSsoRedirectUrl((*login)->redirect_uri);
  if (!destination) return expired();

  const std::string here = confirmPath(*id);
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  if (!*active) {
    if (request.queryParam("action") == std::optional<std::string_view>("register") &&
        context.settings.registration_enabled) {
      return http::Response::redirect(PageKit::withQuery("/register", {{"next", here}}), 303);
    }
    return http::Response::redirect(PageKit::withQuery("/login", {{"next", here}}), 303);
  }
  const ActiveSession& session = **active;

  const std::string purpose = std::string(kConfirmPurposePrefix) + id->str();
  const auto render = [&](int status, std::optional<Text> error) {
    const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
    templates::SsoConfirmPage page;
    page.layout = kit_.layout(request);
    page.csrf_token = kit_.sessions().csrfToken(csrf, purpose);
    page.action = here;
    page.user_id = "@" + session.user.localpart + ":" + context.settings.homeserver;
    page.destination = destination->display;
    page.destination_is_web = destination->is_web;
    page.redirect_url = (*login)->redirect_uri;
    page.error = std::move(error);
    http::Response response = kit_.html(status, context.templates.render(page));
    // The form's answer redirects to the application; browsers hold that
    // redirect to form-action.
    response.setHeader("Content-Security-Policy",
                       contentSecurityPolicy(cspSourceFor((*login)->redirect_uri), ""));
    kit_.sessions().issueCsrfCookie(response, csrf);
    kit_.sessions().refresh(response, session, context.rng, context.clock);
    return response;
  };
  if (!submitted) return render(200, std::nullopt);
  if (!kit_.sessions().verifyCsrf(request, purpose, form->get("csrf").value_or(""))) {
    return render(403, kExpiredForm);
  }

  const std::string token = crypto::randomUrlSafeString(context.rng, kLoginTokenBytes);
  auto fulfilled = (*tx)->compatSsoLogins().fulfil(context.clock, *id, session.user.id,
                                                   session.session.id, crypto::tokenHashHex(token));
  if (!fulfilled) return kit_.storageFailure(request, fulfilled.error());
  if (!*fulfilled) return expired();
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  http::Response response =
      http::Response::redirect(compat::withLoginToken((*login)->redirect_uri, token), 303);
  kit_.sessions().refresh(response, session, context.rng, context.clock);
  return response;
}

}  // namespace mxauth::web
