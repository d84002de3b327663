// Registration behind a token (account.registration_token_required) and
// the terms of service (branding.tos_uri), web/account_pages.h.

#include <gtest/gtest.h>

#include "crypto/token.h"
#include "web/account_pages.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

class RegistrationGateTest : public test::WebTest {
 protected:
  void addToken(const std::string& token, std::optional<std::int64_t> uses,
                std::optional<Timestamp> expires = std::nullopt) {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)
                    ->registrationTokens()
                    .add(rng_, clock_, crypto::tokenHashHex(token), uses, expires)
                    .has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  http::Response registerAs(const std::string& name, test::Form extra) {
    jar_.clear();
    const http::Response page = account_->showRegister(get("/register"));
    remember(page);
    test::Form form{{"csrf", csrfOf(page)},
                    {"username", name},
                    {"password", "a long enough password"},
                    {"password_confirm", "a long enough password"}};
    form.insert(form.end(), extra.begin(), extra.end());
    return account_->submitRegister(post("/register", form));
  }

  bool exists(const std::string& name) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto user = (*tx)->users().findByLocalpart(name);
    return user && *user;
  }

  std::int64_t timesUsed(const std::string& token) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto found = (*tx)->registrationTokens().findByHash(crypto::tokenHashHex(token));
    return found && *found ? (*found)->times_used : -1;
  }
};

TEST_F(RegistrationGateTest, WithTokensRequiredTheFormAsksForOneAndEachUseIsCounted) {
  context_->settings.registration_token_required = true;
  addToken("two-uses", 2);
  EXPECT_NE(account_->showRegister(get("/register")).body.find("name=\"registration_token\""),
            std::string::npos);

  const http::Response missing = registerAs("nobody", {});
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Enter your registration token"), std::string::npos);
  EXPECT_EQ(registerAs("wrong", {{"registration_token", "not-a-token"}}).status, 400);
  EXPECT_FALSE(exists("nobody") || exists("wrong"));

  EXPECT_EQ(registerAs("first", {{"registration_token", "two-uses"}}).status, 303);
  EXPECT_EQ(registerAs("second", {{"registration_token", "two-uses"}}).status, 303);
  EXPECT_EQ(timesUsed("two-uses"), 2);
  const http::Response exhausted = registerAs("third", {{"registration_token", "two-uses"}});
  EXPECT_EQ(exhausted.status, 400);
  EXPECT_NE(exhausted.body.find("used up"), std::string::npos);
  EXPECT_TRUE(exists("first") && exists("second"));
  EXPECT_FALSE(exists("third"));
}

TEST_F(RegistrationGateTest, AFailedRegistrationSpendsNothingAndExpiredTokensAreRefused) {
  context_->settings.registration_token_required = true;
  addToken("once", 1);
  addToken("brief", std::nullopt, clock_.now() + 1h);
  ASSERT_EQ(registerAs("taken", {{"registration_token", "once"}}).status, 303);
  addToken("again", 1);
  EXPECT_EQ(registerAs("taken", {{"registration_token", "again"}}).status, 409);
  EXPECT_EQ(timesUsed("again"), 0);
  clock_.advance(1h);
  EXPECT_EQ(registerAs("late", {{"registration_token", "brief"}}).status, 400);
  EXPECT_FALSE(exists("late"));
}

TEST_F(RegistrationGateTest, WithoutTheSettingNoTokenIsAskedFor) {
  EXPECT_EQ(account_->showRegister(get("/register")).body.find("registration_token"),
            std::string::npos);
  EXPECT_EQ(registerAs("free", {}).status, 303);
}

TEST_F(RegistrationGateTest, TermsOfServiceMustBeAcceptedAndTheAcceptanceIsStored) {
  context_->settings.tos_uri = "https://example.com/tos";
  const http::Response page = account_->showRegister(get("/register"));
  EXPECT_NE(page.body.find("name=\"accept_terms\""), std::string::npos);
  EXPECT_NE(page.body.find("href=\"https://example.com/tos\""), std::string::npos);

  const http::Response refused = registerAs("carol", {});
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Accept the terms of service"), std::string::npos);
  EXPECT_FALSE(exists("carol"));

  const Timestamp now = clock_.now();
  ASSERT_EQ(registerAs("carol", {{"accept_terms", "yes"}}).status, 303);
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto user = (*tx)->users().findByLocalpart("carol");
  ASSERT_TRUE(user && *user);
  auto terms = (*tx)->registrationTokens().termsOf((*user)->id);
  ASSERT_TRUE(terms.has_value());
  EXPECT_EQ(*terms, (std::vector<storage::UserTermsAcceptance>{{"https://example.com/tos", now}}));
}

}  // namespace
}  // namespace mxauth::web
