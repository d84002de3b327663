#pragma once

// Step-up authentication (issue 5): a sensitive operation on the account
// pages (password change, deactivation, cross-signing reset) needs a browser
// session that authenticated recently — less than `account.step_up.max_age`
// ago. Otherwise the operation sends the browser to GET /account/reauth
// (form#reauth), which asks for the configured stages in order
// (`account.step_up.stages`), then re-authenticates the session
// (BrowserSession::authenticated_at = now) and returns to the operation.
//
// Stages are data: each is a StepUpStage (its instructions, its inputs,
// its check), built from its name by makeStepUpStage(). The operations only
// call StepUp::require(); a new factor (TOTP, passkeys, as the e-mail code
// was) is a new StepUpStage and a name in the config, nothing else.
//
// Recent enough. A session's authenticated_at is set by the password login
// and by a completed step-up. A login proves only the stages that say
// provedByPasswordLogin(); when every configured stage does (the default,
// [password]), a recent login is enough. Otherwise only a completed step-up
// is: the progress cookie records the authenticated_at its completion set,
// and the session qualifies only while that is still its authenticated_at.
//
// Progress. Where the user is in the list lives in a cookie
// ("__Host-mxauth-step-up" / "mxauth-step-up": HttpOnly, SameSite=Strict,
// sealed with crypto::Aead, the cookie name as associated data) holding the
// browser session id, the stage list, how many stages are done, a random
// progress id, when it started and, once complete, the authenticated_at it
// set. It survives a reload; it counts only for the session it names, for
// the same stage list, and for kProgressLifetime, after which the stages
// start again. Each stage's form carries a CSRF token bound to the progress
// id and the stage's index (purpose "reauth:<id>:<index>"), and the progress
// id changes whenever a stage passes: a form of an earlier stage or an
// earlier attempt is refused (403) as stale.
//
// Limits (checklist G.45). The password stage checks the password through
// accounts::checkPassword() with the login throttle the login page and the
// legacy login API share: its guesses count per client address and per
// account with theirs, before any hashing, so step-up cannot be used to
// guess passwords faster than logging in.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "http/request.h"
#include "http/response.h"
#include "templates/pages.h"
#include "web/page_kit.h"
#include "web/session.h"

namespace mxauth::web {

// How long a started step-up may take before it starts again.
inline constexpr std::chrono::minutes kProgressLifetime{15};

// The attempt a stage is shown for or checks.
struct StageAttempt {
  const PageKit& kit;
  const http::Request& request;
  const ActiveSession& active;
  // The progress id: stable while this stage is pending, new for each
  // stage and each step-up (a stage that sends something, such as an
  // e-mail code, sends it once per progress id).
  std::string_view progress_id;
};

enum class StageResult {
  Passed,
  Failed,       // wrong input: the form again, 400, with `field_error`
  RateLimited,  // 429 with Retry-After: `retry_after`
  Overloaded,   // 503: the password hashers are busy
  Unavailable,  // 503: the database cannot be reached
  Internal,     // 500
};

struct StageOutcome {
  StageResult result = StageResult::Internal;
  std::optional<Text> field_error;  // next to the stage's first input
  Duration retry_after{0};
};

// The page for a check that could not be made (Overloaded, Unavailable,
// Internal); `what` names what was being checked ("Your password").
http::Response stageFailurePage(const PageKit& kit, const http::Request& request,
                                StageResult result, const Text& what);

// What a stage shows on form#reauth.
struct StagePrompt {
  Text lead;
  std::vector<templates::FormField> fields;
};

class StepUpStage {
 public:
  virtual ~StepUpStage() = default;
  // The name in account.step_up.stages.
  virtual std::string_view name() const = 0;
  // True when a password login proves what this stage proves.
  virtual bool provedByPasswordLogin() const = 0;
  // Called once when the stage becomes the current one (a new step-up, or
  // the stage before it passed), before it is first shown: the e-mail
  // stage sends its code here. False: the database could not be reached.
  virtual bool begin(const StageAttempt& /*attempt*/) const { return true; }
  virtual StagePrompt prompt(const StageAttempt& attempt) const = 0;
  virtual StageOutcome check(const StageAttempt& attempt, const http::FormParams& form) const = 0;
};

// The account password (field `password`), checked like a login.
class PasswordStage final : public StepUpStage {
 public:
  std::string_view name() const override { return "password"; }
  bool provedByPasswordLogin() const override { return true; }
  StagePrompt prompt(const StageAttempt& attempt) const override;
  StageOutcome check(const StageAttempt& attempt, const http::FormParams& form) const override;
};

// A 6-digit code sent to the user's first confirmed e-mail address (field
// `code`), through the durable e-mail queue (email/mailer.h). The code is
// HMAC-SHA256 of the browser session and the progress id under a key
// derived from secrets.encryption, so nothing is stored, and it is good
// for this step-up only (kProgressLifetime). Guesses count on the login
// throttle like wrong passwords. Without a confirmed address, or without a
// mailer, the stage says so and cannot pass.
class EmailCodeStage final : public StepUpStage {
 public:
  explicit EmailCodeStage(const crypto::EncryptionSecret& secret);
  std::string_view name() const override { return "email"; }
  bool provedByPasswordLogin() const override { return false; }
  bool begin(const StageAttempt& attempt) const override;
  StagePrompt prompt(const StageAttempt& attempt) const override;
  StageOutcome check(const StageAttempt& attempt, const http::FormParams& form) const override;

