#include "web/account_emails.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "email/mailer.h"
#include "email/transport.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/introspection_cache.h"
#include "web/recovery.h"
#include "web/web_test_support.h"

// The e-mail addresses page (web/account_emails.h) and password recovery
// (web/recovery.h), with a real Mailer whose messages stay in the job
// queue, where the tests read the codes and links.
namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAlicePassword = "correct horse battery";

class MailTest : public test::WebTest {
 protected:
  MailTest()
      : mailer_(transport_, rng_, clock_, mailerOptions()),
        email_templates_(*templates::EmailTemplates::load()) {
    context_->mailer = &mailer_;
    context_->email_templates = &email_templates_;
    context_->introspection_cache = &cache_;
    step_up_ = std::make_unique<StepUp>(*kit_);
    emails_ = std::make_unique<AccountEmailPages>(*kit_, *step_up_);
    recovery_ = std::make_unique<RecoveryPages>(*kit_);
    alice_ = addUser("alice", kAlicePassword);
  }
  ~MailTest() override {
    context_->mailer = nullptr;
    context_->email_templates = nullptr;
    context_->introspection_cache = nullptr;
  }

  static email::MailerOptions mailerOptions() {
    email::MailerOptions options;
    options.from = email::Mailbox{"mxauth", "noreply@auth.example"};
    return options;
  }

  // The jobs queued so far, taken so that the next call sees only new ones.
  std::vector<domain::Job> takeJobs() {
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

  std::vector<email::Message> takeMail() {
    std::vector<email::Message> messages;
    for (const domain::Job& job : takeJobs()) {
      if (job.kind != email::kSendEmailJob) continue;
      auto queued = email::decodeJobPayload(job.payload);
      if (queued) messages.push_back(queued->message);
    }
    return messages;
  }

  static std::string match(const std::string& text, const std::string& pattern) {
    std::smatch found;
    if (!std::regex_search(text, found, std::regex(pattern))) return {};
    return found.str();
  }

  domain::UserEmail addEmail(const domain::User& user, const std::string& address, bool confirmed) {
    auto tx = database_->begin();
    auto email = (*tx)->userEmails().add(rng_, clock_, user.id, address);
    EXPECT_TRUE(email.has_value());
    if (confirmed) {
      EXPECT_TRUE((*tx)->userEmails().confirm(clock_, email->id).has_value());
    }
    EXPECT_TRUE((*tx)->commit().has_value());
    return *email;
  }

  std::vector<domain::UserEmail> emailsOf(const domain::User& user) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto emails = (*tx)->userEmails().listForUser(user.id);
    EXPECT_TRUE(emails.has_value());
    return emails.value_or(std::vector<domain::UserEmail>{});
  }

  std::vector<std::string> auditActions() {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto events = (*tx)->auditLog().list({});
    std::vector<std::string> actions;
    for (const auto& event : events.value_or(std::vector<storage::AuditEvent>{})) {
      actions.push_back(event.action);
    }
    return actions;
  }

  // Signed in just now (recent enough for step-up).
  void signIn() { ASSERT_EQ(logIn("alice", kAlicePassword).status, 303); }

  http::Response listPage() {
    http::Response page = emails_->showEmails(get("/account/emails"));
    remember(page);
    return page;
  }

  // POST form#email-add with the list page's token.
  http::Response add(const std::string& address) {
    const http::Response page = listPage();
    EXPECT_EQ(page.status, 200);
    http::Response response = emails_->submitAdd(
        post("/account/emails", {{"csrf", tokenOf(page, "email-add")}, {"email", address}}));
    remember(response);
    return response;
  }

  // The token of a form of the page whose id starts with `form_id`.
  static std::string tokenOf(const http::Response& page, const std::string& form_id) {
    const std::size_t form = page.body.find("id=\"" + form_id);
    if (form == std::string::npos) return {};
    return csrfOf(http::Response::text(200, page.body.substr(form)));
  }

