#include "web/step_up.h"

#include <gtest/gtest.h>

#include <regex>

#include "email/mailer.h"
#include "email/transport.h"
#include "templates/emails.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

constexpr const char* kProgressCookie = "__Host-mxauth-step-up";

// A second factor for the tests: field `code`, right when it is "123456".
// Like the e-mail code stage to come, a password login does not prove it.
class CodeStage final : public StepUpStage {
 public:
  std::string_view name() const override { return "code"; }
  bool provedByPasswordLogin() const override { return false; }
  StagePrompt prompt(const StageAttempt& /*attempt*/) const override {
    StagePrompt prompt;
    prompt.lead = Text::verbatim("Enter the code we sent you.");
    templates::FormField code;
    code.name = "code";
    code.label = Text("common.code");
    code.type = "text";
    code.autocomplete = "one-time-code";
    prompt.fields.push_back(code);
    return prompt;
  }
  StageOutcome check(const StageAttempt& /*attempt*/, const http::FormParams& form) const override {
    if (form.get("code") == "123456") return {StageResult::Passed, std::nullopt, {}};
    return {StageResult::Failed, Text("form.wrong_code"), {}};
  }
};

class StepUpTest : public test::WebTest {
 protected:
  StepUpTest() {
    context_->settings.step_up_max_age = 300s;
    step_up_ = std::make_unique<StepUp>(*kit_);
  }

  void useStages(bool with_code) {
    std::vector<std::unique_ptr<StepUpStage>> stages;
    stages.push_back(std::make_unique<PasswordStage>());
    if (with_code) stages.push_back(std::make_unique<CodeStage>());
    step_up_ = std::make_unique<StepUp>(*kit_, std::move(stages));
  }

  // require() for the password page; the response when refused.
  std::optional<http::Response> refusal() {
    auto allowed = step_up_->require(get("/account/password"), "/account/password");
    if (allowed) return std::nullopt;
    return std::move(allowed).error();
  }

  http::Response showReauth(const std::string& next = "/account/password") {
    http::Response page = step_up_->showReauth(get("/account/reauth?next=" + next));
    remember(page);
    return page;
  }

  http::Response submit(const test::Form& fields, const std::string& csrf,
                        const std::string& next = "/account/password") {
    test::Form form{{"csrf", csrf}, {"next", next}};
    form.insert(form.end(), fields.begin(), fields.end());
    http::Response response = step_up_->submitReauth(post("/account/reauth", form));
    remember(response);
    return response;
  }

  Timestamp authenticatedAt() {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto active = kit_->sessions().current(get("/account/"), **tx, clock_);
    EXPECT_TRUE(active && active->has_value());
    return (active && *active) ? (*active)->session.authenticated_at : Timestamp{};
  }

  std::unique_ptr<StepUp> step_up_;
};

TEST_F(StepUpTest, AFreshSignInNeedsNoReauthentication) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(299s);

  EXPECT_FALSE(refusal().has_value());
}

TEST_F(StepUpTest, AStaleSessionIsSentToReauthenticateAndComesBack) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(300s);

  const auto refused = refusal();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 303);
  EXPECT_EQ(test::locationOf(*refused), "/account/reauth?next=%2Faccount%2Fpassword");

  const http::Response page = showReauth();
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<form id=\"reauth\""), std::string::npos);
  EXPECT_NE(page.body.find("name=\"password\""), std::string::npos);
  EXPECT_NE(page.body.find("@alice:example.com"), std::string::npos);
  EXPECT_EQ(page.body.find("Step 1 of"), std::string::npos);  // one stage: no counter

  const http::Response done = submit({{"password", "correct horse battery"}}, csrfOf(page));

  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(test::locationOf(done), "/account/password");
  EXPECT_EQ(authenticatedAt(), clock_.now());
  EXPECT_FALSE(refusal().has_value());
}

TEST_F(StepUpTest, ASignedOutVisitorIsSentToTheLoginPageFirst) {
  const auto refused = refusal();

  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(test::locationOf(*refused), "/login?next=%2Faccount%2Fpassword");
  EXPECT_EQ(test::locationOf(showReauth()),
            "/login?next=%2Faccount%2Freauth%3Fnext%3D%2Faccount%2Fpassword");
}