  // The code of this step-up (tests read it from the e-mail instead).
  std::string codeFor(const StageAttempt& attempt) const;

 private:
  crypto::Sha256Digest key_;
};

// The stage called `name`, or null when there is none of that name.
std::unique_ptr<StepUpStage> makeStepUpStage(std::string_view name,
                                             const crypto::EncryptionSecret& secret);

// The progress cookie's content (see the header comment).
struct StepUpProgress {
  domain::BrowserSessionId session;
  std::string stages;  // the stage names joined with ','
  std::string id;      // the progress id
  std::size_t done = 0;
  Timestamp started_at;
  // Set when every stage passed: the authenticated_at that set.
  std::optional<Timestamp> completed_at;
};

class StepUp {
 public:
  // Stages from `kit.settings().step_up_stages`; an unknown name makes
  // every step-up fail (closed) with a 500 page.
  explicit StepUp(const PageKit& kit);
  // With these stages, in this order, whatever the settings name (tests,
  // and stages that need collaborators the settings cannot give).
  StepUp(const PageKit& kit, std::vector<std::unique_ptr<StepUpStage>> stages);

  // The session of `request` when it may do a sensitive operation now.
  // Otherwise the response to send: to the login page (no session), to
  // /account/reauth?next=`here` (not recent enough), or an error page.
  // `here` is the operation's own local path.
  Result<ActiveSession, http::Response> require(const http::Request& request,
                                                std::string_view here) const;

  // True when `active` authenticated recently enough (see the header).
  bool isRecent(const http::Request& request, const ActiveSession& active) const;

  // GET /account/reauth?next=<local path>
  http::Response showReauth(const http::Request& request) const;
  // POST /account/reauth: csrf, next, and the current stage's inputs.
  http::Response submitReauth(const http::Request& request) const;

  const std::string& progressCookieName() const { return cookie_name_; }

 private:
  std::optional<StepUpProgress> readProgress(const http::Request& request,
                                             const ActiveSession& active) const;
  StepUpProgress startProgress(const ActiveSession& active) const;
  void writeProgress(http::Response& response, const StepUpProgress& progress) const;
  std::string stageList() const;
  http::Response misconfiguredPage(const http::Request& request) const;
  http::Response renderStage(const http::Request& request, const ActiveSession& active,
                             const StepUpProgress& progress, const std::string& next, int status,
                             std::optional<Text> error, std::optional<Text> field_error) const;

  const PageKit& kit_;
  std::vector<std::unique_ptr<StepUpStage>> stages_;
  bool misconfigured_ = false;
  bool login_suffices_ = true;
  crypto::Aead aead_;
  std::string cookie_name_;
};

}  // namespace mxauth::web