  http::Response verify(const std::string& verify_location, const std::string& code) {
    const http::Response page = emails_->showVerify(get(verify_location));
    remember(page);
    EXPECT_EQ(page.status, 200) << page.body;
    const std::string id =
        std::string(test::parametersOf(verify_location.substr(verify_location.find('?') + 1))
                        .get("id")
                        .value_or(""));
    http::Response response = emails_->submitVerify(
        post("/account/emails/verify",
             {{"csrf", tokenOf(page, "email-verify")}, {"email_id", id}, {"code", code}}));
    remember(response);
    return response;
  }

  // Adds and verifies `address`; answers its id.
  std::string addVerified(const std::string& address) {
    const http::Response added = add(address);
    EXPECT_EQ(added.status, 303) << added.body;
    const std::vector<email::Message> mail = takeMail();
    EXPECT_EQ(mail.size(), 1u);
    const std::string code = mail.empty() ? "" : match(mail.front().text, "\\b[0-9]{6}\\b");
    EXPECT_EQ(verify(test::locationOf(added), code).status, 303);
    for (const auto& email : emailsOf(alice_)) {
      if (email.address == address) return email.id.str();
    }
    return {};
  }

  email::BlackholeTransport transport_;
  email::Mailer mailer_;
  templates::EmailTemplates email_templates_;
  oauth::IntrospectionCache cache_{100, 1h};
  std::unique_ptr<StepUp> step_up_;
  std::unique_ptr<AccountEmailPages> emails_;
  std::unique_ptr<RecoveryPages> recovery_;
  domain::User alice_;
};

// --- E-mail addresses ------------------------------------------------------

TEST_F(MailTest, ThePageNeedsASignIn) {
  EXPECT_EQ(test::locationOf(emails_->showEmails(get("/account/emails"))),
            "/login?next=%2Faccount%2Femails");
}

TEST_F(MailTest, AddingSendsACodeStoredOnlyAsAHashThatVerifiesTheAddressAndMakesItPrimary) {
  signIn();
  takeJobs();
  const http::Response added = add("alice@example.org");
  ASSERT_EQ(added.status, 303) << added.body;
  EXPECT_TRUE(test::locationOf(added).starts_with("/account/emails/verify?id="));
  const std::vector<email::Message> mail = takeMail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail.front().to, "alice@example.org");
  const std::string code = match(mail.front().text, "\\b[0-9]{6}\\b");
  ASSERT_EQ(code.size(), 6u);
  {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto pending = (*tx)->userEmailCodes().latestPending(clock_, emailsOf(alice_).front().id);
    ASSERT_TRUE(pending.has_value() && pending->has_value());
    EXPECT_EQ((*pending)->code_hash.find(code), std::string::npos);
    EXPECT_EQ((*pending)->code_hash, emails_->codeHash(emailsOf(alice_).front().id.str(), code));
  }
  EXPECT_FALSE(emailsOf(alice_).front().isConfirmed());

  const std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(verify(test::locationOf(added), wrong).status, 400);
  const http::Response verified = verify(test::locationOf(added), code);
  EXPECT_EQ(test::locationOf(verified), "/account/emails?done=verified");

  const std::vector<domain::UserEmail> emails = emailsOf(alice_);
  ASSERT_EQ(emails.size(), 1u);
  EXPECT_TRUE(emails.front().isConfirmed());
  EXPECT_TRUE(emails.front().is_primary);
  bool provisioning = false;
  for (const domain::Job& job : takeJobs()) provisioning |= job.kind == jobs::kProvisionUserJob;
  EXPECT_TRUE(provisioning) << "the homeserver learns the verified addresses";
  std::vector<std::string> actions = auditActions();
  std::sort(actions.begin(), actions.end());
  EXPECT_EQ(actions, (std::vector<std::string>{"account.email_add", "account.email_verify"}));
  const http::Response page = listPage();
  EXPECT_NE(page.body.find("Primary"), std::string::npos);
  // The code was used up.
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto pending = (*tx)->userEmailCodes().latestPending(clock_, emails.front().id);
  ASSERT_TRUE(pending.has_value());
  EXPECT_FALSE(pending->has_value());
}

