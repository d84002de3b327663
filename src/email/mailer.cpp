#include "email/mailer.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

namespace mxauth::email {
namespace {

constexpr std::int64_t kPayloadVersion = 1;

std::string stringField(const boost::json::object& object, std::string_view name, bool& ok) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    ok = false;
    return {};
  }
  return std::string(value->as_string());
}

// The recipient's domain, for logs: enough to tell a mistyped domain from
// a server problem without writing addresses into the logs.
std::string domainOf(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

}  // namespace

std::string encodeJobPayload(const Message& message, const MessageIdentity& identity) {
  return boost::json::serialize(boost::json::object{
      {"v", kPayloadVersion},
      {"to", message.to},
      {"subject", message.subject},
      {"text", message.text},
      {"html", message.html},
      {"message_id", identity.message_id},
      {"date", toUnixMillis(identity.date)},
  });
}

Result<QueuedMessage, std::string> decodeJobPayload(std::string_view payload) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(payload, ec);
  if (ec || !value.is_object()) return unexpected(std::string("the payload is not a JSON object"));
  const boost::json::object& object = value.as_object();
  const auto* version = object.if_contains("v");
  if (version == nullptr || !version->is_int64() || version->as_int64() != kPayloadVersion) {
    return unexpected(std::string("the payload has no known version"));
  }
  const auto* date = object.if_contains("date");
  if (date == nullptr || !date->is_int64()) {
    return unexpected(std::string("the payload has no date"));
  }
  bool ok = true;
  QueuedMessage queued;
  queued.message.to = stringField(object, "to", ok);
  queued.message.subject = stringField(object, "subject", ok);
  queued.message.text = stringField(object, "text", ok);
  queued.message.html = stringField(object, "html", ok);
  queued.identity.message_id = stringField(object, "message_id", ok);
  queued.identity.date = fromUnixMillis(date->as_int64());
  if (!ok) return unexpected(std::string("the payload lacks a field of the message"));
  return queued;
}

Mailer::Mailer(Transport& transport, Rng& rng, const Clock& clock, MailerOptions options)
    : transport_(transport), rng_(rng), clock_(clock), options_(std::move(options)) {}

Result<domain::JobId, QueueError> Mailer::queue(storage::Transaction& tx, const Message& message) {
  const MessageIdentity identity = newMessageIdentity(rng_, clock_, options_.host);
  auto mime = buildMime(message, options_.from, identity);
  if (!mime) return unexpected(QueueError{QueueErrorCode::InvalidMessage, mime.error()});
  auto added =
      tx.jobs().add(rng_, clock_, kSendEmailJob, payloadFor(message, identity), clock_.now());
  if (!added) return unexpected(QueueError{QueueErrorCode::Storage, added.error().detail});
  return added->id;
}

std::string Mailer::payloadFor(const Message& message, const MessageIdentity& identity) {
  std::string plain = encodeJobPayload(message, identity);
  if (options_.payload_aead == nullptr) return plain;
  return boost::json::serialize(
      boost::json::object{{"sealed", options_.payload_aead->seal(rng_, plain, kSendEmailJob)}});
}

Result<QueuedMessage, std::string> Mailer::readPayload(std::string_view payload) const {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(payload, ec);
  const boost::json::value* sealed =
      !ec && value.is_object() ? value.as_object().if_contains("sealed") : nullptr;
  if (sealed == nullptr || !sealed->is_string()) return decodeJobPayload(payload);
  if (options_.payload_aead == nullptr) {
    return unexpected(std::string("the payload is sealed and no key is configured"));
  }
  auto opened = options_.payload_aead->open(sealed->as_string(), kSendEmailJob);
  if (!opened) {
    return unexpected(
        std::string("the sealed payload does not open (was secrets.encryption replaced?)"));
  }
  return decodeJobPayload(*opened);
}

Result<void, SendError> Mailer::sendNow(const Message& message) {
  return send(message, newMessageIdentity(rng_, clock_, options_.host));
}

Result<void, SendError> Mailer::send(const Message& message, const MessageIdentity& identity) {
  auto mime = buildMime(message, options_.from, identity);
  if (!mime) return unexpected(SendError{"cannot build the message: " + mime.error(), true});
  return transport_.send(Envelope{options_.from.address, message.to}, *mime);
}

Result<void, std::string> Mailer::runJob(const domain::Job& job) {
  auto queued = readPayload(job.payload);
  if (!queued) {
    logError("e-mail job " + job.id.str() + " dropped: " + queued.error());
    return {};
  }
  auto sent = send(queued->message, queued->identity);
  if (sent) return {};
  const int attempts = job.attempts + 1;
  if (sent.error().permanent || attempts >= options_.max_attempts) {
    logError("e-mail <" + queued->identity.message_id + "> to a recipient at " +
             domainOf(queued->message.to) + " not sent, giving up after " +
             std::to_string(attempts) + " attempt(s): " + sent.error().message);
    return {};
  }
  return unexpected(std::move(sent).error().message);
}

void Mailer::logError(std::string_view message) const {
  if (options_.log_error) options_.log_error(message);
}

void registerEmailJobs(jobs::JobRunner& runner, Mailer& mailer) {
  runner.handle(std::string(kSendEmailJob),
                [&mailer](const domain::Job& job) { return mailer.runJob(job); });
}

}  // namespace mxauth::email
