#include "web/end_session.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/localpart.h"
#include "oauth/client_store.h"
#include "oauth/discovery.h"
#include "oauth/id_token.h"
#include "oauth/redirect_uri.h"
#include "web/authorization_response.h"
#include "web/navigation.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kEndSessionField = "end_session";
constexpr std::string_view kIdTokenHint = "id_token_hint";
constexpr std::string_view kClientId = "client_id";
constexpr std::string_view kPostLogoutRedirectUri = "post_logout_redirect_uri";
constexpr std::string_view kState = "state";
// RP-Initiated Logout 1.0 §2: the parameters we read (ui_locales is
// accepted and has no effect), and the only ones a POST passes on.
constexpr std::array<std::string_view, 5> kParameters = {
    kIdTokenHint, kClientId, kPostLogoutRedirectUri, kState, "ui_locales"};
// The same bound as /authorize puts on state; an ID token of ours is under
// 2 KiB, and the hint must fit the URL of the GET a POST becomes.
constexpr std::size_t kMaxStateBytes = 4096;
constexpr std::size_t kMaxHintBytes = 8192;

// A post-logout redirect that passed the checks.
struct PostLogoutRedirect {
  std::string uri;  // as requested, and registered by the client
  std::optional<std::string> state;
};

// What the checks of a logout request established.
struct CheckedLogout {
  std::optional<oauth::IdTokenHint> hint;  // verified, issued to `client`
  std::optional<oauth::RegisteredClient> client;
  std::optional<PostLogoutRedirect> redirect;  // registered by `client`
};

bool isParameter(std::string_view name) {
  return std::find(kParameters.begin(), kParameters.end(), name) != kParameters.end();
}

// The request's value of `name`; an empty value counts as absent.
std::optional<std::string> parameter(const http::FormParams& params, std::string_view name) {
  const auto value = params.get(name);
  if (!value || value->empty()) return std::nullopt;
  return std::string(*value);
}

// A 400 page for a request the application got wrong: nobody is signed out
// and nothing is redirected, but the user may still sign out here.
http::Response refuse(const PageKit& kit, const http::Request& request, Text reason) {
  templates::ErrorPage page;
  page.layout = kit.layout(request);
  page.title = Text("end_session.refused_title");
  page.message = std::move(reason);
  page.detail = Text("end_session.refused_detail");
  page.action_href = "/logout";
  page.action_label = Text("common.sign_out");
  page.back_href = "/account/";
  page.back_label = Text("signed_in.title");
  return kit.html(400, kit.context().templates.render(page));
}

std::string clientName(const oauth::RegisteredClient& client, const http::Request& request) {
  const std::vector<std::string> languages =
      preferredLanguages(request.header("Accept-Language").value_or(""));
  const auto name = client.metadata.client_name.resolve(languages);
  return name ? std::string(*name) : client.id().str();
}

std::optional<std::string> clientHost(const oauth::RegisteredClient& client) {
  if (!client.metadata.client_uri) return std::nullopt;
  auto host = oauth::httpsUriHost(*client.metadata.client_uri);
  if (!host) return std::nullopt;
  return std::move(*host);
}

// What a button back to `uri` is called: "Return to <host>" for a web
// address, "Return to <application>" for an app's own scheme.
Text returnLabel(std::string_view uri, const std::string& client_name) {
  const std::optional<oauth::UriParts> parts = oauth::splitUri(uri);
  if (parts && (parts->scheme == "https" || parts->scheme == "http") && !parts->host.empty()) {
    return Text("common.return_to", {{"destination", domain::asciiLowercase(parts->host)}});
  }
  return Text("common.return_to", {{"destination", client_name}});
}

std::string locationOf(const PostLogoutRedirect& redirect) {
  std::vector<std::pair<std::string, std::string>> params;
  if (redirect.state) params.emplace_back(std::string(kState), *redirect.state);
  return withQueryParameters(redirect.uri, params);
}

http::Response redirectTo(const PostLogoutRedirect& redirect) {
  http::Response response = http::Response::redirect(locationOf(redirect), 303);
  response.setHeader("Cache-Control", "no-store");
  return response;
}

// The verified hint, or nullopt when it fails any check (header comment,
// step 2); `client` is then the client it was issued to.
Result<std::optional<std::pair<oauth::IdTokenHint, oauth::RegisteredClient>>, storage::StorageError>
verifiedHint(const WebContext& context, storage::Transaction& transaction, std::string_view token) {
  using Verified = std::optional<std::pair<oauth::IdTokenHint, oauth::RegisteredClient>>;
  if (context.keys == nullptr) return Verified();
  auto hint =
      oauth::verifyIdTokenHint(*context.keys->current(), context.settings.public_base, token);
  if (!hint) return Verified();
  auto client = oauth::loadClient(transaction, hint->audience);
  if (!client) return unexpected(client.error());
  // The client may have been removed since; and an ID token of a client is
  // signed with the algorithm it registered (OIDC Registration §2).
  if (!*client || (*client)->metadata.id_token_signed_response_alg != hint->algorithm) {
    return Verified();
  }
  return Verified(std::in_place, std::move(*hint), std::move(**client));
}

