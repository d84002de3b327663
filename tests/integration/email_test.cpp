// Outgoing e-mail against a real SMTP server on loopback
// (tests/smtp/smtp_sink.py, aiosmtpd): the SMTP transport, the queue's
// retry after a 4yz reply, and `mxauth email test` / `mxauth doctor` as an
// operator runs them.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "core/testing/fakes.h"
#include "email/mailer.h"
#include "email/smtp_transport.h"
#include "storage/testing/test_database.h"
#include "tests/integration/process.h"
#include "tests/integration/smtp_sink.h"

namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSmtpUser = "mxauth-mailer";
constexpr const char* kSmtpPassword = "s3cret-smtp-Passw0rd";

// A sink that requires AUTH with kSmtpUser and kSmtpPassword.
SmtpSinkOptions withLogin() {
  SmtpSinkOptions options;
  options.credentials = std::string(kSmtpUser) + ":" + kSmtpPassword;
  return options;
}

// A sink that answers the first `count` messages' data with `code`.
SmtpSinkOptions failing(int count, int code) {
  SmtpSinkOptions options;
  options.fail_first = count;
  options.fail_code = code;
  return options;
}

SmtpSinkOptions overTls(std::string mode, bool login) {
  SmtpSinkOptions options = login ? withLogin() : SmtpSinkOptions{};
  options.tls = std::move(mode);
  return options;
}

email::SmtpOptions sinkOptions(const SmtpSink& sink) {
  email::SmtpOptions options;
  options.host = "127.0.0.1";
  options.port = sink.port();
  options.helo_name = "auth.example.org";
  options.connect_timeout = 5s;
  options.total_timeout = 20s;
  return options;
}

email::MailerOptions testMailerOptions() {
  email::MailerOptions options;
  options.from = email::Mailbox{"Example Auth", "noreply@auth.example.org"};
  options.host = "auth.example.org";
  return options;
}

email::Message codeMessage() {
  return email::Message{"bob@example.org", "Votre code de vérification : 424242",
                        "Bonjour,\nvotre code est 424242.\n",
                        "<!DOCTYPE html><p>Votre code est <strong>424242</strong>.</p>"};
}

// A port nothing listens on: one the kernel just gave out and took back.
int closedSmtpPort() {
  SmtpSink sink;
  return sink.port();  // the sink stops when it goes out of scope
}

TEST(SmtpTransportTest, DeliversTheMessageWithItsEnvelopeAndBothParts) {
  SmtpSink sink;
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpTransport transport(sinkOptions(sink));
  FakeClock clock;
  SeededRng rng(1);
  email::Mailer mailer(transport, rng, clock, testMailerOptions());

  auto sent = mailer.sendNow(codeMessage());

  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].mail_from, "noreply@auth.example.org");
  EXPECT_EQ(received[0].rcpt_tos, std::vector<std::string>{"bob@example.org"});
  EXPECT_FALSE(received[0].authenticated);
  const std::string& data = received[0].data;
  EXPECT_NE(data.find("From: Example Auth <noreply@auth.example.org>\r\n"), std::string::npos)
      << data;
  EXPECT_NE(data.find("To: bob@example.org\r\n"), std::string::npos);
  // The subject, with its accent, as an RFC 2047 encoded word.
  EXPECT_NE(data.find("Subject: =?UTF-8?B?Vm90cmUgY29kZSBkZSB2w6lyaWZpY2F0aW9uIDogNDI0MjQy?=\r\n"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(data.find("Content-Type: text/html; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(data.find("votre code est 424242."), std::string::npos);
  EXPECT_NE(data.find("<strong>424242</strong>"), std::string::npos);
}

TEST(SmtpTransportTest, LogsInWithTheConfiguredUserAndPassword) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.username = kSmtpUser;
  options.password = kSmtpPassword;
  email::SmtpTransport transport(options);

  auto sent = transport.send({"noreply@auth.example.org", "bob@example.org"},
                             "Subject: hi\r\n\r\nhello\r\n");

  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].authenticated);
  EXPECT_EQ(received[0].login, kSmtpUser);
}