TEST_F(MailTest, AddingNeedsARecentAuthentication) {
  signIn();
  const http::Response page = listPage();
  clock_.advance(10min);
  const http::Response added = emails_->submitAdd(
      post("/account/emails", {{"csrf", csrfOf(page)}, {"email", "alice@example.org"}}));
  EXPECT_EQ(test::locationOf(added),
            "/account/reauth?next=%2Faccount%2Femails%3Fadd%3Dalice%2540example.org");
  EXPECT_TRUE(emailsOf(alice_).empty());
  EXPECT_TRUE(takeMail().empty());
}

TEST_F(MailTest, ACodeAllowsFiveGuessesAndExpires) {
  signIn();
  const http::Response added = add("alice@example.org");
  const std::string code = match(takeMail().front().text, "\\b[0-9]{6}\\b");
  const std::string wrong = code == "000000" ? "111111" : "000000";
  for (int i = 0; i < kMaxCodeAttempts; ++i) {
    EXPECT_EQ(verify(test::locationOf(added), wrong).status, 400);
  }
  const http::Response refused = verify(test::locationOf(added), code);
  EXPECT_EQ(refused.status, 429);
  EXPECT_FALSE(emailsOf(alice_).front().isConfirmed());

  // A new code; it expires after kEmailCodeLifetime.
  const http::Response page = emails_->showVerify(get(test::locationOf(added)));
  remember(page);
  const http::Response resent = emails_->submitResend(post(
      "/account/emails/resend",
      {{"csrf", tokenOf(page, "email-resend")}, {"email_id", emailsOf(alice_).front().id.str()}}));
  EXPECT_EQ(resent.status, 303) << resent.body;
  const std::string fresh = match(takeMail().front().text, "\\b[0-9]{6}\\b");
  clock_.advance(kEmailCodeLifetime);
  EXPECT_EQ(verify(test::locationOf(added), fresh).status, 400);
  EXPECT_FALSE(emailsOf(alice_).front().isConfirmed());
}

TEST_F(MailTest, SendingIsLimitedPerHour) {
  signIn();
  const http::Response added = add("alice@example.org");
  const std::string id = emailsOf(alice_).front().id.str();
  int status = 0;
  for (int i = 0; i < kMaxCodesPerHour; ++i) {
    const http::Response page = emails_->showVerify(get(test::locationOf(added)));
    remember(page);
    status = emails_
                 ->submitResend(post("/account/emails/resend",
                                     {{"csrf", tokenOf(page, "email-resend")}, {"email_id", id}}))
                 .status;
  }
  EXPECT_EQ(status, 429);
  EXPECT_EQ(takeMail().size(), static_cast<std::size_t>(kMaxCodesPerHour));
  clock_.advance(1h + 1s);
  const http::Response page = emails_->showVerify(get(test::locationOf(added)));
  remember(page);
  EXPECT_EQ(emails_
                ->submitResend(post("/account/emails/resend",
                                    {{"csrf", tokenOf(page, "email-resend")}, {"email_id", id}}))
                .status,
            303);
}

TEST_F(MailTest, AnAddressOfAnotherAccountIsRevealedOnlyToWhoeverHasTheCode) {
  const domain::User bob = addUser("bob", "another fine password");
  addEmail(bob, "shared@example.org", true);
  signIn();
  const http::Response fresh = add("fresh@example.org");
  const http::Response taken = add("Shared@example.org");
  EXPECT_EQ(fresh.status, 303);
  EXPECT_EQ(taken.status, 303) << "adding looks the same";
  const std::vector<email::Message> mail = takeMail();
  ASSERT_EQ(mail.size(), 2u);
  const email::Message& to_shared =
      mail.front().to == "Shared@example.org" ? mail.front() : mail.back();
  const http::Response verified =
      verify(test::locationOf(taken), match(to_shared.text, "\\b[0-9]{6}\\b"));
  EXPECT_EQ(verified.status, 409);
  EXPECT_NE(verified.body.find("already in use by another account"), std::string::npos);
  for (const auto& email : emailsOf(alice_)) EXPECT_FALSE(email.isConfirmed());
}

