#include "email/mailer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "storage/testing/conformance.h"

namespace mxauth::email {
namespace {

using namespace std::chrono_literals;

// A transport that records what it is given and fails as told.
class ScriptedTransport final : public Transport {
 public:
  Result<void, SendError> send(const Envelope& envelope, std::string_view mime) override {
    attempts.push_back(Sent{envelope, std::string(mime)});
    if (failures.empty()) return {};
    SendError error = failures.front();
    failures.pop_front();
    return unexpected(std::move(error));
  }
  Result<void, SendError> check() override { return {}; }
  std::string describe() const override { return "scripted"; }

  struct Sent {
    Envelope envelope;
    std::string mime;
  };
  std::vector<Sent> attempts;
  std::deque<SendError> failures;
};

Message sampleMessage() {
  return Message{"carol@example.org", "Ihr Bestätigungscode: 271828", "Ihr Code: 271828\n",
                 "<!DOCTYPE html><p>Ihr Code: <b>271828</b></p>"};
}

TEST(EmailJobPayloadTest, RoundTripsTheMessageAndItsIdentity) {
  const Message message = sampleMessage();
  const MessageIdentity identity{"01JZ8Q3V4M6S9W2Y5B7C0D1E3F@auth.example.org",
                                 test::at("2026-05-06T07:08:09Z")};

  auto decoded = decodeJobPayload(encodeJobPayload(message, identity));

  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->message, message);
  EXPECT_EQ(decoded->identity.message_id, identity.message_id);
  EXPECT_EQ(decoded->identity.date, identity.date);
}

TEST(EmailJobPayloadTest, RefusesPayloadsThatAreNotAMessage) {
  EXPECT_FALSE(decodeJobPayload("").has_value());
  EXPECT_FALSE(decodeJobPayload("[]").has_value());
  EXPECT_FALSE(decodeJobPayload(R"({"v":2,"to":"a@b.org"})").has_value());
  EXPECT_FALSE(decodeJobPayload(R"({"v":1,"to":"a@b.org","date":0})").has_value());
  EXPECT_FALSE(
      decodeJobPayload(
          R"({"v":1,"to":"a@b.org","subject":"s","text":"t","html":1,"message_id":"x@y","date":0})")
          .has_value());
}

class MailerTest : public test::MigratedDatabaseTest {
 protected:
  MailerOptions mailerOptions() {
    MailerOptions options;
    options.from = Mailbox{"mxauth", "noreply@auth.example.org"};
    options.host = "auth.example.org";
    options.max_attempts = 4;
    options.log_error = [this](std::string_view line) { errors_.emplace_back(line); };
    return options;
  }

  jobs::JobRunnerOptions runnerOptions() {
    jobs::JobRunnerOptions options;
    options.worker_id = "mailer-test";
    options.min_backoff = 5s;
    return options;
  }

  domain::JobId queueCommitted(Mailer& mailer, const Message& message) {
    auto tx = begin();
    auto queued = mailer.queue(*tx, message);
    EXPECT_TRUE(queued.has_value()) << (queued ? "" : queued.error().detail);
    EXPECT_TRUE(tx->commit().has_value());
    return *queued;
  }

  domain::Job reload(const domain::JobId& id) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->jobs().lookup(id);
    EXPECT_TRUE(found && found->has_value());
    return **found;
  }

  std::size_t ran(jobs::JobRunner& runner) {
    auto count = runner.runDueJobs();
    EXPECT_TRUE(count.has_value());
    return count ? *count : 0;
  }

  ScriptedTransport transport_;
  std::vector<std::string> errors_;
};

TEST_P(MailerTest, AQueuedMessageIsSentByTheRunnerFromTheConfiguredSender) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);
  const domain::JobId id = queueCommitted(mailer, sampleMessage());

  EXPECT_TRUE(transport_.attempts.empty());  // nothing is sent while queueing
  EXPECT_EQ(ran(runner), 1u);

  ASSERT_EQ(transport_.attempts.size(), 1u);
  EXPECT_EQ(transport_.attempts[0].envelope.from, "noreply@auth.example.org");
  EXPECT_EQ(transport_.attempts[0].envelope.to, "carol@example.org");
  EXPECT_NE(transport_.attempts[0].mime.find("To: carol@example.org\r\n"), std::string::npos);
  EXPECT_NE(transport_.attempts[0].mime.find("@auth.example.org>\r\n"), std::string::npos);
  EXPECT_TRUE(reload(id).isFinished());
  EXPECT_TRUE(errors_.empty());
}

TEST_P(MailerTest, NothingIsSentWhenTheCallersTransactionRollsBack) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);
  {
    auto tx = begin();
    ASSERT_TRUE(mailer.queue(*tx, sampleMessage()).has_value());
  }

  EXPECT_EQ(ran(runner), 0u);
  EXPECT_TRUE(transport_.attempts.empty());
}

TEST_P(MailerTest, RefusesToQueueAMessageWithAHeaderInjection) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  Message injected = sampleMessage();
  injected.subject = "Code\r\nBcc: eve@example.net";

  auto tx = begin();
  auto queued = mailer.queue(*tx, injected);

  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().code, QueueErrorCode::InvalidMessage);
  auto unfinished = tx->jobs().countUnfinished();
  ASSERT_TRUE(unfinished.has_value());
  EXPECT_EQ(*unfinished, 0);
}