TEST(SmtpTransportTest, LogsInWithAuthLoginWhenTheServerOffersNoOtherMechanism) {
  SmtpSinkOptions only_login = withLogin();
  only_login.auth_mechanism = "LOGIN";
  SmtpSink sink(only_login);
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.username = kSmtpUser;
  options.password = kSmtpPassword;
  email::SmtpOptions wrong = options;
  wrong.password = "not-the-password";

  auto sent = email::SmtpTransport(options).send({"noreply@auth.example.org", "bob@example.org"},
                                                 "Subject: hi\r\n\r\nhello\r\n");
  auto refused = email::SmtpTransport(wrong).check();

  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].authenticated);
  EXPECT_EQ(received[0].login, kSmtpUser);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("Login denied (AUTH LOGIN)"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("not-the-password"), std::string::npos);
  EXPECT_FALSE(refused.error().permanent);
}

TEST(SmtpTransportTest, AWrongPasswordIsAnErrorThatDoesNotShowThePassword) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.username = kSmtpUser;
  options.password = "not-the-password";
  email::SmtpTransport transport(options);

  auto sent = transport.send({"noreply@auth.example.org", "bob@example.org"}, "Subject: x\r\n\r\n");
  auto checked = transport.check();

  ASSERT_FALSE(sent.has_value());
  EXPECT_NE(sent.error().message.find("Login denied"), std::string::npos) << sent.error().message;
  EXPECT_NE(sent.error().message.find("smtp://127.0.0.1:"), std::string::npos);
  EXPECT_EQ(sent.error().message.find("not-the-password"), std::string::npos);
  EXPECT_FALSE(sent.error().permanent);  // the operator fixes it, then a retry helps
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message.find("Login denied"), std::string::npos);
  EXPECT_TRUE(sink.messages().empty());
}

TEST(SmtpTransportTest, A4yzReplyIsTemporaryAndA5yzReplyPermanent) {
  SmtpSink busy(failing(1, 451));
  SmtpSink refusing(failing(100, 554));
  ASSERT_NE(busy.port(), 0) << busy.error();
  ASSERT_NE(refusing.port(), 0) << refusing.error();
  email::SmtpTransport to_busy(sinkOptions(busy));
  email::SmtpTransport to_refusing(sinkOptions(refusing));
  const email::Envelope envelope{"noreply@auth.example.org", "bob@example.org"};

  auto first = to_busy.send(envelope, "Subject: x\r\n\r\nx\r\n");
  auto second = to_busy.send(envelope, "Subject: x\r\n\r\nx\r\n");
  auto refused = to_refusing.send(envelope, "Subject: x\r\n\r\nx\r\n");

  ASSERT_FALSE(first.has_value());
  EXPECT_FALSE(first.error().permanent);
  EXPECT_NE(first.error().message.find("451"), std::string::npos) << first.error().message;
  EXPECT_TRUE(second.has_value());
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().permanent);
  EXPECT_NE(refused.error().message.find("554"), std::string::npos) << refused.error().message;
  EXPECT_EQ(busy.messages().size(), 1u);
}

TEST(SmtpTransportTest, CheckLogsInWithoutSendingAndNamesAnUnreachableServer) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.username = kSmtpUser;
  options.password = kSmtpPassword;
  email::SmtpOptions nowhere = sinkOptions(sink);
  nowhere.port = closedSmtpPort();

  auto checked = email::SmtpTransport(options).check();
  auto unreachable = email::SmtpTransport(nowhere).check();

  EXPECT_TRUE(checked.has_value()) << checked.error().message;
  EXPECT_TRUE(sink.messages().empty());
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_NE(unreachable.error().message.find("smtp://127.0.0.1:" + std::to_string(nowhere.port)),
            std::string::npos)
      << unreachable.error().message;
  EXPECT_FALSE(unreachable.error().permanent);
}

