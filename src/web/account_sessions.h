#pragma once

// The sessions pages (issue 5; MSC4191 devices_list, device_view,
// device_delete): every active session of the signed-in user — OAuth
// sessions, compat sessions of the legacy login API, browser sessions —
// with the client's name and logo, the device id, when it started, when
// and from where it was last active, and its user agent; the browser
// session showing the page is marked.
//
//   GET  /account/sessions                   the list (signed in)
//   GET  /account/sessions/{id}              one session (signed in)
//   GET  /account/sessions/{id}/end          form#device-delete: what
//                                            ending it does (step-up)
//   POST /account/sessions/{id}/end          ends it (step-up, CSRF)
//   GET  /account/sessions/device?device_id=X       the session of device X
//   GET  /account/sessions/device/end?device_id=X   its confirmation
//
// {id} is the session's own id (a ULID of any of the three kinds). A
// session that is not the user's, not active or unknown, and a device id
// no active session of the user has, all answer the same 404 page.
//
// Ending a session is sensitive (MSC4191: anyone can craft a link to it):
// the GET only shows the confirmation, both it and the POST need a recent
// authentication (web/step_up.h), and the POST needs a CSRF token bound to
// the session it ends. It finishes the session and revokes its tokens in
// one transaction with the audit event (kAuditSessionEnd) and, for an
// OAuth or compat session with a device, the homeserver's delete_device
// job (jobs/homeserver_jobs.h); the introspection cache then forgets the
// session, so its tokens introspect inactive at once. Ending the browser
// session showing the page is signing out.

#include <string>
#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"
#include "web/step_up.h"

namespace mxauth::web {

inline constexpr std::string_view kSessionsPath = "/account/sessions";
inline constexpr std::string_view kSessionByDevicePath = "/account/sessions/device";
inline constexpr std::string_view kSessionEndByDevicePath = "/account/sessions/device/end";
inline constexpr std::string_view kAuditSessionEnd = "account.session_end";

// "/account/sessions/<id>" and "/account/sessions/<id>/end".
std::string sessionPath(std::string_view id);
std::string sessionEndPath(std::string_view id);

// "Firefox on Linux", from a User-Agent header; "Web browser" when unknown.
templates::Text browserName(std::string_view user_agent);

class SessionPages {
 public:
  SessionPages(const PageKit& kit, const StepUp& step_up) : kit_(kit), step_up_(step_up) {}

  http::Response showSessions(const http::Request& request) const;
  http::Response showSession(const http::Request& request) const;
  http::Response showEnd(const http::Request& request) const;
  http::Response submitEnd(const http::Request& request) const;
  http::Response showSessionByDevice(const http::Request& request) const;
  http::Response showEndByDevice(const http::Request& request) const;

 private:
  http::Response byDevice(const http::Request& request, bool end) const;
  http::Response notFound(const http::Request& request) const;

  const PageKit& kit_;
  const StepUp& step_up_;
};

}  // namespace mxauth::web