TEST_F(MailTest, OnlyAVerifiedAddressBecomesPrimaryAndThePrimaryGoesLast) {
  signIn();
  const std::string first = addVerified("one@example.org");
  const std::string second = addVerified("two@example.org");
  ASSERT_EQ(add("pending@example.org").status, 303);
  std::string pending;
  for (const auto& email : emailsOf(alice_)) {
    if (!email.isConfirmed()) pending = email.id.str();
  }
  takeJobs();

  http::Response page = listPage();
  EXPECT_EQ(
      emails_
          ->submitPrimary(post("/account/emails/primary",
                               {{"csrf", tokenOf(page, "email-primary")}, {"email_id", pending}}))
          .status,
      400);
  EXPECT_EQ(test::locationOf(emails_->submitPrimary(
                post("/account/emails/primary",
                     {{"csrf", tokenOf(page, "email-primary")}, {"email_id", second}}))),
            "/account/emails?done=primary");
  for (const auto& email : emailsOf(alice_)) {
    EXPECT_EQ(email.is_primary, email.id.str() == second) << email.address;
  }

  clock_.advance(1s);  // the audit log lists by time
  page = listPage();
  const http::Response refused = emails_->submitRemove(post(
      "/account/emails/remove", {{"csrf", tokenOf(page, "email-remove")}, {"email_id", second}}));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(test::locationOf(emails_->submitRemove(
                post("/account/emails/remove",
                     {{"csrf", tokenOf(page, "email-remove")}, {"email_id", first}}))),
            "/account/emails?done=removed");
  bool provisioning = false;
  for (const domain::Job& job : takeJobs()) provisioning |= job.kind == jobs::kProvisionUserJob;
  EXPECT_TRUE(provisioning);
  EXPECT_EQ(emailsOf(alice_).size(), 2u);
  EXPECT_EQ(auditActions().front(), "account.email_remove");

  // Removing needs a recent authentication too.
  clock_.advance(10min);
  page = listPage();
  const http::Response stale = emails_->submitRemove(post(
      "/account/emails/remove", {{"csrf", tokenOf(page, "email-remove")}, {"email_id", pending}}));
  EXPECT_TRUE(test::locationOf(stale).starts_with("/account/reauth?next="));
  EXPECT_EQ(emailsOf(alice_).size(), 2u);
}

TEST_F(MailTest, AnotherUsersAddressCannotBeTouched) {
  const domain::User bob = addUser("bob", "another fine password");
  const domain::UserEmail bobs = addEmail(bob, "bob@example.org", true);
  addEmail(alice_, "alice@example.org", false);
  signIn();
  const http::Response page = listPage();
  EXPECT_EQ(
      emails_
          ->submitRemove(post("/account/emails/remove", {{"csrf", tokenOf(page, "email-remove")},
                                                         {"email_id", bobs.id.str()}}))
          .status,
      303);
  EXPECT_EQ(emailsOf(bob).size(), 1u);
}

TEST_F(MailTest, WithEmailChangeOffThePageOnlyLists) {
  addEmail(alice_, "alice@example.org", true);
  context_->settings.email_change_enabled = false;
  signIn();
  const http::Response page = listPage();
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("alice@example.org"), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"email-add\""), std::string::npos);
  EXPECT_EQ(page.body.find("email-remove"), std::string::npos);
  EXPECT_EQ(emails_->submitAdd(post("/account/emails", {{"email", "x@example.org"}})).status, 403);
  EXPECT_EQ(emails_
                ->submitRemove(post("/account/emails/remove",
                                    {{"email_id", emailsOf(alice_).front().id.str()}}))
                .status,
            403);
  EXPECT_EQ(emailsOf(alice_).size(), 1u);
}

TEST_F(MailTest, AFormWithoutItsTokenChangesNothing) {
  signIn();
  listPage();
  EXPECT_EQ(emails_->submitAdd(post("/account/emails", {{"email", "x@example.org"}})).status, 403);
  EXPECT_TRUE(emailsOf(alice_).empty());
}