TEST_P(MailerTest, ATemporaryFailureIsRetriedAfterTheBackoffWithTheSameBytes) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);
  transport_.failures.push_back(SendError{"smtp://127.0.0.1:25: 451 try later", false});
  const domain::JobId id = queueCommitted(mailer, sampleMessage());

  EXPECT_EQ(ran(runner), 1u);
  const domain::Job failed = reload(id);
  EXPECT_FALSE(failed.isFinished());
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.last_error, "smtp://127.0.0.1:25: 451 try later");
  EXPECT_EQ(ran(runner), 0u);  // not before the backoff
  clock_.advance(5s);
  EXPECT_EQ(ran(runner), 1u);

  ASSERT_EQ(transport_.attempts.size(), 2u);
  EXPECT_EQ(transport_.attempts[0].mime, transport_.attempts[1].mime);
  EXPECT_TRUE(reload(id).isFinished());
  EXPECT_TRUE(errors_.empty());
}

TEST_P(MailerTest, GivesUpWithAnErrorLineAfterTheLastAttempt) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);
  for (int i = 0; i < 10; ++i) {
    transport_.failures.push_back(SendError{"smtp://127.0.0.1:25: connection refused", false});
  }
  const domain::JobId id = queueCommitted(mailer, sampleMessage());

  for (int attempt = 1; attempt <= 4; ++attempt) {
    EXPECT_EQ(ran(runner), 1u) << "attempt " << attempt;
    clock_.advance(1h);
  }
  EXPECT_EQ(ran(runner), 0u);

  EXPECT_EQ(transport_.attempts.size(), 4u);
  EXPECT_TRUE(reload(id).isFinished());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(
      errors_[0].find("giving up after 4 attempt(s): smtp://127.0.0.1:25: connection refused"),
      std::string::npos)
      << errors_[0];
  EXPECT_NE(errors_[0].find("a recipient at example.org"), std::string::npos) << errors_[0];
  EXPECT_EQ(errors_[0].find("carol@"), std::string::npos) << errors_[0];
}

TEST_P(MailerTest, APermanentRefusalIsNotRetried) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);
  transport_.failures.push_back(SendError{"RCPT failed: 550 (SMTP reply 550)", true});
  const domain::JobId id = queueCommitted(mailer, sampleMessage());

  EXPECT_EQ(ran(runner), 1u);
  clock_.advance(1h);
  EXPECT_EQ(ran(runner), 0u);

  EXPECT_EQ(transport_.attempts.size(), 1u);
  EXPECT_TRUE(reload(id).isFinished());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("giving up after 1 attempt(s)"), std::string::npos) << errors_[0];
}

TEST_P(MailerTest, AnUnreadablePayloadIsDroppedWithAnErrorLine) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);
  domain::JobId id;
  {
    auto tx = begin();
    auto job = tx->jobs().add(rng_, clock_, kSendEmailJob, "{\"v\":99}", clock_.now());
    ASSERT_TRUE(job.has_value());
    ASSERT_TRUE(tx->commit().has_value());
    id = job->id;
  }

  EXPECT_EQ(ran(runner), 1u);

  EXPECT_TRUE(transport_.attempts.empty());
  EXPECT_TRUE(reload(id).isFinished());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("dropped"), std::string::npos);
}

TEST_P(MailerTest, ASealedPayloadHidesTheMessageAndStillSends) {
  const crypto::Aead aead(crypto::EncryptionSecret{1, 2, 3});
  MailerOptions options = mailerOptions();
  options.payload_aead = &aead;
  Mailer mailer(transport_, rng_, clock_, options);
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, mailer);

  const domain::JobId id = queueCommitted(mailer, sampleMessage());
  const std::string stored = reload(id).payload;
  EXPECT_EQ(ran(runner), 1u);

  EXPECT_EQ(stored.find("271828"), std::string::npos) << stored;
  EXPECT_EQ(stored.find("carol"), std::string::npos) << stored;
  EXPECT_NE(stored.find("\"sealed\""), std::string::npos) << stored;
  ASSERT_EQ(transport_.attempts.size(), 1u);
  EXPECT_NE(transport_.attempts[0].mime.find("271828"), std::string::npos);
  EXPECT_TRUE(errors_.empty());
}

TEST_P(MailerTest, APayloadSealedUnderAnotherKeyIsDroppedWithAnErrorLine) {
  const crypto::Aead old_key(crypto::EncryptionSecret{1});
  const crypto::Aead new_key(crypto::EncryptionSecret{2});
  MailerOptions old_options = mailerOptions();
  old_options.payload_aead = &old_key;
  MailerOptions new_options = mailerOptions();
  new_options.payload_aead = &new_key;
  Mailer queueing(transport_, rng_, clock_, old_options);
  Mailer sending(transport_, rng_, clock_, new_options);
  jobs::JobRunner runner(*database_, clock_, runnerOptions());
  registerEmailJobs(runner, sending);

  const domain::JobId id = queueCommitted(queueing, sampleMessage());
  EXPECT_EQ(ran(runner), 1u);

  EXPECT_TRUE(transport_.attempts.empty());
  EXPECT_TRUE(reload(id).isFinished());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("does not open"), std::string::npos) << errors_[0];
}

TEST_P(MailerTest, SendNowSendsAtOnceAndReportsTheTransportsError) {
  Mailer mailer(transport_, rng_, clock_, mailerOptions());
  transport_.failures.push_back(SendError{"smtp://127.0.0.1:25: Login denied", false});

  auto first = mailer.sendNow(sampleMessage());
  auto second = mailer.sendNow(sampleMessage());

  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().message, "smtp://127.0.0.1:25: Login denied");
  EXPECT_TRUE(second.has_value());
  EXPECT_EQ(transport_.attempts.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MailerTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, MailerTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::email
