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
  listed.notice = Text("emails.verified");
  listed.email = "new@example.org";
  listed.email_error = Text("form.email_invalid");

  EmailsPage read_only = listed;
  read_only.editable = false;
  read_only.email_error.reset();
  read_only.error = Text("emails.change_disabled_here");
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
  wrong.code_error = Text("form.wrong_code");
  wrong.notice = Text("emails.code_resent");
  wrong.error = Text("emails.code_too_many_wrong");
  return {page, wrong};
}

std::vector<RecoverPage> RecoverPage::samples() {
  RecoverPage page;
  page.csrf_token = "sample-recover";
  RecoverPage invalid = page;
  invalid.email = "not an address";
  invalid.email_error = Text("form.email_invalid");
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
  invalid.new_password_error = Text("password.too_short", {{"count", "8"}});
  invalid.new_password_confirm_error = Text("form.passwords_mismatch");
  invalid.error = Text("form.passwords_mismatch");
  return {page, invalid};
}

}  // namespace mxauth::templates
