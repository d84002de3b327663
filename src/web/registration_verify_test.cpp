// Mandatory e-mail verification at registration
// (account.email_verification_required, web/account_pages.h): nothing is
// created before the code; the right code creates the account with its
// address verified and primary, spending the registration token then;
// wrong codes, expiry, the sending limit and a username taken meanwhile.

#include <gtest/gtest.h>

#include <regex>

#include "crypto/token.h"
#include "email/mailer.h"
#include "email/transport.h"
#include "homeserver/testing/recording_homeserver.h"
#include "jobs/homeserver_jobs.h"
#include "web/account_pages.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRegisterPassword = "a long enough password";

class RegisterVerifyTest : public test::WebTest {
 protected:
  RegisterVerifyTest()
      : mailer_(transport_, rng_, clock_, registerMailerOptions()),
        email_templates_(*templates::EmailTemplates::load()) {
    context_->mailer = &mailer_;
    context_->email_templates = &email_templates_;
    context_->settings.email_verification_required = true;
  }
  ~RegisterVerifyTest() override {
    context_->mailer = nullptr;
    context_->email_templates = nullptr;
  }

  static email::MailerOptions registerMailerOptions() {
    email::MailerOptions options;
    options.from = email::Mailbox{"mxauth", "noreply@auth.example"};
    return options;
  }

  std::vector<domain::Job> takeQueued() {
    auto tx = database_->begin();
    auto jobs = (*tx)->jobs().claimDue(clock_, "reader", 1h, 100);
    EXPECT_TRUE(jobs.has_value());
    std::vector<domain::Job> taken = jobs.value_or(std::vector<domain::Job>{});
    for (const domain::Job& job : taken) {
      EXPECT_TRUE((*tx)->jobs().complete(clock_, job.id, "reader").has_value());
    }
    EXPECT_TRUE((*tx)->commit().has_value());
    return taken;
  }

  // The codes mailed since the last call, by recipient.
  std::vector<std::pair<std::string, std::string>> takeCodes() {
    std::vector<std::pair<std::string, std::string>> codes;
    for (const domain::Job& job : takeQueued()) {
      if (job.kind != email::kSendEmailJob) continue;
      auto queued = email::decodeJobPayload(job.payload);
      if (!queued) continue;
      std::smatch found;
      const std::string text = queued->message.text;
      if (std::regex_search(text, found, std::regex("\\b[0-9]{6}\\b"))) {
        codes.emplace_back(queued->message.to, found.str());
      }
    }
    return codes;
  }

  // The only code mailed since the last call, to `address`.
  std::string onlyCodeTo(const std::string& address) {
    const auto codes = takeCodes();
    EXPECT_EQ(codes.size(), 1u);
    if (codes.size() != 1) return {};
    EXPECT_EQ(codes.front().first, address);
    return codes.front().second;
  }

  // A fresh browser fills in the register form.
  http::Response submitForm(const std::string& name, const std::string& address,
                            const test::Form& extra = {}) {
    jar_.clear();
    const http::Response page = account_->showRegister(get("/register"));
    remember(page);
    test::Form form{{"csrf", csrfOf(page)},
                    {"username", name},
                    {"email", address},
                    {"password", kRegisterPassword},
                    {"password_confirm", kRegisterPassword}};
    form.insert(form.end(), extra.begin(), extra.end());
    http::Response response = account_->submitRegister(post("/register", form));
    remember(response);
    return response;
  }

  http::Response enterCode(const std::string& code) {
    const http::Response page = account_->showRegisterVerify(get("/register/verify"));
    remember(page);
    http::Response response = account_->submitRegisterVerify(
        post("/register/verify", {{"csrf", csrfOf(page)}, {"code", code}}));
    remember(response);
    return response;
  }

  http::Response askForNewCode() {
    const http::Response page = account_->showRegisterVerify(get("/register/verify"));
    remember(page);
    std::smatch found;
    const std::string& body = page.body;
    std::regex_search(body, found,
                      std::regex("id=\"register-resend\"[^>]*>\\s*<input type=\"hidden\" "
                                 "name=\"csrf\" value=\"([^\"]+)\""));
    EXPECT_EQ(found.size(), 2u);
    const std::string token = found.size() == 2 ? found[1].str() : "";
    http::Response response =
        account_->submitRegisterResend(post("/register/resend", {{"csrf", token}}));
    remember(response);
    return response;
  }