TEST(SmtpTransportTest, StartTlsAndTlsSendOverAnEncryptedConnectionAndLogIn) {
  SmtpSink starttls(overTls("starttls", true));
  SmtpSink tls(overTls("tls", true));
  ASSERT_NE(starttls.port(), 0) << starttls.error();
  ASSERT_NE(tls.port(), 0) << tls.error();
  const auto options = [](const SmtpSink& sink, email::SmtpSecurity security) {
    email::SmtpOptions secured = sinkOptions(sink);
    secured.security = security;
    secured.username = kSmtpUser;
    secured.password = kSmtpPassword;
    secured.ca_file = sink.caFile();
    return secured;
  };
  email::SmtpTransport to_starttls(options(starttls, email::SmtpSecurity::StartTls));
  email::SmtpTransport to_tls(options(tls, email::SmtpSecurity::Tls));
  const email::Envelope envelope{"noreply@auth.example.org", "bob@example.org"};

  auto via_starttls = to_starttls.send(envelope, "Subject: x\r\n\r\nx\r\n");
  auto via_tls = to_tls.send(envelope, "Subject: x\r\n\r\nx\r\n");

  ASSERT_TRUE(via_starttls.has_value()) << via_starttls.error().message;
  ASSERT_TRUE(via_tls.has_value()) << via_tls.error().message;
  for (const SmtpSink* sink : {&starttls, &tls}) {
    const auto received = sink->messages();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0].tls);
    EXPECT_TRUE(received[0].authenticated);
  }
  EXPECT_EQ(to_tls.describe(), "smtps://127.0.0.1:" + std::to_string(tls.port()) + " (tls)");
}

TEST(SmtpTransportTest, RefusesACertificateItDoesNotTrust) {
  SmtpSink sink(overTls("tls", false));
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.security = email::SmtpSecurity::Tls;  // no ca_file: the system's CAs

  auto sent = email::SmtpTransport(options).send({"noreply@auth.example.org", "bob@example.org"},
                                                 "Subject: x\r\n\r\nx\r\n");

  ASSERT_FALSE(sent.has_value());
  EXPECT_NE(sent.error().message.find("certificate"), std::string::npos) << sent.error().message;
  EXPECT_TRUE(sink.messages().empty());
}

TEST(SmtpTransportTest, SendsCrlfLinesAndKeepsALeadingDotThroughDotStuffing) {
  SmtpSink sink;
  ASSERT_NE(sink.port(), 0) << sink.error();

  // A line that starts with a dot, a bare LF, a lone dot, no final newline.
  auto sent = email::SmtpTransport(sinkOptions(sink))
                  .send({"noreply@auth.example.org", "bob@example.org"},
                        "Subject: dots\r\n\r\n.leading dot\r\nbare LF\n.\r\nlast line");

  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].data, "Subject: dots\r\n\r\n.leading dot\r\nbare LF\r\n.\r\nlast line\r\n");
}

TEST(SmtpTransportTest, StartTlsVerifiesTheCertificateAndItsName) {
  SmtpSink sink(overTls("starttls", false));
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.security = email::SmtpSecurity::StartTls;
  options.host = "localhost";  // SNI, and the certificate's DNS name
  options.ca_file = sink.caFile();
  const email::Envelope envelope{"noreply@auth.example.org", "bob@example.org"};

  auto trusted = email::SmtpTransport(options).send(envelope, "Subject: x\r\n\r\nx\r\n");
  options.ca_file.clear();  // the system's CAs
  auto untrusted = email::SmtpTransport(options).send(envelope, "Subject: x\r\n\r\nx\r\n");
  auto unchecked = email::SmtpTransport(options).check();

  ASSERT_TRUE(trusted.has_value()) << trusted.error().message;
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_NE(untrusted.error().message.find("certificate"), std::string::npos)
      << untrusted.error().message;
  EXPECT_FALSE(untrusted.error().permanent);
  EXPECT_FALSE(unchecked.has_value());
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].tls);
}

