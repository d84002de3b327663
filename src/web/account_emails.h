#pragma once

// The e-mail addresses page (issue 5; interface.md §5: form#email-add with
// `email`, form#email-verify with `code`), under account.email_change.
//
//   GET  /account/emails            the user's addresses (verified or not,
//                                   the primary one marked) and form#email-add
//   POST /account/emails            add (step-up): stores the address
//                                   unverified and e-mails a 6-digit code
//                                   (303 to the verify page)
//   GET  /account/emails/verify?id= form#email-verify and form#email-resend
//   POST /account/emails/verify     the code: the address becomes verified
//                                   (and primary when the user had none)
//   POST /account/emails/resend     a new code (the old one stops working)
//   POST /account/emails/primary    make a verified address the primary one
//   POST /account/emails/remove     remove an address (step-up); the primary
//                                   one only when no other verified address
//                                   is left to take its place
//
// Codes. Six random digits from the Rng, stored as HMAC-SHA256 under a key
// derived from secrets.encryption (with the address id), valid
// kEmailCodeLifetime, kMaxCodeAttempts guesses each (counted by a
// conditional write, storage/user_email_code_repository.h), consumed once.
// At most kMaxCodesPerHour codes are sent per user per hour, counted in the
// database so that several processes share the limit. The message is
// queued in the transaction that stores the code (design §5).
//
// Enumeration. Adding an address that another account has verified looks
// exactly like adding a new one: the code goes to that mailbox. Only the
// person who then enters the code — who controls the mailbox — learns that
// the address is in use by another account, and the address stays
// unverified on this one.
//
// Effects. Each change (add, verify, primary, remove) is audit-logged
// ("account.email_add", "account.email_verify", "account.email_primary",
// "account.email_remove") in its transaction; when the set of verified
// addresses changes, homeserver.provision_user is queued, which sends the
// homeserver the verified addresses (set_emails / unset_emails of
// provision_user, spec-digest §5.5).
//
// With account.email_change false the page only lists the addresses and
// every POST answers 403.

#include <chrono>
#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"
#include "web/step_up.h"

namespace mxauth::web {

inline constexpr std::string_view kEmailsPath = "/account/emails";
inline constexpr std::string_view kEmailVerifyPath = "/account/emails/verify";
inline constexpr std::string_view kEmailResendPath = "/account/emails/resend";
inline constexpr std::string_view kEmailPrimaryPath = "/account/emails/primary";
inline constexpr std::string_view kEmailRemovePath = "/account/emails/remove";

inline constexpr std::chrono::minutes kEmailCodeLifetime{10};
inline constexpr int kMaxCodeAttempts = 5;
inline constexpr int kMaxCodesPerHour = 5;
// Addresses (verified or not) one account may hold.
inline constexpr std::size_t kMaxEmailsPerUser = 10;

inline constexpr std::string_view kAuditEmailAdd = "account.email_add";
inline constexpr std::string_view kAuditEmailVerify = "account.email_verify";
inline constexpr std::string_view kAuditEmailPrimary = "account.email_primary";
inline constexpr std::string_view kAuditEmailRemove = "account.email_remove";

// The code machinery, shared with the e-mail verification of registration
// (web/account_pages.h):
// Six random digits, uniform, leading zeros kept.
std::string newEmailCode(Rng& rng);
// The digits of a typed code ("123 456" and "123-456" are fine).
std::string typedEmailCode(std::string_view input);
// The key codes are stored under (derived from secrets.encryption).
crypto::Sha256Digest emailCodeKey(const WebContext& context);
// The stored form of `code`: HMAC-SHA256 under `key` of `binding` (what the
// code verifies: an address id, a pending registration) and the code.
std::string emailCodeHash(const crypto::Sha256Digest& key, std::string_view binding,
                          std::string_view code);
// Queues templates::VerificationCodeEmail with `code` to `address` in `tx`,
// written in `language` (that of the page that asked for the code); false
// when there is no mailer or it cannot be queued.
bool queueEmailCode(storage::Transaction& tx, WebContext& context, std::string_view address,
                    std::string_view code, std::string_view language);
// The JSON string of an address, for audit details.
std::string emailJsonString(std::string_view text);

class AccountEmailPages {
 public:
  AccountEmailPages(const PageKit& kit, const StepUp& step_up);

  http::Response showEmails(const http::Request& request) const;
  http::Response submitAdd(const http::Request& request) const;
  http::Response showVerify(const http::Request& request) const;
  http::Response submitVerify(const http::Request& request) const;
  http::Response submitResend(const http::Request& request) const;
  http::Response submitPrimary(const http::Request& request) const;
  http::Response submitRemove(const http::Request& request) const;

  // The stored form of `code` for the address `email_id`.
  std::string codeHash(std::string_view email_id, std::string_view code) const;

 private:
  Result<ActiveSession, http::Response> signedIn(const http::Request& request) const;
  http::Response renderList(const http::Request& request, const ActiveSession& active, int status,
                            templates::EmailsPage page) const;
  http::Response renderVerify(const http::Request& request, const ActiveSession& active, int status,
                              templates::EmailVerifyPage page) const;
  http::Response refused(const http::Request& request) const;

  const PageKit& kit_;
  const StepUp& step_up_;
  crypto::Sha256Digest code_key_;
};

}  // namespace mxauth::web
