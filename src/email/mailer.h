#pragma once

// Sending e-mail without holding up a page (design §5): a page queues its
// message in the durable job queue inside the transaction of the change
// behind it (a verification code, a recovery link), and the JobRunner
// sends it afterwards, retrying with its backoff while the SMTP server is
// down or answers 4yz.
//
//   email.send  {"v":1,"to","subject","text","html","message_id","date"}
//               one message; message_id and date are fixed when it is
//               queued, so that every attempt sends the same bytes. With
//               MailerOptions::payload_aead (the service sets it), the
//               payload is {"sealed": AES-256-GCM of that JSON}: codes and
//               recovery links are secrets, and finished jobs stay in the
//               jobs table (design §7: secrets at rest are encrypted).
//
// A message is given up, with an error log line, after a permanent refusal
// (5yz), after MailerOptions::max_attempts failed attempts (8: with the
// runner's backoff of 5 s doubling, about 21 minutes, past the validity of
// any code or link we send), or when its payload cannot be read.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "domain/job.h"
#include "email/message.h"
#include "email/transport.h"
#include "jobs/job_runner.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::email {

inline constexpr std::string_view kSendEmailJob = "email.send";
inline constexpr int kDefaultMaxAttempts = 8;

struct MailerOptions {
  Mailbox from;  // email.from
  // The host of http.public_base: the right side of Message-IDs.
  std::string host = "localhost";
  int max_attempts = kDefaultMaxAttempts;
  // Seals job payloads (associated data: the job kind); nullptr: plain JSON.
  const crypto::Aead* payload_aead = nullptr;
  // A message given up (error level); never given a body or a password.
  std::function<void(std::string_view message)> log_error;
};

enum class QueueErrorCode {
  InvalidMessage,  // buildMime() refused it (a CR/LF in the subject, a bad address)
  Storage,         // the job could not be added
};

struct QueueError {
  QueueErrorCode code = QueueErrorCode::Storage;
  std::string detail;
};

// The message a job payload carries, and back; empty when the payload is
// not one (for tests and the job handler).
std::string encodeJobPayload(const Message& message, const MessageIdentity& identity);
struct QueuedMessage {
  Message message;
  MessageIdentity identity;
};
Result<QueuedMessage, std::string> decodeJobPayload(std::string_view payload);

class Mailer {
 public:
  Mailer(Transport& transport, Rng& rng, const Clock& clock, MailerOptions options);

  // Checks `message` (as buildMime() would) and adds an email.send job in
  // `tx`: the message is sent only if the caller commits. Thread-safe.
  Result<domain::JobId, QueueError> queue(storage::Transaction& tx, const Message& message);

  // Builds and sends `message` at once, without the queue (`mxauth email
  // test`). Blocks for the transport's timeouts at most.
  Result<void, SendError> sendNow(const Message& message);

  // The email.send handler: sends the job's message; an error asks the
  // runner to retry; giving up (see above) logs and reports success, so
  // that the job is finished.
  Result<void, std::string> runJob(const domain::Job& job);

  const MailerOptions& options() const { return options_; }

 private:
  Result<void, SendError> send(const Message& message, const MessageIdentity& identity);
  std::string payloadFor(const Message& message, const MessageIdentity& identity);
  Result<QueuedMessage, std::string> readPayload(std::string_view payload) const;
  void logError(std::string_view message) const;

  Transport& transport_;
  Rng& rng_;
  const Clock& clock_;
  MailerOptions options_;
};

// Registers the email.send handler on `runner`; `mailer` must outlive it.
void registerEmailJobs(jobs::JobRunner& runner, Mailer& mailer);

}  // namespace mxauth::email