// --- Password recovery -----------------------------------------------------

class RecoveryTest : public MailTest {
 protected:
  http::Response request(const std::string& address,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    const http::Response page = recovery_->showRecover(get("/recover"));
    remember(page);
    EXPECT_EQ(page.status, 200);
    http::Request submitted = post("/recover", {{"csrf", csrfOf(page)}, {"email", address}});
    for (const auto& [name, value] : headers) submitted.headers.add(name, value);
    http::Response response = recovery_->submitRecover(submitted);
    remember(response);
    return response;
  }

  std::string linkIn(const std::vector<email::Message>& mail) {
    if (mail.size() != 1) return {};
    return match(mail.front().text, "https?://[^\\s]+");
  }

  http::Response setPassword(const std::string& link, const std::string& password,
                             const std::string& confirm) {
    const std::string target = link.substr(std::string("https://auth.example").size());
    const http::Response page = recovery_->showRecoverPassword(get(target));
    remember(page);
    if (page.status != 200) return page;
    const std::string token = std::string(
        test::parametersOf(target.substr(target.find('?') + 1)).get("token").value_or(""));
    http::Response response = recovery_->submitRecoverPassword(
        post("/recover/password", {{"csrf", csrfOf(page)},
                                   {"token", token},
                                   {"new_password", password},
                                   {"new_password_confirm", confirm}}));
    remember(response);
    return response;
  }
};

TEST_F(RecoveryTest, TheAnswerIsTheSameWhetherOrNotTheAddressIsKnown) {
  addEmail(alice_, "alice@example.org", true);
  addEmail(alice_, "unverified@example.org", false);
  takeJobs();
  const auto bodyFor = [&](const std::string& address) {
    const http::Response response = request(address);
    EXPECT_EQ(response.status, 200);
    std::string body = response.body;
    for (std::size_t at = body.find(address); at != std::string::npos; at = body.find(address)) {
      body.replace(at, address.size(), "ADDRESS");
    }
    return body;
  };
  const std::string known = bodyFor("alice@example.org");
  EXPECT_EQ(takeMail().size(), 1u);
  EXPECT_EQ(bodyFor("nobody@example.org"), known);
  EXPECT_EQ(bodyFor("unverified@example.org"), known);
  EXPECT_TRUE(takeMail().empty());
}

TEST_F(RecoveryTest, TheLinkIsBuiltFromThePublicBaseNeverFromRequestHeaders) {
  addEmail(alice_, "alice@example.org", true);
  takeJobs();
  request("alice@example.org", {{"Host", "evil.test"}, {"X-Forwarded-Host", "evil.test"}});
  const std::string link = linkIn(takeMail());
  EXPECT_TRUE(link.starts_with("https://auth.example/recover/password?token=")) << link;
  EXPECT_EQ(link.find("evil"), std::string::npos);
}

TEST_F(RecoveryTest, TheEmailIsWrittenInTheLanguageOfTheRequestThatAskedForIt) {
  addEmail(alice_, "alice@example.org", true);
  takeJobs();
  const http::Response page = request("alice@example.org", {{"Accept-Language", "fr-FR,fr;q=0.9"}});
  EXPECT_NE(page.body.find("<html lang=\"fr\">"), std::string::npos);
  const std::vector<email::Message> french = takeMail();
  ASSERT_EQ(french.size(), 1u);
  EXPECT_EQ(french.front().subject, "Choisir un nouveau mot de passe pour Example Auth");
  EXPECT_NE(french.front().text.find("Bonjour,"), std::string::npos);

  request("alice@example.org");
  const std::vector<email::Message> english = takeMail();
  ASSERT_EQ(english.size(), 1u);
  EXPECT_EQ(english.front().subject, "Choose a new password for Example Auth");
}

