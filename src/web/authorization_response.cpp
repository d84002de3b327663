#include "web/authorization_response.h"

#include "http/url_encoding.h"
#include "web/page_kit.h"

namespace mxauth::web {

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
      std::string location = target.redirect_uri;
      const std::size_t question = location.find('?');
      if (question == std::string::npos) {
        location += '?';
      } else if (question + 1 != location.size() && location.back() != '&') {
        location += '&';
      }
      location += http::encodeUrlEncoded(params);
      http::Response response = http::Response::redirect(std::move(location), 303);
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
  page.action = target.redirect_uri;
  for (auto& [name, value] : params) page.fields.push_back({std::move(name), std::move(value)});
  http::Response response = http::Response::html(200, templates.render(page));
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Referrer-Policy", "no-referrer");
  // The server's default CSP says form-action 'self', which would stop this
  // one form; the handler's own header wins (http/middleware.h).
  const std::string destination = cspSourceFor(target.redirect_uri);
  response.setHeader("Content-Security-Policy",
                     contentSecurityPolicy(destination.empty() ? "" : destination, ""));
  return response;
}

http::Response authorizationError(const templates::Templates& templates,
                                  const templates::Layout& layout, const ResponseTarget& target,
                                  const oauth::OAuthError& error) {
  std::vector<std::pair<std::string, std::string>> params;
  params.emplace_back("error", std::string(oauth::wireName(error.code)));
  if (!error.description.empty()) params.emplace_back("error_description", error.description);
  return authorizationResponse(templates, layout, target, std::move(params));
}

}  // namespace mxauth::web
