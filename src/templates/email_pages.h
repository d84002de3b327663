#pragma once

// The pages of the e-mail addresses and of password recovery (issue 5;
// interface.md §5): typed contexts like those of templates/pages.h, kept in
// their own header. Every string is text; the templates escape it.

#include <optional>
#include <string>
#include <vector>

#include "templates/pages.h"

namespace mxauth::templates {

// One address on the e-mail page.
struct EmailEntry {
  std::string id;  // the UserEmailId, posted back as `email_id`
  std::string address;
  bool confirmed = false;
  bool primary = false;
  std::string verify_href;  // pending: where to enter the code; else empty
};

// GET /account/emails: the user's addresses and form#email-add (`email`).
// Each confirmed, non-primary address has a "make primary" form
// (form.email-primary); each address a remove form (form.email-remove).
// With `editable` false (account.email_change: false) the list only.
struct EmailsPage {
  Layout layout;
  std::string user_id;
  std::vector<EmailEntry> emails;
  bool editable = true;
  std::string add_csrf_token;
  std::string primary_csrf_token;
  std::string remove_csrf_token;
  std::string email;  // form#email-add pre-filled
  std::optional<Text> email_error;
  std::optional<Text> notice;
  std::optional<Text> error;

  static std::vector<EmailsPage> samples();
};

// GET /account/emails/verify?id=: form#email-verify (`code`, hidden
// `email_id`) and a form that sends a new code (form#email-resend).
struct EmailVerifyPage {
  Layout layout;
  std::string user_id;
  std::string email_id;
  std::string address;
  std::string csrf_token;
  std::string resend_csrf_token;
  int valid_minutes = 10;
  std::optional<Text> code_error;
  std::optional<Text> notice;
  std::optional<Text> error;

  static std::vector<EmailVerifyPage> samples();
};

// GET /recover: form#recover (`email`); after a POST, the same answer
// whatever the address (`sent`).
struct RecoverPage {
  Layout layout;
  std::string csrf_token;
  std::string email;
  bool sent = false;
  int valid_minutes = 10;
  std::optional<Text> email_error;
  std::optional<Text> error;

  static std::vector<RecoverPage> samples();
};

// GET /recover/password?token=: form#recover-password (`new_password`,
// `new_password_confirm`, hidden `token`).
struct RecoverPasswordPage {
  Layout layout;
  std::string csrf_token;
  std::string token;
  std::string user_id;
  std::optional<Text> new_password_error;
  std::optional<Text> new_password_confirm_error;
  std::optional<Text> error;

  static std::vector<RecoverPasswordPage> samples();
};

}  // namespace mxauth::templates