  std::optional<domain::User> userNamed(const std::string& name) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto user = (*tx)->users().findByLocalpart(name);
    EXPECT_TRUE(user.has_value());
    return user.value_or(std::nullopt);
  }

  std::vector<domain::UserEmail> emailsOf(const domain::UserId& user) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto emails = (*tx)->userEmails().listForUser(user);
    EXPECT_TRUE(emails.has_value());
    return emails.value_or(std::vector<domain::UserEmail>{});
  }

  void addRegistrationToken(const std::string& token, std::int64_t uses) {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)
                    ->registrationTokens()
                    .add(rng_, clock_, crypto::tokenHashHex(token), uses, std::nullopt)
                    .has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  std::int64_t tokenUses(const std::string& token) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto found = (*tx)->registrationTokens().findByHash(crypto::tokenHashHex(token));
    return found && *found ? (*found)->times_used : -1;
  }

  email::BlackholeTransport transport_;
  email::Mailer mailer_;
  templates::EmailTemplates email_templates_;
};

TEST_F(RegisterVerifyTest, TheAddressIsRequired) {
  const http::Response form = account_->showRegister(get("/register"));
  EXPECT_EQ(form.body.find("(optional)"), std::string::npos);
  EXPECT_NE(form.body.find("We will send a 6-digit code"), std::string::npos);

  const http::Response missing = submitForm("alice", "");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Enter your e-mail address"), std::string::npos);
  const http::Response malformed = submitForm("alice", "alice@");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("not a valid e-mail address"), std::string::npos);
  EXPECT_TRUE(takeCodes().empty());
  EXPECT_FALSE(userNamed("alice").has_value());

  context_->settings.email_verification_required = false;
  EXPECT_NE(account_->showRegister(get("/register")).body.find("(optional)"), std::string::npos);
  EXPECT_EQ(submitForm("bob", "").status, 303);
  EXPECT_TRUE(userNamed("bob").has_value());
}

TEST_F(RegisterVerifyTest, NothingIsCreatedBeforeTheRightCode) {
  context_->settings.registration_token_required = true;
  context_->settings.tos_uri = "https://example.com/tos";
  addRegistrationToken("gate", 5);
  const http::Response submitted =
      submitForm("alice", "alice@example.org",
                 {{"registration_token", "gate"}, {"accept_terms", "yes"}, {"next", "/account/"}});
  ASSERT_EQ(submitted.status, 303);
  EXPECT_EQ(test::locationOf(submitted), "/register/verify");
  ASSERT_TRUE(cookie("__Host-mxauth-register").has_value());
  EXPECT_FALSE(cookie("__Host-mxauth-session").has_value());
  EXPECT_FALSE(userNamed("alice").has_value());
  EXPECT_EQ(tokenUses("gate"), 0);
  const std::string code = onlyCodeTo("alice@example.org");
  ASSERT_EQ(code.size(), 6u);

  const http::Response page = account_->showRegisterVerify(get("/register/verify"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"email-verify\""), std::string::npos);
  EXPECT_NE(page.body.find("name=\"code\""), std::string::npos);
  EXPECT_NE(page.body.find("alice@example.org"), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/register?next=%2Faccount%2F\""), std::string::npos);

  const http::Response done = enterCode(code);
  ASSERT_EQ(done.status, 303);
  EXPECT_EQ(test::locationOf(done), "/account/");
  EXPECT_TRUE(cookie("__Host-mxauth-session").has_value());
  EXPECT_FALSE(cookie("__Host-mxauth-register").has_value());  // cleared
  const auto alice = userNamed("alice");
  ASSERT_TRUE(alice.has_value());
  const auto emails = emailsOf(alice->id);
  ASSERT_EQ(emails.size(), 1u);
  EXPECT_EQ(emails.front().address, "alice@example.org");
  EXPECT_TRUE(emails.front().isConfirmed());
  EXPECT_TRUE(emails.front().is_primary);
  EXPECT_EQ(tokenUses("gate"), 1);
  {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto terms = (*tx)->registrationTokens().termsOf(alice->id);
    ASSERT_TRUE(terms.has_value());
    ASSERT_EQ(terms->size(), 1u);
    EXPECT_EQ(terms->front().terms_uri, "https://example.com/tos");
  }
  bool provisioned = false;
  for (const domain::Job& job : takeQueued()) {
    provisioned = provisioned || (job.kind == jobs::kProvisionUserJob &&
                                  job.payload.find(alice->id.str()) != std::string::npos);
  }
  EXPECT_TRUE(provisioned);
  // The same password signs in.
  jar_.clear();
  EXPECT_EQ(logIn("alice", kRegisterPassword).status, 303);
}

