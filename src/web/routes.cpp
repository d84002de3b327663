#include "web/routes.h"

#include <memory>
#include <string>
#include <string_view>

#include "oauth/discovery.h"
#include "web/account_emails.h"
#include "web/account_pages.h"
#include "web/account_profile.h"
#include "web/account_security.h"
#include "web/account_sessions.h"
#include "web/authorize_handler.h"
#include "web/compat_sso.h"
#include "web/device_link.h"
#include "web/end_session.h"
#include "web/page_kit.h"
#include "web/recovery.h"
#include "web/step_up.h"

namespace mxauth::web {
namespace {

// The handlers share one PageKit; the router's std::function copies keep
// it alive as long as any route does.
struct WebRoutes {
  explicit WebRoutes(WebContext& context)
      : kit(context),
        account(kit),
        step_up(kit),
        security(kit, step_up),
        profile(kit),
        sessions(kit, step_up),
        emails(kit, step_up),
        recovery(kit),
        authorize(kit),
        compat_sso(kit),
        device_link(kit),
        end_session(kit) {}
  PageKit kit;
  AccountPages account;
  StepUp step_up;
  AccountSecurityPages security;
  ProfilePages profile;
  SessionPages sessions;
  AccountEmailPages emails;
  RecoveryPages recovery;
  AuthorizeHandler authorize;
  CompatSsoPages compat_sso;
  DeviceLinkPages device_link;
  EndSessionPages end_session;
};

}  // namespace

void mountWebRoutes(http::Router& router, WebContext& context) {
  const auto routes = std::make_shared<WebRoutes>(context);
  const templates::Templates& templates = context.templates;
  const http::RouteOptions inline_route{http::Execution::Inline, {}};
  for (const templates::StaticAsset& asset : templates.assets()) {
    router.add(
        http::Method::Get, asset.path,
        [&templates](http::Request& request) { return serveAsset(templates, request); },
        inline_route);
  }

  using http::Method;
  router.add(Method::Get, "/login",
             [routes](http::Request& r) { return routes->account.showLogin(r); },
             {.execution = http::Execution::Blocking, .fast_path = [routes](http::Request& r) {
                return routes->account.showLoginWithoutStorage(r);
              }});
  router.add(Method::Post, "/login",
             [routes](http::Request& r) { return routes->account.submitLogin(r); });
  router.add(Method::Get, "/register",
             [routes](http::Request& r) { return routes->account.showRegister(r); });
  router.add(Method::Post, "/register",
             [routes](http::Request& r) { return routes->account.submitRegister(r); });
  router.add(Method::Get, "/register/verify",
             [routes](http::Request& r) { return routes->account.showRegisterVerify(r); });
  router.add(Method::Post, "/register/verify",
             [routes](http::Request& r) { return routes->account.submitRegisterVerify(r); });
  router.add(Method::Post, "/register/resend",
             [routes](http::Request& r) { return routes->account.submitRegisterResend(r); });
  router.add(Method::Get, "/logout",
             [routes](http::Request& r) { return routes->account.showLogout(r); });
  router.add(Method::Post, "/logout",
             [routes](http::Request& r) { return routes->account.submitLogout(r); });
  router.add(Method::Get, "/",
             [routes](http::Request& r) { return routes->account.showAccount(r); });
  router.add(Method::Get, "/account/",
             [routes](http::Request& r) { return routes->account.showAccount(r); });
  // Step-up and the sensitive account pages (web/step_up.h,
  // web/account_security.h).
  router.add(Method::Get, "/account/reauth",
             [routes](http::Request& r) { return routes->step_up.showReauth(r); });
  router.add(Method::Post, "/account/reauth",
             [routes](http::Request& r) { return routes->step_up.submitReauth(r); });
  router.add(Method::Get, std::string(kPasswordChangePath),
             [routes](http::Request& r) { return routes->security.showPasswordChange(r); });
  router.add(Method::Post, std::string(kPasswordChangePath),
             [routes](http::Request& r) { return routes->security.submitPasswordChange(r); });
  router.add(Method::Get, std::string(kDeactivatePath),
             [routes](http::Request& r) { return routes->security.showDeactivate(r); });
  router.add(Method::Post, std::string(kDeactivatePath),
             [routes](http::Request& r) { return routes->security.submitDeactivate(r); });
  router.add(Method::Get, std::string(kCrossSigningResetPath),
             [routes](http::Request& r) { return routes->security.showCrossSigningReset(r); });
  router.add(Method::Post, std::string(kCrossSigningResetPath),
             [routes](http::Request& r) { return routes->security.submitCrossSigningReset(r); });
  // The profile and the sessions pages (web/account_profile.h,
  // web/account_sessions.h).
  router.add(Method::Get, std::string(kProfilePath),
             [routes](http::Request& r) { return routes->profile.showProfile(r); });
  router.add(Method::Post, std::string(kProfilePath),
             [routes](http::Request& r) { return routes->profile.submitProfile(r); });
  router.add(Method::Get, std::string(kSessionsPath),
             [routes](http::Request& r) { return routes->sessions.showSessions(r); });
  router.add(Method::Get, std::string(kSessionByDevicePath),
             [routes](http::Request& r) { return routes->sessions.showSessionByDevice(r); });
  router.add(Method::Get, std::string(kSessionEndByDevicePath),
             [routes](http::Request& r) { return routes->sessions.showEndByDevice(r); });
  router.add(Method::Get, std::string(kSessionsPath) + "/{id}",
             [routes](http::Request& r) { return routes->sessions.showSession(r); });
  router.add(Method::Get, std::string(kSessionsPath) + "/{id}/end",
             [routes](http::Request& r) { return routes->sessions.showEnd(r); });
  router.add(Method::Post, std::string(kSessionsPath) + "/{id}/end",
             [routes](http::Request& r) { return routes->sessions.submitEnd(r); });
  // E-mail addresses and password recovery (web/account_emails.h,
  // web/recovery.h).
  router.add(Method::Get, std::string(kEmailsPath),
             [routes](http::Request& r) { return routes->emails.showEmails(r); });
  router.add(Method::Post, std::string(kEmailsPath),
             [routes](http::Request& r) { return routes->emails.submitAdd(r); });
  router.add(Method::Get, std::string(kEmailVerifyPath),
             [routes](http::Request& r) { return routes->emails.showVerify(r); });
  router.add(Method::Post, std::string(kEmailVerifyPath),
             [routes](http::Request& r) { return routes->emails.submitVerify(r); });
  router.add(Method::Post, std::string(kEmailResendPath),
             [routes](http::Request& r) { return routes->emails.submitResend(r); });
  router.add(Method::Post, std::string(kEmailPrimaryPath),
             [routes](http::Request& r) { return routes->emails.submitPrimary(r); });
  router.add(Method::Post, std::string(kEmailRemovePath),
             [routes](http::Request& r) { return routes->emails.submitRemove(r); });
  router.add(Method::Get, std::string(kRecoverPath),
             [routes](http::Request& r) { return routes->recovery.showRecover(r); });
  router.add(Method::Post, std::string(kRecoverPath),
             [routes](http::Request& r) { return routes->recovery.submitRecover(r); });
  router.add(Method::Get, std::string(kRecoverPasswordPath),
             [routes](http::Request& r) { return routes->recovery.showRecoverPassword(r); });
  router.add(Method::Post, std::string(kRecoverPasswordPath),
             [routes](http::Request& r) { return routes->recovery.submitRecoverPassword(r); });
  router.add(Method::Get, "/authorize",
             [routes](http::Request& r) { return routes->authorize.authorize(r); });
  router.add(Method::Post, "/authorize",
             [routes](http::Request& r) { return routes->authorize.authorize(r); });
  router.add(Method::Get, "/authorize/continue",
             [routes](http::Request& r) { return routes->authorize.showContinue(r); });
  router.add(Method::Post, "/authorize/continue",
             [routes](http::Request& r) { return routes->authorize.submitContinue(r); });
  // The device authorization grant (web/device_link.h).
  router.add(Method::Get, "/link",
             [routes](http::Request& r) { return routes->device_link.showLink(r); });
  router.add(Method::Post, "/link",
             [routes](http::Request& r) { return routes->device_link.submitLink(r); });
  router.add(Method::Get, "/device/{id}",
             [routes](http::Request& r) { return routes->device_link.showConsent(r); });
  router.add(Method::Post, "/device/{id}",
             [routes](http::Request& r) { return routes->device_link.submitConsent(r); });
  // RP-Initiated Logout (web/end_session.h): the end_session_endpoint.
  for (const Method method : {Method::Get, Method::Post}) {
    router.add(method, std::string(oauth::kEndSessionPath),
               [routes](http::Request& r) { return routes->end_session.endSession(r); });
  }
  // The legacy SSO login (web/compat_sso.h); the reverse proxy routes the
  // /_matrix paths here with the rest of the compat layer.
  for (const std::string_view version : {"r0", "v3"}) {
    const std::string base = "/_matrix/client/" + std::string(version) + "/login/sso/redirect";
    for (const std::string& path : {base, base + "/{idp}"}) {
      router.add(Method::Get, path,
                 [routes](http::Request& r) { return routes->compat_sso.redirect(r); });
    }
  }
  router.add(Method::Get, "/complete-compat-sso/{id}",
             [routes](http::Request& r) { return routes->compat_sso.showConfirm(r); });
  router.add(Method::Post, "/complete-compat-sso/{id}",
             [routes](http::Request& r) { return routes->compat_sso.submitConfirm(r); });
}

http::Response notFoundPage(WebContext& context, const http::Request& request) {
  return PageKit(context).errorPage(request, 404, Text("routes.not_found_title"),
                                    Text("routes.not_found"));
}

}  // namespace mxauth::web