TEST(SmtpTransportTest, RefusesToSendWhenStartTlsIsRequiredButNotOffered) {
  SmtpSink sink;  // offers no STARTTLS
  ASSERT_NE(sink.port(), 0) << sink.error();
  email::SmtpOptions options = sinkOptions(sink);
  options.security = email::SmtpSecurity::StartTls;

  auto sent = email::SmtpTransport(options).send({"noreply@auth.example.org", "bob@example.org"},
                                                 "Subject: x\r\n\r\nx\r\n");

  ASSERT_FALSE(sent.has_value());
  EXPECT_NE(sent.error().message.find("does not offer STARTTLS"), std::string::npos)
      << sent.error().message;
  EXPECT_FALSE(sent.error().permanent);
  EXPECT_TRUE(sink.messages().empty());
}

TEST(EmailQueueTest, AMessageRefusedWith451IsRetriedAfterTheBackoffAndDelivered) {
  SmtpSink sink(failing(1, 451));
  ASSERT_NE(sink.port(), 0) << sink.error();
  auto test_database = TestDatabase::create(Backend::Sqlite);
  ASSERT_TRUE(test_database.has_value()) << test_database.error();
  auto database = (*test_database)->openMigrated();
  ASSERT_TRUE(database.has_value()) << database.error();
  FakeClock clock;
  SeededRng rng(2);
  email::SmtpTransport transport(sinkOptions(sink));
  email::Mailer mailer(transport, rng, clock, testMailerOptions());
  jobs::JobRunnerOptions runner_options;
  runner_options.worker_id = "email-queue-test";
  runner_options.min_backoff = 5s;
  jobs::JobRunner runner(**database, clock, runner_options);
  email::registerEmailJobs(runner, mailer);
  domain::JobId id;
  {
    auto tx = (*database)->begin();
    ASSERT_TRUE(tx.has_value());
    auto queued = mailer.queue(**tx, codeMessage());
    ASSERT_TRUE(queued.has_value()) << queued.error().detail;
    ASSERT_TRUE((*tx)->commit().has_value());
    id = *queued;
  }
  const auto reload = [&] {
    auto tx = (*database)->begin(storage::TransactionMode::ReadOnly);
    return **(*tx)->jobs().lookup(id);
  };

  auto first_run = runner.runDueJobs();
  ASSERT_TRUE(first_run.has_value());
  EXPECT_EQ(*first_run, 1u);
  const domain::Job after_refusal = reload();
  EXPECT_EQ(after_refusal.attempts, 1);
  ASSERT_TRUE(after_refusal.last_error.has_value());
  EXPECT_NE(after_refusal.last_error->find("451"), std::string::npos) << *after_refusal.last_error;
  EXPECT_TRUE(sink.messages().empty());
  clock.advance(5s);
  auto second_run = runner.runDueJobs();
  ASSERT_TRUE(second_run.has_value());
  EXPECT_EQ(*second_run, 1u);

  EXPECT_TRUE(reload().isFinished());
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_NE(received[0].data.find("<strong>424242</strong>"), std::string::npos);
}

class EmailCommandTest : public ::testing::Test {
 protected:
  EnvVars smtpEnv(const SmtpSink& sink, const std::string& password = kSmtpPassword) {
    return {{"MXAUTH_HTTP__PUBLIC_BASE", "https://auth.example.org/"},
            {"MXAUTH_BRANDING__SERVICE_NAME", "Example Auth"},
            {"MXAUTH_EMAIL__TRANSPORT", "smtp"},
            {"MXAUTH_EMAIL__FROM", "Example Auth <noreply@auth.example.org>"},
            {"MXAUTH_EMAIL__SMTP__HOST", "127.0.0.1"},
            {"MXAUTH_EMAIL__SMTP__PORT", std::to_string(sink.port())},
            {"MXAUTH_EMAIL__SMTP__USERNAME", kSmtpUser},
            {"MXAUTH_EMAIL__SMTP__PASSWORD", password}};
  }

  TempDir dir_;
};