TEST_F(RegisterVerifyTest, WrongCodesCountAndTheFifthVoidsTheRegistration) {
  ASSERT_EQ(submitForm("alice", "alice@example.org").status, 303);
  const std::string code = onlyCodeTo("alice@example.org");
  const std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(enterCode("").status, 400);  // no guess counted
  for (int left = 4; left >= 1; --left) {
    const http::Response answer = enterCode(wrong);
    EXPECT_EQ(answer.status, 400);
    EXPECT_NE(answer.body.find(std::to_string(left) + (left == 1 ? " attempt" : " attempts")),
              std::string::npos)
        << left;
  }
  const http::Response last = enterCode(wrong);
  EXPECT_EQ(last.status, 400);
  EXPECT_NE(last.body.find("Too many wrong codes"), std::string::npos);
  EXPECT_NE(last.body.find("id=\"register\""), std::string::npos);
  EXPECT_NE(last.body.find("value=\"alice\""), std::string::npos);
  // Void: even the right code does nothing now.
  const http::Response late = enterCode(code);
  EXPECT_EQ(late.status, 303);
  EXPECT_EQ(test::locationOf(late), "/register");
  EXPECT_FALSE(userNamed("alice").has_value());
}

TEST_F(RegisterVerifyTest, AnExpiredCodeVoidsTheRegistration) {
  ASSERT_EQ(submitForm("alice", "alice@example.org").status, 303);
  const std::string code = onlyCodeTo("alice@example.org");
  clock_.advance(10min);
  const http::Response page = account_->showRegisterVerify(get("/register/verify"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Your code has expired"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"register\""), std::string::npos);
  EXPECT_NE(page.body.find("value=\"alice@example.org\""), std::string::npos);
  // Void and deleted: the right code does nothing any more.
  EXPECT_EQ(test::locationOf(enterCode(code)), "/register");
  EXPECT_FALSE(userNamed("alice").has_value());
}

TEST_F(RegisterVerifyTest, ANewCodeReplacesTheOldOneAndSendingIsLimitedPerAddress) {
  ASSERT_EQ(submitForm("alice", "alice@example.org").status, 303);
  const std::string first = onlyCodeTo("alice@example.org");
  const http::Response resent = askForNewCode();
  ASSERT_EQ(resent.status, 303);
  EXPECT_EQ(test::locationOf(resent), "/register/verify?sent=1");
  EXPECT_NE(
      account_->showRegisterVerify(get(test::locationOf(resent))).body.find("We sent a new code."),
      std::string::npos);
  std::string latest = onlyCodeTo("alice@example.org");
  if (latest != first) {
    EXPECT_EQ(enterCode(first).status, 400);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(askForNewCode().status, 303);
    latest = onlyCodeTo("alice@example.org");
  }
  // Five codes to this address within the hour: no sixth.
  const http::Response limited = askForNewCode();
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("Too many codes"), std::string::npos);
  EXPECT_TRUE(takeCodes().empty());
  // Starting over (another browser, another username) does not reset it.
  const auto browser = jar_;
  const http::Response again = submitForm("alice2", "ALICE@example.org");
  EXPECT_EQ(again.status, 429);
  EXPECT_TRUE(takeCodes().empty());
  // The last code still works.
  jar_ = browser;
  EXPECT_EQ(enterCode(latest).status, 303);
  EXPECT_TRUE(userNamed("alice").has_value());
  EXPECT_FALSE(userNamed("alice2").has_value());
  clock_.advance(61min);
  EXPECT_EQ(submitForm("alice2", "alice@example.org").status, 303);
}

