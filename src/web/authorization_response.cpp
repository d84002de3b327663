#include "web/authorization_response.h"

#include "http/url_encoding.h"
#include "web/page_kit.h"

namespace mxauth::web {

namespace {

std::vector<std::pair<std::string, std::string>> errorParams(const oauth::OAuthError& error) {
  std::vector<std::pair<std::string, std::string>> params;
  params.emplace_back("error", std::string(oauth::wireName(error.code)));
  if (!error.description.empty()) params.emplace_back("error_description", error.description);
  return params;
}

// The form_post page: `page` with the action and fields filled in.
http::Response formPostResponse(const templates::Templates& templates, const ResponseTarget& target,
                                templates::FormPostPage page,
                                const std::vector<std::pair<std::string, std::string>>& params,
                                int status) {
  page.action = target.redirect_uri;
  for (const auto& [name, value] : params) page.fields.push_back({name, value});
  http::Response response = http::Response::html(status, templates.render(page));
  response.setHeader("Cache-Control", "no-store");
  setContentLanguage(response);
  response.setHeader("Referrer-Policy", "no-referrer");
  // The server's default CSP says form-action 'self', which would stop this
  // one form; the handler's own header wins (http/middleware.h).
  const std::string destination = cspSourceFor(target.redirect_uri);
  response.setHeader("Content-Security-Policy",
                     contentSecurityPolicy(destination.empty() ? "" : destination, ""));
  return response;
}

}  // namespace

std::string withQueryParameters(std::string uri,
                                const std::vector<std::pair<std::string, std::string>>& params) {
  if (params.empty()) return uri;
  const std::size_t question = uri.find('?');
  if (question == std::string::npos) {
    uri += '?';
  } else if (question + 1 != uri.size() && uri.back() != '&') {
    uri += '&';
  }
  uri += http::encodeUrlEncoded(params);
  return uri;
}

std::optional<domain::ResponseMode> parseResponseMode(std::string_view text) {
  if (text == "query") return domain::ResponseMode::Query;
  if (text == "fragment") return domain::ResponseMode::Fragment;
  if (text == "form_post") return domain::ResponseMode::FormPost;
  return std::nullopt;
}

http::Response authorizationResponse(const templates::Templates& templates,
                                     const templates::Layout& layout, const ResponseTarget& target,
                                     std::vector<std::pair<std::string, std::string>> params) {
  if (target.state) params.emplace_back("state", *target.state);
  params.emplace_back("iss", target.issuer);

  switch (target.mode) {
    case domain::ResponseMode::Query: {
      http::Response response =
          http::Response::redirect(withQueryParameters(target.redirect_uri, params), 303);
      response.setHeader("Cache-Control", "no-store");
      return response;
    }
    case domain::ResponseMode::Fragment: {
      http::Response response =
          http::Response::redirect(target.redirect_uri + "#" + http::encodeUrlEncoded(params), 303);
      response.setHeader("Cache-Control", "no-store");
      return response;
    }
    case domain::ResponseMode::FormPost:
      break;
  }
  templates::FormPostPage page;
  page.layout = layout;
  return formPostResponse(templates, target, std::move(page), params, 200);
}

http::Response authorizationError(const templates::Templates& templates,
                                  const templates::Layout& layout, const ResponseTarget& target,
                                  const oauth::OAuthError& error) {
  return authorizationResponse(templates, layout, target, errorParams(error));
}

http::Response authorizationErrorInterstitial(const templates::Templates& templates,
                                              const templates::Layout& layout,
                                              const ResponseTarget& target,
                                              const oauth::OAuthError& error,
                                              std::string_view client_name,
                                              std::string_view client_host) {
  const templates::Text title("authorization.refused_title");
  const templates::Text message("authorization.refused",
                                {{"client_name", std::string(client_name)}});
  const templates::Text label =
      client_host.empty()
          ? templates::Text("signed_out.return")
          : templates::Text("common.return_to", {{"destination", std::string(client_host)}});
  std::vector<std::pair<std::string, std::string>> params = errorParams(error);
  if (target.mode == domain::ResponseMode::FormPost) {
    if (target.state) params.emplace_back("state", *target.state);
    params.emplace_back("iss", target.issuer);
    templates::FormPostPage page;
    page.layout = layout;
    page.title = title;
    page.alert = message;
    page.lead = templates::Text::verbatim(error.description);
    page.button_label = label;
    page.auto_submit = false;
    return formPostResponse(templates, target, std::move(page), params, 400);
  }
  // The link is exactly where the redirect would have gone.
  const http::Response redirect =
      authorizationResponse(templates, layout, target, std::move(params));
  templates::ErrorPage page;
  page.layout = layout;
  page.title = title;
  page.message = message;
  // The description is for developers: in English, as in the redirect.
  if (!error.description.empty()) page.detail = templates::Text::verbatim(error.description);
  page.action_href = std::string(redirect.header("Location").value_or(""));
  page.action_label = label;
  http::Response response = http::Response::html(400, templates.render(page));
  response.setHeader("Cache-Control", "no-store");
  setContentLanguage(response);
  return response;
}

}  // namespace mxauth::web