// Steps 1 to 4 of the header comment: the checked request, or the page
// that refuses it.
Result<CheckedLogout, http::Response> checkRequest(const PageKit& kit, const http::Request& request,
                                                   const http::FormParams& params,
                                                   storage::Transaction& transaction) {
  if (const auto duplicate = params.firstDuplicate(); duplicate && isParameter(*duplicate)) {
    return unexpected(refuse(
        kit, request, Text("end_session.repeated", {{"parameter", std::string(*duplicate)}})));
  }
  const std::optional<std::string> token = parameter(params, kIdTokenHint);
  const std::optional<std::string> client_id = parameter(params, kClientId);
  const std::optional<std::string> uri = parameter(params, kPostLogoutRedirectUri);
  const std::optional<std::string> state = parameter(params, kState);
  if (state && state->size() > kMaxStateBytes) {
    return unexpected(refuse(kit, request, Text("end_session.state_too_long")));
  }
  if (token && token->size() > kMaxHintBytes) {
    return unexpected(refuse(kit, request, Text("end_session.hint_too_long")));
  }

  CheckedLogout checked;
  if (token) {
    auto verified = verifiedHint(kit.context(), transaction, *token);
    if (!verified) return unexpected(kit.storageFailure(request, verified.error()));
    // A hint that failed: no client, so no redirect (§4).
    if (!*verified) return checked;
    if (client_id && *client_id != (*verified)->second.id().str()) {
      return unexpected(refuse(kit, request, Text("end_session.client_mismatch")));
    }
    checked.hint = std::move((*verified)->first);
    checked.client = std::move((*verified)->second);
  } else if (client_id) {
    auto client = oauth::loadClient(transaction, *client_id);
    if (!client) return unexpected(kit.storageFailure(request, client.error()));
    if (!*client) {
      return unexpected(refuse(kit, request, Text("error.unknown_client")));
    }
    checked.client = std::move(**client);
  }
  if (uri && checked.client) {
    auto matched = oauth::matchPostLogoutRedirectUri(checked.client->metadata, *uri);
    if (!matched) {
      return unexpected(refuse(kit, request, Text("end_session.uri_unknown")));
    }
    checked.redirect = PostLogoutRedirect{std::move(*matched), state};
  }
  return checked;
}

// The redirect a submitted form#logout carries, checked again: the client
// must still exist and still have the URI registered.
Result<CheckedLogout, storage::StorageError> checkForm(const http::FormParams& form,
                                                       storage::Transaction& transaction) {
  CheckedLogout checked;
  const std::optional<std::string> client_id = parameter(form, kClientId);
  const std::optional<std::string> uri = parameter(form, kPostLogoutRedirectUri);
  const std::optional<std::string> state = parameter(form, kState);
  if (!client_id || !uri || (state && state->size() > kMaxStateBytes)) return checked;
  auto client = oauth::loadClient(transaction, *client_id);
  if (!client) return unexpected(client.error());
  if (!*client) return checked;
  auto matched = oauth::matchPostLogoutRedirectUri((*client)->metadata, *uri);
  checked.client = std::move(**client);
  if (matched) checked.redirect = PostLogoutRedirect{std::move(*matched), state};
  return checked;
}

Result<void, storage::StorageError> finishBrowserSession(const WebContext& context,
                                                         const domain::BrowserSessionId& id) {
  auto tx = context.database.begin();
  if (!tx) return unexpected(tx.error());
  auto finished = (*tx)->browserSessions().finish(context.clock, id);
  if (!finished) return unexpected(finished.error());
  return (*tx)->commit();
}

// templates::SignedOutPage, with a button to `redirect` when there is one.
http::Response signedOutPage(const PageKit& kit, const http::Request& request,
                             const CheckedLogout& checked) {
  templates::SignedOutPage page;
  page.layout = kit.layout(request);
  if (checked.redirect && checked.client) {
    page.return_href = locationOf(*checked.redirect);
    page.return_label = returnLabel(checked.redirect->uri, clientName(*checked.client, request));
  }
  return kit.html(200, kit.context().templates.render(page));
}

