#include "web/account_profile.h"

#include <utility>

#include "http/url_encoding.h"
#include "jobs/homeserver_jobs.h"
#include "web/client_display.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kProfilePurpose = "profile";

std::string_view trimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True for C0 and C1 control characters and DEL, given valid UTF-8 at `at`.
bool isControlAt(std::string_view text, std::size_t at) {
  const auto byte = static_cast<unsigned char>(text[at]);
  if (byte < 0x20 || byte == 0x7f) return true;
  // U+0080..U+009F are 0xC2 0x80..0x9F.
  return byte == 0xc2 && at + 1 < text.size() && static_cast<unsigned char>(text[at + 1]) <= 0x9f;
}

}  // namespace

std::optional<Text> displayNameProblem(std::string_view display_name) {
  if (!http::isValidUtf8(display_name)) return Text("profile.name_not_text");
  std::size_t code_points = 0;
  for (std::size_t i = 0; i < display_name.size(); ++i) {
    if (isControlAt(display_name, i)) return Text("profile.name_control");
    if ((static_cast<unsigned char>(display_name[i]) & 0xc0) != 0x80) ++code_points;
  }
  if (code_points > kMaxDisplayNameLength) {
    return Text("profile.name_too_long", {{"count", std::to_string(kMaxDisplayNameLength)}});
  }
  return std::nullopt;
}

http::Response ProfilePages::showProfile(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  tx->reset();
  if (!*active) {
    return http::Response::redirect(PageKit::withQuery("/login", {{"next", kProfilePath}}), 303);
  }
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  templates::ProfilePage page;
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kProfilePurpose);
  page.user_id = matrixUserId((*active)->user, context.settings.homeserver);
  page.display_name = (*active)->user.display_name.value_or("");
  if (request.queryParam("saved")) page.notice = Text("profile.saved");
  http::Response response = kit_.html(200, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  kit_.sessions().refresh(response, **active, context.rng, context.clock);
  return response;
}

http::Response ProfilePages::submitProfile(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  auto read = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!read) return kit_.storageFailure(request, read.error());
  auto active = kit_.sessions().current(request, **read, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  read->reset();
  if (!*active) {
    return http::Response::redirect(PageKit::withQuery("/login", {{"next", kProfilePath}}), 303);
  }

  const std::string_view submitted = trimSpaces(form->get("display_name").value_or(""));
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  templates::ProfilePage page;
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kProfilePurpose);
  page.user_id = matrixUserId((*active)->user, context.settings.homeserver);
  // Shown again as typed, but never more than a page can hold.
  page.display_name = std::string(submitted.substr(0, kMaxDisplayNameLength * 4));
  // A cut in the middle of a character is not echoed back into the page.
  if (!http::isValidUtf8(page.display_name)) page.display_name.clear();
  const auto again = [&](int status) {
    http::Response response = kit_.html(status, context.templates.render(page));
    kit_.sessions().issueCsrfCookie(response, csrf);
    return response;
  };
  if (!kit_.sessions().verifyCsrf(request, kProfilePurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return again(403);
  }
  page.display_name_error = displayNameProblem(submitted);
  if (page.display_name_error) return again(400);

  std::optional<std::string> display_name;
  if (!submitted.empty()) display_name = std::string(submitted);
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto stored = (*tx)->users().setDisplayName((*active)->user.id, display_name);
  if (!stored) return kit_.storageFailure(request, stored.error());
  auto queued =
      jobs::enqueueDisplayNameProvisioning(**tx, context.rng, context.clock, (*active)->user.id);
  if (!queued) return kit_.storageFailure(request, queued.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(std::string(kProfilePath) + "?saved=1", 303);
}

}  // namespace mxauth::web