TEST_F(EmailCommandTest, EmailTestDeliversTheTestMessageThroughTheConfiguredServer) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();

  CommandResult result =
      runMxauth({"email", "test", "ops@example.org"}, smtpEnv(sink), dir_.path());

  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("sent a test message to ops@example.org through smtp://127.0.0.1:"),
            std::string::npos)
      << result.out;
  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].mail_from, "noreply@auth.example.org");
  EXPECT_EQ(received[0].rcpt_tos, std::vector<std::string>{"ops@example.org"});
  EXPECT_TRUE(received[0].authenticated);
  const std::string& data = received[0].data;
  EXPECT_NE(data.find("From: Example Auth <noreply@auth.example.org>\r\n"), std::string::npos)
      << data;
  EXPECT_NE(data.find("To: ops@example.org\r\n"), std::string::npos);
  EXPECT_NE(data.find("Subject: Test message from Example Auth\r\n"), std::string::npos);
  EXPECT_NE(data.find("@auth.example.org>\r\n"), std::string::npos);  // Message-ID
  EXPECT_NE(data.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos);
  EXPECT_NE(data.find("Content-Type: text/html; charset=UTF-8"), std::string::npos);
  EXPECT_NE(data.find("https://auth.example.org/"), std::string::npos);
}

TEST_F(EmailCommandTest, EmailTestWritesInTheLanguageItIsGiven) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();

  CommandResult french =
      runMxauth({"email", "test", "ops@example.org", "--lang", "fr"}, smtpEnv(sink), dir_.path());
  EXPECT_EQ(french.exit_code, 0) << french.out << french.err;
  CommandResult unknown =
      runMxauth({"email", "test", "ops@example.org", "--lang", "tlh"}, smtpEnv(sink), dir_.path());
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out << unknown.err;
  EXPECT_NE(unknown.err.find("no messages in the language \"tlh\" (known: en, fr)"),
            std::string::npos)
      << unknown.err;

  const auto received = sink.messages();
  ASSERT_EQ(received.size(), 1u);
  const std::string& data = received[0].data;
  EXPECT_NE(data.find("Subject: Message de test de Example Auth\r\n"), std::string::npos) << data;
  EXPECT_EQ(data.find("Test message"), std::string::npos) << data;
}

TEST_F(EmailCommandTest, EmailTestFailsWithTheSmtpErrorAndNeverThePassword) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();

  CommandResult result = runMxauth({"email", "test", "ops@example.org"},
                                   smtpEnv(sink, "wrong-Passw0rd-xyz"), dir_.path());

  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.err.find("the test message was not sent: smtp://127.0.0.1:"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("Login denied"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("wrong-Passw0rd-xyz"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("wrong-Passw0rd-xyz"), std::string::npos) << result.out;
  EXPECT_TRUE(sink.messages().empty());
}

TEST_F(EmailCommandTest, EmailTestRefusesSomethingThatIsNotAnAddress) {
  SmtpSink sink;
  ASSERT_NE(sink.port(), 0) << sink.error();

  CommandResult result =
      runMxauth({"email", "test", "ops@example.org\r\nBcc: x@y.org"}, smtpEnv(sink), dir_.path());

  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(sink.messages().empty());
}

TEST_F(EmailCommandTest, DoctorChecksTheSmtpServerWhenTheTransportIsSmtp) {
  SmtpSink sink(withLogin());
  ASSERT_NE(sink.port(), 0) << sink.error();

  CommandResult good = runMxauth({"doctor"}, smtpEnv(sink), dir_.path());
  CommandResult bad = runMxauth({"doctor"}, smtpEnv(sink, "wrong-Passw0rd-xyz"), dir_.path());

  // mxauth itself is not running here: the metadata check fails either way.
  EXPECT_NE(good.out.find("ok   the SMTP server of email.smtp accepts mxauth: smtp://127.0.0.1:" +
                          std::to_string(sink.port()) + " (plain), logged in as mxauth-mailer"),
            std::string::npos)
      << good.out;
  EXPECT_NE(bad.out.find("FAIL the SMTP server of email.smtp accepts mxauth: "), std::string::npos)
      << bad.out;
  EXPECT_EQ(bad.out.find("wrong-Passw0rd-xyz"), std::string::npos);
  EXPECT_TRUE(sink.messages().empty());
}

}  // namespace
}  // namespace mxauth::test
