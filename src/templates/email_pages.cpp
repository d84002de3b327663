#include "templates/email_pages.h"

namespace mxauth::templates {

std::vector<EmailsPage> EmailsPage::samples() {
  EmailsPage empty;
  empty.user_id = "@alice:example.com";
  empty.add_csrf_token = "sample-add";
  empty.primary_csrf_token = "sample-primary";
  empty.remove_csrf_token = "sample-remove";

  EmailsPage listed = empty;
  listed.emails = {EmailEntry{"01J0000000000000000000000A", "alice@example.org", true, true, ""},
                   EmailEntry{"01J0000000000000000000000B", "work@example.org", true, false, ""},
                   EmailEntry{"01J0000000000000000000000C", "<script>@example.org", false, false,
                              "/account/emails/verify?id=01J0000000000000000000000C"}};
  listed.notice = "Your address has been verified.";
  listed.email = "new@example.org";
  listed.email_error = "Enter a valid e-mail address";

  EmailsPage read_only = listed;
  read_only.editable = false;
  read_only.email_error.reset();
  read_only.error = "This server does not allow changing e-mail addresses.";
  return {empty, listed, read_only};
}

std::vector<EmailVerifyPage> EmailVerifyPage::samples() {
  EmailVerifyPage page;
  page.user_id = "@alice:example.com";
  page.email_id = "01J0000000000000000000000C";
  page.address = "alice@example.org";
  page.csrf_token = "sample-verify";
  page.resend_csrf_token = "sample-resend";
  EmailVerifyPage wrong = page;
  wrong.code_error = "Wrong code";
  wrong.notice = "We sent a new code.";
  wrong.error = "Too many attempts.";
  return {page, wrong};
}

std::vector<RecoverPage> RecoverPage::samples() {
  RecoverPage page;
  page.csrf_token = "sample-recover";
  RecoverPage invalid = page;
  invalid.email = "not an address";
  invalid.email_error = "Enter a valid e-mail address";
  RecoverPage sent = page;
  sent.email = "alice@example.org";
  sent.sent = true;
  return {page, invalid, sent};
}

std::vector<RecoverPasswordPage> RecoverPasswordPage::samples() {
  RecoverPasswordPage page;
  page.csrf_token = "sample-recover-password";
  page.token = "sample-token";
  page.user_id = "@alice:example.com";
  RecoverPasswordPage invalid = page;
  invalid.new_password_error = "Use at least 8 characters";
  invalid.new_password_confirm_error = "The passwords do not match";
  invalid.error = "Please correct the errors below";
  return {page, invalid};
}

}  // namespace mxauth::templates
