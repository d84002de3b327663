#include "web/account_sessions.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "domain/compat.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/client_store.h"
#include "web/account_effects.h"
#include "web/account_security.h"
#include "web/client_display.h"

namespace mxauth::web {
namespace {

// Longer device ids are never ours (clients choose 10 or so characters).
constexpr std::size_t kMaxDeviceIdLength = 255;

enum class SessionKind { OAuth, Compat, Browser };

std::string_view kindName(SessionKind kind) {
  switch (kind) {
    case SessionKind::OAuth:
      return "oauth";
    case SessionKind::Compat:
      return "compat";
    case SessionKind::Browser:
      return "browser";
  }
  return "unknown";  // unreachable: every enumerator is handled above
}

// One session of the user, found in whichever table holds it.
struct FoundSession {
  SessionKind kind = SessionKind::Browser;
  std::string id;
  std::optional<std::string> device_id;
  Timestamp created_at;
  templates::SessionSummary summary;
};

// "2026-11-28 14:32 UTC"
std::string dateTime(Timestamp at) {
  const auto seconds = static_cast<std::time_t>(toUnixMillis(at) / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return std::string(text, length);
}

std::optional<std::string> nonEmpty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// Describes the sessions of one page, loading each client once.
class SessionDescriber {
 public:
  SessionDescriber(storage::Transaction& tx, const http::Request& request,
                   const ActiveSession& active)
      : tx_(tx), request_(request), active_(active) {}

  Result<FoundSession, storage::StorageError> describe(const domain::OAuthSession& session) {
    FoundSession found;
    found.kind = SessionKind::OAuth;
    found.id = session.id.str();
    found.device_id = session.device_id;
    found.created_at = session.created_at;
    templates::SessionSummary& summary = found.summary;
    summary.kind = Text("sessions.kind_app");
    auto display = clientOf(session.client_id);
    if (!display) return unexpected(std::move(display).error());
    summary.name =
        display->name.empty() ? Text("sessions.unknown_app") : Text::verbatim(display->name);
    summary.logo_uri = display->logo_uri;
    if (summary.logo_uri) logo_sources_.insert(cspSourceFor(*summary.logo_uri));
    summary.device_id = session.device_id;
    summary.created_at = dateTime(session.created_at);
    if (session.last_active_at) summary.last_active_at = dateTime(*session.last_active_at);
    summary.last_active_ip = session.last_active_ip;
    summary.user_agent = nonEmpty(session.user_agent);
    summary.href = sessionPath(found.id);
    return found;
  }

  static FoundSession describe(const domain::CompatSession& session) {
    FoundSession found;
    found.kind = SessionKind::Compat;
    found.id = session.id.str();
    found.device_id = session.device_id;
    found.created_at = session.created_at;
    templates::SessionSummary& summary = found.summary;
    summary.kind = Text("sessions.kind_legacy");
    summary.name = session.display_name && !session.display_name->empty()
                       ? Text::verbatim(*session.display_name)
                       : Text("sessions.matrix_app");
    summary.device_id = session.device_id;
    summary.created_at = dateTime(session.created_at);
    if (session.last_active_at) summary.last_active_at = dateTime(*session.last_active_at);
    summary.last_active_ip = session.last_active_ip;
    summary.user_agent = nonEmpty(session.user_agent);
    summary.href = sessionPath(found.id);
    return found;
  }

  FoundSession describe(const domain::BrowserSession& session) const {
    FoundSession found;
    found.kind = SessionKind::Browser;
    found.id = session.id.str();
    found.created_at = session.created_at;
    templates::SessionSummary& summary = found.summary;
    summary.kind = Text("sessions.kind_browser");
    summary.name = browserName(session.user_agent);
    summary.created_at = dateTime(session.created_at);
    // The browser's last sign-in (a login or a step-up).
    if (session.authenticated_at != session.created_at) {
      summary.last_active_at = dateTime(session.authenticated_at);
    }
    summary.last_active_ip = nonEmpty(session.ip_address);
    summary.user_agent = nonEmpty(session.user_agent);
    summary.is_current = session.id == active_.session.id;
    summary.href = sessionPath(found.id);
    return found;
  }

  // The img-src sources the logos of the described sessions need.
  std::string logoSources() const {
    std::string sources;
    for (const std::string& source : logo_sources_) {
      if (source.empty()) continue;
      if (!sources.empty()) sources += ' ';
      sources += source;
    }
    return sources;
  }

 private:
  Result<templates::ClientDisplay, storage::StorageError> clientOf(const domain::ClientId& id) {
    if (auto known = clients_.find(id.str()); known != clients_.end()) return known->second;
    auto client = oauth::loadClient(tx_, id);
    if (!client) return unexpected(std::move(client).error());
    templates::ClientDisplay display;
    if (*client) {
      display = clientDisplay(**client, request_);
    } else {
      display.name.clear();  // shown as "Unknown app"
    }
    clients_.emplace(id.str(), display);
    return display;
  }

  storage::Transaction& tx_;
  const http::Request& request_;
  const ActiveSession& active_;
  std::map<std::string, templates::ClientDisplay, std::less<>> clients_;
  std::set<std::string> logo_sources_;
};

// A browser session counts until its absolute lifetime ends (web/session.h);
// its idle time is known only to its own cookie.
bool browserSessionIsLive(const domain::BrowserSession& session, const WebContext& context) {
  return session.isActive() &&
         context.clock.now() - session.created_at < context.settings.session_absolute_lifetime;
}

// Every active session of the signed-in user, newest first.
Result<std::vector<FoundSession>, storage::StorageError> listSessions(storage::Transaction& tx,
                                                                      SessionDescriber& describer,
                                                                      const ActiveSession& active,
                                                                      const WebContext& context) {
  std::vector<FoundSession> found;
  const domain::UserId& user = active.user.id;
  storage::Page page;
  page.limit = storage::Page::kMaxLimit;
  auto oauth_sessions = tx.oauthSessions().listActiveForUser(user, page);
  if (!oauth_sessions) return unexpected(std::move(oauth_sessions).error());
  for (const domain::OAuthSession& session : *oauth_sessions) {
    auto described = describer.describe(session);
    if (!described) return unexpected(std::move(described).error());
    found.push_back(std::move(*described));
  }
  auto compat_sessions = tx.compatSessions().listActiveForUser(user, page);
  if (!compat_sessions) return unexpected(std::move(compat_sessions).error());
  for (const domain::CompatSession& session : *compat_sessions) {
    found.push_back(SessionDescriber::describe(session));
  }
  auto browser_sessions = tx.browserSessions().listActiveForUser(user, page);
  if (!browser_sessions) return unexpected(std::move(browser_sessions).error());
  for (const domain::BrowserSession& session : *browser_sessions) {
    if (browserSessionIsLive(session, context)) found.push_back(describer.describe(session));
  }
  // This browser first, then newest first.
  std::stable_sort(found.begin(), found.end(), [](const FoundSession& a, const FoundSession& b) {
    if (a.summary.is_current != b.summary.is_current) return a.summary.is_current;
    return a.created_at > b.created_at;
  });
  return found;
}

// The user's active session with this id, of any kind.
Result<std::optional<FoundSession>, storage::StorageError> findSession(storage::Transaction& tx,
                                                                       SessionDescriber& describer,
                                                                       const ActiveSession& active,
                                                                       const WebContext& context,
                                                                       std::string_view id) {
  const domain::UserId& user = active.user.id;
  if (auto oauth_id = domain::OAuthSessionId::parse(id)) {
    auto session = tx.oauthSessions().lookup(*oauth_id);
    if (!session) return unexpected(std::move(session).error());
    if (*session && (*session)->isActive() && (*session)->user_id == user) {
      auto described = describer.describe(**session);
      if (!described) return unexpected(std::move(described).error());
      return std::optional<FoundSession>(std::move(*described));
    }
  }
  if (auto compat_id = domain::CompatSessionId::parse(id)) {
    auto session = tx.compatSessions().lookup(*compat_id);
    if (!session) return unexpected(std::move(session).error());
    if (*session && (*session)->isActive() && (*session)->user_id == user) {
      return std::optional<FoundSession>(SessionDescriber::describe(**session));
    }
  }
  if (auto browser_id = domain::BrowserSessionId::parse(id)) {
    auto session = tx.browserSessions().lookup(*browser_id);
    if (!session) return unexpected(std::move(session).error());
    if (*session && browserSessionIsLive(**session, context) && (*session)->user_id == user) {
      return std::optional<FoundSession>(describer.describe(**session));
    }
  }
  return std::optional<FoundSession>();
}

// The id of the user's newest active session on this Matrix device.
Result<std::optional<std::string>, storage::StorageError> findSessionByDevice(
    storage::Transaction& tx, const domain::UserId& user, std::string_view device_id) {
  auto oauth_sessions = tx.oauthSessions().findActiveByDevice(user, device_id);
  if (!oauth_sessions) return unexpected(std::move(oauth_sessions).error());
  auto compat_sessions = tx.compatSessions().findActiveByDevice(user, device_id);
  if (!compat_sessions) return unexpected(std::move(compat_sessions).error());
  std::optional<std::string> newest;
  Timestamp newest_at{};
  for (const domain::OAuthSession& session : *oauth_sessions) {
    if (!newest || session.created_at > newest_at) {
      newest = session.id.str();
      newest_at = session.created_at;
    }
  }
  for (const domain::CompatSession& session : *compat_sessions) {
    if (!newest || session.created_at > newest_at) {
      newest = session.id.str();
      newest_at = session.created_at;
    }
  }
  return newest;
}

// The user of this request, or the response that sends them to log in
// and back to `here`.
Result<ActiveSession, http::Response> signedIn(const PageKit& kit, const http::Request& request,
                                               std::string_view here) {
  WebContext& context = kit.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(kit.storageFailure(request, tx.error()));
  auto active = kit.sessions().current(request, **tx, context.clock);
  if (!active) return unexpected(kit.storageFailure(request, active.error()));
  if (!*active) {
    return unexpected(
        http::Response::redirect(PageKit::withQuery("/login", {{"next", here}}), 303));
  }
  return std::move(**active);
}

std::string endPurpose(std::string_view id) { return "session-end:" + std::string(id); }

std::string detailsJson(const FoundSession& session) {
  std::string details = "{\"kind\":\"" + std::string(kindName(session.kind)) +
                        "\",\"session_id\":\"" + session.id + "\"";
  if (session.device_id) {
    // Device ids are printable ASCII chosen by clients: escape what JSON needs.
    details += ",\"device_id\":\"";
    for (const char c : *session.device_id) {
      if (c == '"' || c == '\\') details += '\\';
      if (static_cast<unsigned char>(c) < 0x20) continue;
      details += c;
    }
    details += '"';
  }
  details += '}';
  return details;
}

}  // namespace

std::string sessionPath(std::string_view id) {
  return std::string(kSessionsPath) + "/" + std::string(id);
}

std::string sessionEndPath(std::string_view id) { return sessionPath(id) + "/end"; }

Text browserName(std::string_view user_agent) {
  const auto has = [&](std::string_view part) {
    return user_agent.find(part) != std::string_view::npos;
  };
  std::string browser;
  if (has("Edg/")) {
    browser = "Edge";
  } else if (has("Firefox/")) {
    browser = "Firefox";
  } else if (has("Chrome/") || has("Chromium/")) {
    browser = "Chrome";
  } else if (has("Safari/")) {
    browser = "Safari";
  }
  std::string system;
  if (has("Android")) {
    system = "Android";
  } else if (has("iPhone") || has("iPad")) {
    system = "iOS";
  } else if (has("Windows")) {
    system = "Windows";
  } else if (has("Mac OS X") || has("Macintosh")) {
    system = "macOS";
  } else if (has("Linux")) {
    system = "Linux";
  }
  if (browser.empty() && system.empty()) return Text("sessions.web_browser");
  if (browser.empty()) return Text("sessions.web_browser_on", {{"system", system}});
  if (system.empty()) return Text::verbatim(browser);
  return Text("sessions.browser_on", {{"browser", browser}, {"system", system}});
}

http::Response SessionPages::notFound(const http::Request& request) const {
  WebContext& context = kit_.context();
  templates::ErrorPage page;
  page.layout = kit_.layout(request);
  page.title = Text("sessions.not_found_title");
  page.message = Text("sessions.not_found");
  page.back_href = std::string(kSessionsPath);
  page.back_label = Text("sessions.see_all");
  return kit_.html(404, context.templates.render(page));
}

http::Response SessionPages::showSessions(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto active = signedIn(kit_, request, kSessionsPath);
  if (!active) return std::move(active).error();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  SessionDescriber describer(**tx, request, *active);
  auto sessions = listSessions(**tx, describer, *active, context);
  if (!sessions) return kit_.storageFailure(request, sessions.error());
  tx->reset();

  templates::SessionsPage page;
  page.layout = kit_.layout(request);
  page.user_id = matrixUserId(active->user, context.settings.homeserver);
  for (FoundSession& session : *sessions) page.sessions.push_back(std::move(session.summary));
  if (request.queryParam("done") == "ended") page.notice = Text("sessions.ended");
  http::Response response = kit_.html(200, context.templates.render(page));
  const std::string logos = describer.logoSources();
  if (!logos.empty())
    response.setHeader("Content-Security-Policy", contentSecurityPolicy("", logos));
  kit_.sessions().refresh(response, *active, context.rng, context.clock);
  return response;
}

http::Response SessionPages::showSession(const http::Request& request) const {
  WebContext& context = kit_.context();
  const std::string id(request.pathParam("id").value_or(""));
  auto active = signedIn(kit_, request, sessionPath(id));
  if (!active) return std::move(active).error();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  SessionDescriber describer(**tx, request, *active);
  auto found = findSession(**tx, describer, *active, context, id);
  if (!found) return kit_.storageFailure(request, found.error());
  tx->reset();
  if (!*found) return notFound(request);

  templates::SessionPage page;
  page.layout = kit_.layout(request);
  page.user_id = matrixUserId(active->user, context.settings.homeserver);
  page.session = std::move((*found)->summary);
  page.end_href = sessionEndPath(id);
  http::Response response = kit_.html(200, context.templates.render(page));
  const std::string logos = describer.logoSources();
  if (!logos.empty())
    response.setHeader("Content-Security-Policy", contentSecurityPolicy("", logos));
  return response;
}

http::Response SessionPages::showEnd(const http::Request& request) const {
  WebContext& context = kit_.context();
  const std::string id(request.pathParam("id").value_or(""));
  auto active = step_up_.require(request, sessionEndPath(id));
  if (!active) return std::move(active).error();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  SessionDescriber describer(**tx, request, *active);
  auto found = findSession(**tx, describer, *active, context, id);
  if (!found) return kit_.storageFailure(request, found.error());
  tx->reset();
  if (!*found) return notFound(request);

  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  templates::SessionEndPage page;
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, endPurpose(id));
  page.user_id = matrixUserId(active->user, context.settings.homeserver);
  page.session = std::move((*found)->summary);
  page.action = sessionEndPath(id);
  page.cancel_href = sessionPath(id);
  http::Response response = kit_.html(200, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response SessionPages::submitEnd(const http::Request& request) const {
  WebContext& context = kit_.context();
  const std::string id(request.pathParam("id").value_or(""));
  auto active = step_up_.require(request, sessionEndPath(id));
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  if (!kit_.sessions().verifyCsrf(request, endPurpose(id), form->get("csrf").value_or(""))) {
    // The confirmation again, with a fresh token and the reason.
    templates::ErrorPage page;
    page.layout = kit_.layout(request);
    page.title = Text("sessions.try_again_title");
    page.message = kExpiredForm;
    page.action_href = sessionEndPath(id);
    page.action_label = Text("sessions.back_to_confirmation");
    return kit_.html(403, context.templates.render(page));
  }

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  SessionDescriber describer(**tx, request, *active);
  auto found = findSession(**tx, describer, *active, context, id);
  if (!found) return kit_.storageFailure(request, found.error());
  if (!*found) return notFound(request);
  const FoundSession& session = **found;
  switch (session.kind) {
    case SessionKind::OAuth: {
      const domain::OAuthSessionId oauth_id(session.id);
      auto finished = (*tx)->oauthSessions().finish(context.clock, oauth_id);
      if (!finished) return kit_.storageFailure(request, finished.error());
      if (!*finished) return notFound(request);  // ended meanwhile
      auto ended = (*tx)->oauthSessions().lookup(oauth_id);
      if (!ended) return kit_.storageFailure(request, ended.error());
      if (*ended) {
        // The consent goes with the last session of its client
        // (oauth/session_end.h).
        auto forgotten =
            (*tx)->oauthConsents().forgetUnlessInUse(active->user.id, (*ended)->client_id);
        if (!forgotten) return kit_.storageFailure(request, forgotten.error());
      }
      break;
    }
    case SessionKind::Compat: {
      auto finished =
          (*tx)->compatSessions().finish(context.clock, domain::CompatSessionId(session.id));
      if (!finished) return kit_.storageFailure(request, finished.error());
      if (!*finished) return notFound(request);  // ended meanwhile
      break;
    }
    case SessionKind::Browser: {
      auto finished =
          (*tx)->browserSessions().finish(context.clock, domain::BrowserSessionId(session.id));
      if (!finished) return kit_.storageFailure(request, finished.error());
      if (!*finished) return notFound(request);  // ended meanwhile
      break;
    }
  }
  if (session.device_id) {
    auto queued = jobs::enqueueDeviceDeletion(**tx, context.rng, context.clock, active->user.id,
                                              *session.device_id);
    if (!queued) return kit_.storageFailure(request, queued.error());
  }
  auto audited =
      recordAudit(**tx, context, request, active->user.id, kAuditSessionEnd, detailsJson(session));
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  if (session.kind != SessionKind::Browser && context.introspection_cache != nullptr) {
    context.introspection_cache->invalidateSession(session.id);
  }
  if (session.summary.is_current) {
    // This browser's own session: signing out.
    http::Response response = http::Response::redirect("/login", 303);
    kit_.sessions().clear(response);
    return response;
  }
  return http::Response::redirect(std::string(kSessionsPath) + "?done=ended", 303);
}

http::Response SessionPages::byDevice(const http::Request& request, bool end) const {
  WebContext& context = kit_.context();
  const std::string_view device_id = request.queryParam("device_id").value_or("");
  const std::string here = PageKit::withQuery(
      std::string(end ? kSessionEndByDevicePath : kSessionByDevicePath),
      {{"device_id", device_id.size() <= kMaxDeviceIdLength ? device_id : std::string_view()}});
  auto active = signedIn(kit_, request, here);
  if (!active) return std::move(active).error();
  if (device_id.empty() || device_id.size() > kMaxDeviceIdLength) return notFound(request);
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto found = findSessionByDevice(**tx, active->user.id, device_id);
  if (!found) return kit_.storageFailure(request, found.error());
  tx->reset();
  if (!*found) return notFound(request);
  return http::Response::redirect(end ? sessionEndPath(**found) : sessionPath(**found), 303);
}

http::Response SessionPages::showSessionByDevice(const http::Request& request) const {
  return byDevice(request, false);
}

http::Response SessionPages::showEndByDevice(const http::Request& request) const {
  return byDevice(request, true);
}

}  // namespace mxauth::web
