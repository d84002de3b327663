#include "web/device_link.h"

#include <optional>
#include <string>
#include <utility>

#include "http/client_address.h"
#include "oauth/client_store.h"
#include "oauth/scope.h"
#include "oauth/user_code.h"
#include "web/client_display.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kLinkPurpose = "device-link";
constexpr std::string_view kDeviceConsentPurposePrefix = "device-consent:";
constexpr std::string_view kDevicePathPrefix = "/device/";
const Text kWrongCode{"device_link.code_invalid"};
// Longer input is not a code; it is cut before it is echoed back.
constexpr std::size_t kMaxCodeInput = 64;

std::string devicePath(const domain::DeviceCodeGrantId& id) {
  return std::string(kDevicePathPrefix) + id.str();
}

}  // namespace

http::Response DeviceLinkPages::renderLink(const http::Request& request, int status,
                                           templates::DeviceLinkPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kLinkPurpose);
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response DeviceLinkPages::showLink(const http::Request& request) const {
  templates::DeviceLinkPage page;
  const std::string_view code = request.queryParam("code").value_or("");
  if (const auto normalized = oauth::normalizeUserCode(code)) {
    page.code = oauth::displayUserCode(*normalized);
  } else if (code.size() <= kMaxCodeInput) {
    page.code = std::string(code);
  }
  return renderLink(request, 200, std::move(page));
}

http::Response DeviceLinkPages::submitLink(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::DeviceLinkPage page;
  const std::string_view typed = form->get("code").value_or("");
  page.code = std::string(typed.substr(0, kMaxCodeInput));
  if (!kit_.sessions().verifyCsrf(request, kLinkPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderLink(request, 403, std::move(page));
  }
  if (typed.empty()) {
    page.code_error = Text("device_link.enter_code");
    return renderLink(request, 400, std::move(page));
  }

  // Checklist H.53: a guess costs a token before anything is looked up.
  const std::string client_key = http::addressKey(request.remote_address);
  if (context.device_link_limiter != nullptr) {
    const core::RateDecision decision = context.device_link_limiter->tryAcquire(client_key);
    if (!decision.allowed) {
      if (context.on_device_link_limited) context.on_device_link_limited();
      page.error = Text("device_link.too_many").with("wait", waitMessage(decision.retry_after));
      http::Response response = renderLink(request, 429, std::move(page));
      response.setHeader("Retry-After", retryAfterSeconds(decision.retry_after));
      return response;
    }
  }

  std::optional<domain::DeviceCodeGrant> grant;
  if (const auto code = oauth::normalizeUserCode(typed)) {
    auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return kit_.storageFailure(request, tx.error());
    auto found = (*tx)->deviceCodeGrants().findByUserCode(*code);
    if (!found) return kit_.storageFailure(request, found.error());
    if (*found && (*found)->isPendingAt(context.clock.now())) grant = std::move(**found);
  }
  if (!grant) {
    page.code_error = kWrongCode;
    return renderLink(request, 400, std::move(page));
  }
  if (context.device_link_limiter != nullptr) context.device_link_limiter->refund(client_key);
  return http::Response::redirect(devicePath(grant->id), 303);
}

http::Response DeviceLinkPages::showConsent(const http::Request& request) const {
  return consent(request, false);
}

http::Response DeviceLinkPages::submitConsent(const http::Request& request) const {
  return consent(request, true);
}

http::Response DeviceLinkPages::consent(const http::Request& request, bool submitted) const {
  WebContext& context = kit_.context();
  const auto expired = [&]() {
    return kit_.errorPage(request, 400, Text("device_link.expired_title"),
                          Text("device_link.expired"));
  };
  const auto id = domain::DeviceCodeGrantId::parse(request.pathParam("id").value_or(""));
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
  storage::Transaction& transaction = **tx;
  auto grant = transaction.deviceCodeGrants().lookup(*id);
  if (!grant) return kit_.storageFailure(request, grant.error());
  if (!*grant || !(*grant)->isPendingAt(context.clock.now())) return expired();
  auto client = oauth::loadClient(transaction, (*grant)->client_id);
  if (!client) return kit_.storageFailure(request, client.error());
  if (!*client) return expired();

  const std::string here = devicePath(*id);
  auto active = kit_.sessions().current(request, transaction, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  if (!*active) {
    return http::Response::redirect(PageKit::withQuery("/login", {{"next", here}}), 303);
  }
  const ActiveSession& session = **active;

  auto scope = oauth::ScopeSet::parse((*grant)->scope);
  if (!scope) return expired();
  if (!oauth::validateScope(*scope, oauth::GrantKind::DeviceCode, session.user.is_admin)) {
    // Only now is the user known: the admin scope is for admins only. The
    // request is denied, so the device stops polling.
    tx->reset();
    auto write = context.database.begin();
    if (!write) return kit_.storageFailure(request, write.error());
    auto denied = (*write)->deviceCodeGrants().deny(context.clock, *id);
    if (!denied) return kit_.storageFailure(request, denied.error());
    auto committed = (*write)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
    return kit_.errorPage(request, 403, Text("device_link.admin_denied_title"),
                          Text("device_link.admin_denied"));
  }

  const templates::ClientDisplay display = clientDisplay(**client, request);
  const std::string purpose = std::string(kDeviceConsentPurposePrefix) + id->str();
  const auto render = [&](int status, std::optional<Text> error) {
    const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
    templates::DeviceConsentPage page;
    page.layout = kit_.layout(request);
    page.csrf_token = kit_.sessions().csrfToken(csrf, purpose);
    page.action = here;
    page.user_id = matrixUserId(session.user, context.settings.homeserver);
    page.client = display;
    page.device_id = scope->deviceId();
    page.user_code = oauth::displayUserCode((*grant)->user_code);
    for (const oauth::ScopeSet::Token& token : scope->tokens()) {
      const bool is_admin = token.kind == oauth::ScopeTokenKind::SynapseAdmin;
      page.scopes.push_back({scopeText(token.value), is_admin});
      page.admin_warning = page.admin_warning || is_admin;
    }
    page.error = std::move(error);
    http::Response response = kit_.html(status, context.templates.render(page));
    if (page.client.logo_uri) {
      response.setHeader("Content-Security-Policy",
                         contentSecurityPolicy("", cspSourceFor(*page.client.logo_uri)));
    }
    kit_.sessions().issueCsrfCookie(response, csrf);
    kit_.sessions().refresh(response, session, context.rng, context.clock);
    return response;
  };
  if (!submitted) return render(200, std::nullopt);
  if (!kit_.sessions().verifyCsrf(request, purpose, form->get("csrf").value_or(""))) {
    return render(403, kExpiredForm);
  }

  const std::string_view action = form->get("action").value_or("");
  if (action != "allow" && action != "deny") return render(400, Text("device_consent.choose"));
  const bool allow = action == "allow";
  auto decided = allow ? transaction.deviceCodeGrants().approve(context.clock, *id, session.user.id,
                                                                session.session.id)
                       : transaction.deviceCodeGrants().deny(context.clock, *id);
  if (!decided) return kit_.storageFailure(request, decided.error());
  // Conditional: another submit of this form already decided.
  if (!*decided) return expired();
  auto committed = transaction.commit();
  if (!committed) return kit_.storageFailure(request, committed.error());

  templates::DeviceDonePage done;
  done.layout = kit_.layout(request);
  done.approved = allow;
  done.client_name = display.name;
  http::Response response = kit_.html(200, context.templates.render(done));
  kit_.sessions().refresh(response, session, context.rng, context.clock);
  return response;
}

}  // namespace mxauth::web