TEST_F(RecoveryTest, ANewPasswordEndsEverySessionAndTheLinkWorksOnce) {
  addEmail(alice_, "alice@example.org", true);
  signIn();
  const auto old_session = cookie(test::kSessionCookie);
  const oauth::RegisteredClient client = addClient();
  domain::OAuthSessionId oauth_session;
  {
    auto tx = database_->begin();
    storage::NewOAuthSession device;
    device.client_id = client.id();
    device.user_id = alice_.id;
    device.scope = "urn:matrix:client:api:* urn:matrix:client:device:PHONE";
    device.device_id = "PHONE";
    auto added = (*tx)->oauthSessions().add(rng_, clock_, device);
    ASSERT_TRUE(added.has_value());
    oauth_session = added->id;
    ASSERT_TRUE((*tx)->commit().has_value());
  }
  takeJobs();
  request("alice@example.org");
  const std::string link = linkIn(takeMail());
  ASSERT_FALSE(link.empty());
  // Checks the rules of registration first.
  EXPECT_EQ(setPassword(link, "short", "short").status, 400);
  EXPECT_EQ(setPassword(link, "a brand new password", "another one").status, 400);

  const http::Response done = setPassword(link, "a brand new password", "a brand new password");
  EXPECT_EQ(done.status, 200) << done.body;
  {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto session = (*tx)->oauthSessions().lookup(oauth_session);
    ASSERT_TRUE(session.has_value() && session->has_value());
    EXPECT_FALSE((*session)->isActive());
  }
  // The old browser session is dead.
  jar_[test::kSessionCookie] = *old_session;
  EXPECT_NE(account_->showAccount(get("/account/")).status, 200);
  bool sync = false;
  for (const domain::Job& job : takeJobs()) sync |= job.kind == jobs::kSyncDevicesJob;
  EXPECT_TRUE(sync) << "the homeserver drops the devices";
  EXPECT_EQ(auditActions().front(), "account.password_recovery");
  // The link is used up; the new password works, the old one not.
  EXPECT_EQ(setPassword(link, "yet another password", "yet another password").status, 400);
  EXPECT_EQ(logIn("alice", kAlicePassword).status, 400);
  EXPECT_EQ(logIn("alice", "a brand new password").status, 303);
}

TEST_F(RecoveryTest, AnExpiredLinkIsRefused) {
  addEmail(alice_, "alice@example.org", true);
  takeJobs();
  request("alice@example.org");
  const std::string link = linkIn(takeMail());
  ASSERT_FALSE(link.empty());
  clock_.advance(context_->settings.recovery_link_ttl);
  const http::Response refused = setPassword(link, "a brand new password", "a brand new password");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("expired"), std::string::npos);
}

TEST_F(RecoveryTest, LockedAccountsGetNoLink) {
  addEmail(alice_, "alice@example.org", true);
  {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)->users().lock(clock_, alice_.id).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }
  takeJobs();
  EXPECT_EQ(request("alice@example.org").status, 200);
  EXPECT_TRUE(takeMail().empty());
}

TEST_F(RecoveryTest, RequestsAreLimitedPerAddressWhetherOrNotItIsKnown) {
  for (std::uint32_t i = 0; i < kRecoveryPerEmailBurst; ++i) {
    EXPECT_EQ(request("nobody@example.org").status, 200);
  }
  const http::Response limited = request("NOBODY@example.org");
  EXPECT_EQ(limited.status, 429);
  EXPECT_TRUE(limited.headers.get("Retry-After").has_value());
  EXPECT_EQ(request("someone@example.org").status, 200);
}

TEST_F(RecoveryTest, DisabledRecoveryHasNoPagesAndNoLoginLink) {
  context_->settings.password_recovery_enabled = false;
  EXPECT_EQ(recovery_->showRecover(get("/recover")).status, 404);
  EXPECT_EQ(recovery_->submitRecover(post("/recover", {{"email", "a@example.org"}})).status, 404);
  EXPECT_EQ(account_->showLogin(get("/login")).body.find("/recover"), std::string::npos);
  context_->settings.password_recovery_enabled = true;
  EXPECT_NE(account_->showLogin(get("/login")).body.find("href=\"/recover\""), std::string::npos);
}

}  // namespace
}  // namespace mxauth::web