TEST_F(StepUpTest, AWrongPasswordShowsTheStageAgainAndChangesNothing) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(1h);
  const Timestamp before = authenticatedAt();
  const http::Response page = showReauth();

  const http::Response wrong = submit({{"password", "wrong password!"}}, csrfOf(page));

  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("Wrong password"), std::string::npos);
  EXPECT_NE(wrong.body.find("aria-invalid=\"true\""), std::string::npos);
  EXPECT_EQ(authenticatedAt(), before);
  EXPECT_TRUE(refusal().has_value());
  // The same form may be tried again.
  EXPECT_EQ(submit({{"password", "correct horse battery"}}, csrfOf(wrong)).status, 303);
}

// Checklist G.45: step-up guesses count with the logins, on the same
// throttle, before any hashing.
TEST_F(StepUpTest, WrongPasswordsAreLimitedTogetherWithLogins) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(1h);
  accounts::LoginThrottle throttle(clock_, {core::RateLimit{}, core::RateLimit{2, 60s}});
  context_->login_throttle = &throttle;
  // One wrong login through another door, one wrong step-up here.
  ASSERT_TRUE(throttle.admitAccount("alice").allowed);
  throttle.settleAccount("alice");
  const http::Response page = showReauth();
  ASSERT_EQ(submit({{"password", "wrong password!"}}, csrfOf(page)).status, 400);
  const std::uint64_t hashed = hasher_.started();

  const http::Response limited = submit({{"password", "correct horse battery"}}, csrfOf(page));

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "60");
  EXPECT_NE(limited.body.find("Too many attempts. Please wait"), std::string::npos);
  EXPECT_NE(limited.body.find("<form id=\"reauth\""), std::string::npos);
  EXPECT_EQ(hasher_.started(), hashed) << "the limited attempt was hashed";
  EXPECT_TRUE(refusal().has_value());
  // And the login page is limited by the step-up guess too.
  jar_.erase(test::kSessionCookie);
  EXPECT_EQ(logIn("alice", "correct horse battery").status, 429);
  context_->login_throttle = nullptr;
}

TEST_F(StepUpTest, AStageWithoutItsCsrfTokenOrFromAnotherSiteIsRefused) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(1h);
  const http::Response page = showReauth();

  const http::Response without = submit({{"password", "correct horse battery"}}, "");
  http::Request cross_site = post("/account/reauth", {{"csrf", csrfOf(page)},
                                                      {"next", "/account/password"},
                                                      {"password", "correct horse battery"}});
  cross_site.headers.set("Origin", "https://evil.example");
  const http::Response foreign = step_up_->submitReauth(cross_site);

  EXPECT_EQ(without.status, 403);
  EXPECT_NE(without.body.find("expired"), std::string::npos);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(refusal().has_value());
}

TEST_F(StepUpTest, AFormOfAnEarlierStepUpIsStale) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(1h);
  const http::Response first = showReauth();
  ASSERT_EQ(submit({{"password", "correct horse battery"}}, csrfOf(first)).status, 303);
  clock_.advance(1h);  // stale again: a new step-up starts
  const http::Response second = showReauth();
  ASSERT_NE(csrfOf(second), csrfOf(first));

  const http::Response replayed = submit({{"password", "correct horse battery"}}, csrfOf(first));

  EXPECT_EQ(replayed.status, 403);
  EXPECT_TRUE(refusal().has_value());
}

TEST_F(StepUpTest, TwoStagesAreAskedInOrderAndProgressSurvivesAReload) {
  useStages(true);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  // A fresh password login does not prove the code stage.
  ASSERT_TRUE(refusal().has_value());
  const http::Response password = showReauth();
  EXPECT_NE(password.body.find("Step 1 of 2"), std::string::npos);
  const http::Response after_password =
      submit({{"password", "correct horse battery"}}, csrfOf(password));
  EXPECT_EQ(after_password.status, 303);
  EXPECT_EQ(test::locationOf(after_password), "/account/reauth?next=%2Faccount%2Fpassword");
  EXPECT_TRUE(refusal().has_value());

  const http::Response code = showReauth();
  const http::Response reloaded = showReauth();
  EXPECT_NE(reloaded.body.find("Step 2 of 2"), std::string::npos);
  EXPECT_NE(reloaded.body.find("name=\"code\""), std::string::npos);
  EXPECT_EQ(reloaded.body.find("name=\"password\""), std::string::npos);
  EXPECT_EQ(csrfOf(reloaded), csrfOf(code));
  // The first stage's form cannot be posted again to skip or redo it.
  EXPECT_EQ(submit({{"password", "correct horse battery"}}, csrfOf(password)).status, 403);
  EXPECT_EQ(submit({{"code", "000000"}}, csrfOf(reloaded)).status, 400);

  const http::Response done = submit({{"code", "123456"}}, csrfOf(reloaded));

  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(test::locationOf(done), "/account/password");
  EXPECT_FALSE(refusal().has_value());
  clock_.advance(300s);
  EXPECT_TRUE(refusal().has_value());
}