// form#logout for a request an application made (see the header comment).
http::Response confirmationPage(const PageKit& kit, const http::Request& request,
                                const std::optional<ActiveSession>& session,
                                const CheckedLogout& checked, int status,
                                std::optional<Text> error) {
  WebContext& context = kit.context();
  const CsrfCookie csrf = kit.sessions().csrfCookie(request, context.rng);
  templates::LogoutPage page;
  page.layout = kit.layout(request);
  page.csrf_token = kit.sessions().csrfToken(csrf, kLogoutCsrfPurpose);
  if (session) page.user_id = "@" + session->user.localpart + ":" + context.settings.homeserver;
  page.error = std::move(error);
  page.from_application = true;
  page.fields.push_back({std::string(kEndSessionField), "1"});
  if (checked.client) {
    page.client_name = clientName(*checked.client, request);
    page.client_host = clientHost(*checked.client);
  }
  if (checked.redirect && checked.client) {
    page.return_to = checked.redirect->uri;
    page.fields.push_back({std::string(kClientId), checked.client->id().str()});
    page.fields.push_back({std::string(kPostLogoutRedirectUri), checked.redirect->uri});
    if (checked.redirect->state) {
      page.fields.push_back({std::string(kState), *checked.redirect->state});
    }
  }
  http::Response response = kit.html(status, context.templates.render(page));
  // The form's answer redirects to the application; browsers hold that
  // redirect to form-action.
  if (checked.redirect) {
    response.setHeader("Content-Security-Policy",
                       contentSecurityPolicy(cspSourceFor(checked.redirect->uri), ""));
  }
  kit.sessions().issueCsrfCookie(response, csrf);
  if (session) kit.sessions().refresh(response, *session, context.rng, context.clock);
  return response;
}

// POST /oauth2/logout: the same request as a GET (see the header comment).
http::Response getInsteadOfPost(const PageKit& kit, const http::Request& request) {
  auto form = request.form();
  if (!form) return kit.badForm(request);
  std::vector<http::FormParams::Entry> forwarded;
  for (const http::FormParams::Entry& entry : form->entries()) {
    if (isParameter(entry.first)) forwarded.push_back(entry);
  }
  std::string location(oauth::kEndSessionPath);
  if (!forwarded.empty()) location += "?" + http::encodeUrlEncoded(forwarded);
  http::Response response = http::Response::redirect(std::move(location), 303);
  response.setHeader("Cache-Control", "no-store");
  return response;
}

}  // namespace

bool isEndSessionForm(const http::FormParams& form) {
  return form.get(kEndSessionField) == std::optional<std::string_view>("1");
}

http::Response EndSessionPages::endSession(const http::Request& request) const {
  if (request.method == http::Method::Post) return getInsteadOfPost(kit_, request);
  WebContext& context = kit_.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto checked = checkRequest(kit_, request, request.query, **tx);
  if (!checked) return std::move(checked.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  tx->reset();

  if (!*active) {
    // Nothing to end here. Straight back only to an operator-added client
    // that proved itself with a hint (header comment).
    if (checked->redirect && checked->hint && checked->client->client.is_static) {
      return redirectTo(*checked->redirect);
    }
    return signedOutPage(kit_, request, *checked);
  }
  const ActiveSession& session = **active;
  if (!checked->hint || checked->hint->subject != session.user.id.str()) {
    // §2: without a hint for the signed-in user, the OP MUST ask.
    return confirmationPage(kit_, request, session, *checked, 200, std::nullopt);
  }
  auto finished = finishBrowserSession(context, session.session.id);
  if (!finished) return kit_.storageFailure(request, finished.error());
  http::Response response = checked->redirect ? redirectTo(*checked->redirect)
                                              : signedOutPage(kit_, request, CheckedLogout());
  kit_.sessions().clear(response);
  return response;
}

http::Response EndSessionPages::submitConfirmation(const http::Request& request,
                                                   const http::FormParams& form) const {
  WebContext& context = kit_.context();
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto checked = checkForm(form, **tx);
  if (!checked) return kit_.storageFailure(request, checked.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  if (!kit_.sessions().verifyCsrf(request, kLogoutCsrfPurpose, form.get("csrf").value_or(""))) {
    return confirmationPage(kit_, request, *active, *checked, 403, kExpiredForm);
  }
  if (*active) {
    auto finished = (*tx)->browserSessions().finish(context.clock, (*active)->session.id);
    if (!finished) return kit_.storageFailure(request, finished.error());
    auto committed = (*tx)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
  }
  http::Response response = checked->redirect ? redirectTo(*checked->redirect)
                                              : signedOutPage(kit_, request, CheckedLogout());
  kit_.sessions().clear(response);
  return response;
}

}  // namespace mxauth::web