TEST_F(RegisterVerifyTest, TheFirstToVerifyGetsTheUsernameAndTheOtherTheFormBack) {
  context_->settings.registration_token_required = true;
  addRegistrationToken("gate", 5);
  ASSERT_EQ(submitForm("alice", "one@example.org", {{"registration_token", "gate"}}).status, 303);
  const auto first_browser = jar_;
  const std::string first_code = onlyCodeTo("one@example.org");
  ASSERT_EQ(submitForm("alice", "two@example.org", {{"registration_token", "gate"}}).status, 303);
  const auto second_browser = jar_;
  const std::string second_code = onlyCodeTo("two@example.org");

  jar_ = second_browser;
  ASSERT_EQ(enterCode(second_code).status, 303);
  jar_ = first_browser;
  const http::Response lost = enterCode(first_code);
  EXPECT_EQ(lost.status, 409);
  EXPECT_NE(lost.body.find("This username is taken"), std::string::npos);
  EXPECT_NE(lost.body.find("id=\"register\""), std::string::npos);
  EXPECT_FALSE(cookie("__Host-mxauth-register").has_value());
  EXPECT_EQ(tokenUses("gate"), 1);
  const auto alice = userNamed("alice");
  ASSERT_TRUE(alice.has_value());
  const auto emails = emailsOf(alice->id);
  ASSERT_EQ(emails.size(), 1u);
  EXPECT_EQ(emails.front().address, "two@example.org");
}

TEST_F(RegisterVerifyTest, AUsernameTheHomeserverGaveAwayMeanwhileIsRefusedAtTheCode) {
  mxauth::test::RecordingHomeserver homeserver;
  context_->homeserver = &homeserver;
  ASSERT_EQ(submitForm("carol", "carol@example.org").status, 303);
  const std::string code = onlyCodeTo("carol@example.org");
  homeserver.markTaken("carol", homeserver::LocalpartAvailability::InUse);
  const http::Response refused = enterCode(code);
  context_->homeserver = nullptr;
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("This username is taken"), std::string::npos);
  EXPECT_FALSE(userNamed("carol").has_value());
  EXPECT_EQ(test::locationOf(enterCode(code)), "/register");  // dropped
}

TEST_F(RegisterVerifyTest, ATokenUsedUpMeanwhileCreatesNothing) {
  context_->settings.registration_token_required = true;
  addRegistrationToken("once", 1);
  ASSERT_EQ(submitForm("alice", "a@example.org", {{"registration_token", "once"}}).status, 303);
  const auto first_browser = jar_;
  const std::string first_code = onlyCodeTo("a@example.org");
  ASSERT_EQ(submitForm("bob", "b@example.org", {{"registration_token", "once"}}).status, 303);
  const std::string second_code = onlyCodeTo("b@example.org");
  ASSERT_EQ(enterCode(second_code).status, 303);
  jar_ = first_browser;
  const http::Response refused = enterCode(first_code);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("used up"), std::string::npos);
  EXPECT_FALSE(userNamed("alice").has_value());
  EXPECT_TRUE(userNamed("bob").has_value());
  EXPECT_EQ(tokenUses("once"), 1);
}

TEST_F(RegisterVerifyTest, WithoutAPendingRegistrationTheVerifyPageSendsToTheForm) {
  const http::Response page = account_->showRegisterVerify(get("/register/verify"));
  EXPECT_EQ(page.status, 303);
  EXPECT_EQ(test::locationOf(page), "/register");
  jar_["__Host-mxauth-register"] = "bm90LW91cnM";
  EXPECT_EQ(test::locationOf(account_->showRegisterVerify(get("/register/verify"))), "/register");
}

}  // namespace
}  // namespace mxauth::web