TEST_F(StepUpTest, ProgressBelongsToOneBrowserSession) {
  useStages(true);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response password = showReauth();
  ASSERT_EQ(submit({{"password", "correct horse battery"}}, csrfOf(password)).status, 303);
  const std::string progress = *cookie(kProgressCookie);

  // Another sign-in (a new session) with the old progress cookie.
  logIn("alice", "correct horse battery");
  jar_[kProgressCookie] = progress;
  const http::Response page = showReauth();

  EXPECT_NE(page.body.find("Step 1 of 2"), std::string::npos);
}

TEST_F(StepUpTest, ATamperedProgressCookieStartsAgain) {
  useStages(true);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response password = showReauth();
  ASSERT_EQ(submit({{"password", "correct horse battery"}}, csrfOf(password)).status, 303);
  std::string progress = *cookie(kProgressCookie);
  progress[progress.size() / 2] = progress[progress.size() / 2] == 'A' ? 'B' : 'A';
  jar_[kProgressCookie] = progress;

  EXPECT_NE(showReauth().body.find("Step 1 of 2"), std::string::npos);
}

TEST_F(StepUpTest, NextIsAlwaysALocalPath) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(1h);
  for (const char* next : {"https://evil.example/", "//evil.example/", "/\\evil.example"}) {
    const http::Response page = showReauth(http::percentEncode(next));
    const http::Response done = submit({{"password", "correct horse battery"}}, csrfOf(page), next);
    EXPECT_EQ(test::locationOf(done), "/account/") << next;
    clock_.advance(1h);
  }
}

TEST_F(StepUpTest, AnUnknownStageNameFailsClosed) {
  context_->settings.step_up_stages = {"password", "carrier-pigeon"};
  step_up_ = std::make_unique<StepUp>(*kit_);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  const auto refused = refusal();

  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 500);
  EXPECT_EQ(showReauth().status, 500);
}

// The e-mail stage (EmailCodeStage) after the password, with a real Mailer
// whose messages stay in the job queue, where the test reads the code.
class EmailStageTest : public StepUpTest {
 protected:
  EmailStageTest()
      : mailer_(transport_, rng_, clock_, mailerOptions()),
        email_templates_(*templates::EmailTemplates::load()) {
    context_->mailer = &mailer_;
    context_->email_templates = &email_templates_;
    std::vector<std::unique_ptr<StepUpStage>> stages;
    stages.push_back(std::make_unique<PasswordStage>());
    stages.push_back(std::make_unique<EmailCodeStage>(context_->encryption_secret));
    step_up_ = std::make_unique<StepUp>(*kit_, std::move(stages));
    alice_ = addUser("alice", "correct horse battery");
  }
  ~EmailStageTest() override {
    context_->mailer = nullptr;
    context_->email_templates = nullptr;
  }

  static email::MailerOptions mailerOptions() {
    email::MailerOptions options;
    options.from = email::Mailbox{"mxauth", "noreply@auth.example"};
    return options;
  }

  void addConfirmedEmail(const std::string& address, bool primary = false) {
    auto tx = database_->begin();
    auto email = (*tx)->userEmails().add(rng_, clock_, alice_.id, address);
    ASSERT_TRUE((*tx)->userEmails().confirm(clock_, email->id).has_value());
    if (primary) {
      ASSERT_TRUE((*tx)->userEmails().setPrimary(alice_.id, email->id).value_or(false));
    }
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  // The messages queued so far (read without taking their jobs).
  std::vector<email::Message> queuedMail() {
    auto tx = database_->begin();
    auto jobs = (*tx)->jobs().claimDue(clock_, "reader", 1min, 100);
    std::vector<email::Message> messages;
    for (const domain::Job& job : jobs.value_or(std::vector<domain::Job>{})) {
      if (job.kind != email::kSendEmailJob) continue;
      auto queued = email::decodeJobPayload(job.payload);
      if (queued) messages.push_back(queued->message);
    }
    return messages;
  }

  static std::string codeIn(const email::Message& message) {
    std::smatch match;
    if (!std::regex_search(message.text, match, std::regex("\\b[0-9]{6}\\b"))) return {};
    return match.str();
  }

  // Signed in, the password stage passed: the e-mail stage is next.
  http::Response passwordPassed() {
    logIn("alice", "correct horse battery");
    const http::Response password = showReauth();
    EXPECT_EQ(submit({{"password", "correct horse battery"}}, csrfOf(password)).status, 303);
    return showReauth();
  }

  email::BlackholeTransport transport_;
  email::Mailer mailer_;
  templates::EmailTemplates email_templates_;
  domain::User alice_;
};

TEST_F(EmailStageTest, TheCodeSentToTheConfirmedAddressCompletesTheStepUp) {
  addConfirmedEmail("alice@example.org");

  const http::Response page = passwordPassed();

  EXPECT_NE(page.body.find("Step 2 of 2"), std::string::npos);
  EXPECT_NE(page.body.find("name=\"code\""), std::string::npos);
  EXPECT_NE(page.body.find("@example.org"), std::string::npos);
  EXPECT_EQ(page.body.find("alice@example.org"), std::string::npos) << "the address is masked";
  const std::vector<email::Message> mail = queuedMail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail.front().to, "alice@example.org");
  const std::string code = codeIn(mail.front());
  ASSERT_EQ(code.size(), 6u) << mail.front().text;
  // A reload shows the same stage and sends nothing more.
  const http::Response reloaded = showReauth();
  EXPECT_EQ(queuedMail().size(), 1u);
  EXPECT_TRUE(refusal().has_value());

