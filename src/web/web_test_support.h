#pragma once

// A fixture for web/ handler tests: a real, migrated SQLite database, a
// fake clock, a seeded RNG, cheap argon2 parameters, the real templates, and
// a cookie jar that plays the browser. Handlers are called directly with
// http::Request values; no sockets.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/testing/fakes.h"
#include "crypto/password_hasher.h"
#include "domain/user.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/client_store.h"
#include "storage/database.h"
#include "storage/testing/test_database.h"
#include "templates/templates.h"
#include "web/account_pages.h"
#include "web/authorize_handler.h"
#include "web/page_kit.h"
#include "web/web_context.h"

namespace mxauth::web::test {

// The browser-session and CSRF cookies over https (web/session.h).
inline constexpr const char* kSessionCookie = "__Host-mxauth-session";
inline constexpr const char* kCsrfCookie = "__Host-mxauth-csrf";

using Form = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  std::vector<std::string> redirect_uris{"https://app.example/callback"};
  std::string name = "Example App";
  bool confidential = false;
  std::optional<std::string> logo_uri;
  std::string client_uri = "https://app.example/";
  bool is_static = false;  // added by the operator rather than registered
  std::vector<std::string> post_logout_redirect_uris;
};

class WebTest : public ::testing::Test {
 protected:
  WebTest();
  ~WebTest() override;

  // A request carrying the cookie jar (and, for POSTs, our own Origin).
  http::Request get(const std::string& target) const;
  http::Request post(const std::string& target, const Form& form) const;
  // Takes the Set-Cookie headers of a response into the jar.
  void remember(const http::Response& response);

  domain::User addUser(const std::string& localpart, const std::string& password,
                       bool admin = false);
  oauth::RegisteredClient addClient(const ClientOptions& options = {});

  // The value of the form's hidden csrf field.
  static std::string csrfOf(const http::Response& response);
  // GET /login then POST /login with the token; the jar keeps the cookies.
  http::Response logIn(const std::string& username, const std::string& password,
                       const std::optional<std::string>& next = std::nullopt);

  std::optional<std::string> cookie(const std::string& name) const;

  mxauth::test::FakeClock clock_{mxauth::test::at("2026-01-01T00:00:00Z")};
  mxauth::test::SeededRng rng_{20260101};
  std::unique_ptr<mxauth::test::TestDatabase> test_database_;
  std::unique_ptr<storage::Database> database_;
  crypto::PasswordHasher hasher_;
  std::unique_ptr<templates::Templates> templates_;
  std::unique_ptr<WebContext> context_;
  std::unique_ptr<PageKit> kit_;
  std::unique_ptr<AccountPages> account_;
  std::unique_ptr<AuthorizeHandler> authorize_;
  std::map<std::string, std::string> jar_;
};

// The Location header, or "".
std::string locationOf(const http::Response& response);
// The query (or fragment) parameters of a URL, decoded.
http::FormParams parametersOf(std::string_view url_part);
// Undoes the HTML escaping of an attribute value (&amp; &lt; &gt; &quot; &#39;).
std::string htmlUnescape(std::string_view text);

}  // namespace mxauth::web::test