  const http::Response done = submit({{"code", code}}, csrfOf(reloaded));

  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(test::locationOf(done), "/account/password");
  EXPECT_FALSE(refusal().has_value());
}

TEST_F(EmailStageTest, TheCodeGoesToThePrimaryAddressNotTheFirstOne) {
  addConfirmedEmail("alice@old.example");
  addConfirmedEmail("alice@new.example", /*primary=*/true);

  static_cast<void>(passwordPassed());

  const std::vector<email::Message> mail = queuedMail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail.front().to, "alice@new.example");
}

TEST_F(EmailStageTest, AWrongCodeIsRefusedAndGuessesAreLimitedWithTheLogins) {
  addConfirmedEmail("alice@example.org");
  const http::Response page = passwordPassed();
  const std::string code = codeIn(queuedMail().front());
  const std::string wrong = code == "000000" ? "111111" : "000000";
  accounts::LoginThrottle throttle(clock_, {core::RateLimit{}, core::RateLimit{2, 60s}});
  context_->login_throttle = &throttle;

  const http::Response first = submit({{"code", wrong}}, csrfOf(page));
  const http::Response second = submit({{"code", wrong}}, csrfOf(page));
  const http::Response limited = submit({{"code", code}}, csrfOf(page));

  EXPECT_EQ(first.status, 400);
  EXPECT_NE(first.body.find("Wrong code"), std::string::npos);
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(limited.status, 429);
  EXPECT_TRUE(refusal().has_value());
  clock_.advance(60s);
  EXPECT_EQ(submit({{"code", code}}, csrfOf(page)).status, 303);
  context_->login_throttle = nullptr;
}

TEST_F(EmailStageTest, ACodeOfAnEarlierStepUpDoesNotWork) {
  addConfirmedEmail("alice@example.org");
  passwordPassed();
  const std::string old_code = codeIn(queuedMail().front());
  // The browser session signs in again: a new step-up, a new code.
  jar_.erase(test::kSessionCookie);
  const http::Response page = passwordPassed();
  std::vector<email::Message> mail = queuedMail();
  ASSERT_EQ(mail.size(), 2u);
  // Both were queued at the same instant, in either order.
  const std::string first = codeIn(mail.front());
  const std::string second = codeIn(mail.back());
  ASSERT_NE(first, second);
  const std::string new_code = first == old_code ? second : first;

  EXPECT_EQ(submit({{"code", old_code}}, csrfOf(page)).status, 400);
  EXPECT_EQ(submit({{"code", new_code}}, csrfOf(page)).status, 303);
}

TEST_F(EmailStageTest, WithoutAConfirmedAddressTheStageSaysSoAndCannotPass) {
  {
    auto tx = database_->begin();
    ASSERT_TRUE(
        (*tx)->userEmails().add(rng_, clock_, alice_.id, "unconfirmed@example.org").has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  const http::Response page = passwordPassed();

  EXPECT_NE(page.body.find("has none"), std::string::npos);
  EXPECT_EQ(page.body.find("name=\"code\""), std::string::npos);
  EXPECT_TRUE(queuedMail().empty());
  EXPECT_EQ(submit({{"code", "123456"}}, csrfOf(page)).status, 400);
  EXPECT_TRUE(refusal().has_value());
}

}  // namespace
}  // namespace mxauth::web
