#include "templates/templates.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "i18n/catalogue.h"
#include "templates/embedded.h"
#include "templates/engine.h"
#include "templates/html_check.h"
#include "templates/translation.h"

namespace mxauth::templates {
namespace {

constexpr std::string_view kPagePrefix = "pages/";
constexpr std::string_view kComponentPrefix = "components/";
constexpr std::string_view kExtension = ".mustache";
constexpr int kMaxPartialDepth = 8;

// Every page a Templates object must have, by file stem.
constexpr std::array<std::string_view, 22> kRequiredPages = {
    "login",           "register",    "consent",
    "error",           "logout",      "signed_in",
    "form_post",       "signed_out",  "reauth",
    "password_change", "deactivate",  "cross_signing_reset",
    "notice",          "profile",     "sessions",
    "session",         "session_end", "emails",
    "email_verify",    "recover",     "recover_password",
    "register_verify"};

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// FNV-1a, 64 bits: a cache-busting version for asset URLs, not a security
// feature.
std::string contentVersion(std::string_view body) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : body) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(buffer, 12);
}

std::string contentTypeFor(std::string_view name) {
  if (endsWith(name, ".css")) return "text/css; charset=utf-8";
  if (endsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (endsWith(name, ".svg")) return "image/svg+xml";
  if (endsWith(name, ".png")) return "image/png";
  return "application/octet-stream";
}

using Components = std::map<std::string, std::string_view, std::less<>>;

// Replaces every {{> name}} with components/<name>.mustache, recursively.
Result<std::string, TemplateError> expandPartials(std::string_view text, const Components& parts,
                                                  std::string_view file, int depth) {
  if (depth > kMaxPartialDepth) {
    return unexpected(TemplateError{std::string(file) + ": partials nested too deeply"});
  }
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("{{>", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open);
    if (close == std::string_view::npos) {
      return unexpected(TemplateError{std::string(file) + ": unterminated partial tag"});
    }
    out.append(text.substr(pos, open - pos));
    const std::string_view name = trim(text.substr(open + 3, close - open - 3));
    const auto part = parts.find(name);
    if (part == parts.end()) {
      return unexpected(
          TemplateError{std::string(file) + ": unknown partial \"" + std::string(name) + "\""});
    }
    auto expanded = expandPartials(part->second, parts, part->first, depth + 1);
    if (!expanded) return unexpected(expanded.error());
    // A partial's own trailing newline would leave a blank line per use.
    std::string_view body = *expanded;
    if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
    out.append(body);
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

Value layoutData(const Layout& layout, const std::string& stylesheet_href) {
  Value data;
  data.set("service_name", layout.service_name);
  data.set("lang", layout.lang.empty() ? std::string("en") : layout.lang);
  data.set("stylesheet_href", stylesheet_href);
  return data;
}

void setOptional(Value& data, const std::string& name, const std::optional<std::string>& value) {
  if (value && !value->empty()) data.set(name, *value);
}

// Writes the messages of a page in its language.
class Translator {
 public:
  Translator(const i18n::Catalogue& catalogue, std::string_view language)
      : catalogue_(catalogue), language_(language) {}

  std::string operator()(const Text& text) const { return catalogue_.translate(language_, text); }
  std::optional<std::string> operator()(const std::optional<Text>& text) const {
    if (!text || text->empty()) return std::nullopt;
    return catalogue_.translate(language_, *text);
  }
  std::string operator()(std::string_view key, const i18n::Args& args = {}) const {
    return catalogue_.translate(language_, key, args);
  }
  void set(Value& data, const std::string& name, const std::optional<Text>& text) const {
    if (text && !text->empty()) data.set(name, (*this)(*text));
  }

 private:
  const i18n::Catalogue& catalogue_;
  std::string_view language_;
};

// One labelled input of a form, as components/field.mustache draws it.
struct FieldSpec {
  FieldSpec(std::string name_in, std::string label_in, std::string type_in,
            std::string autocomplete_in)
      : name(std::move(name_in)),
        label(std::move(label_in)),
        type(std::move(type_in)),
        autocomplete(std::move(autocomplete_in)) {}

  std::string name;
  std::string label;
  std::string type;
  std::string autocomplete;
  std::string value;
  std::optional<std::string> error;
  std::optional<std::string> hint;
  bool required = true;
  bool plain_text = false;  // no auto-capitalisation or spell checking
};

// Every key the field partial reads is set, to false when absent: mustache
// looks a missing name up in the enclosing contexts, so an unset "error"
// here would show the page's own error under every field.
Value fieldData(const FieldSpec& field) {
  const auto text = [](const std::optional<std::string>& value) {
    return value && !value->empty() ? Value(*value) : Value(false);
  };
  Value data;
  data.set("name", field.name);
  data.set("label", field.label);
  data.set("type", field.type);
  data.set("autocomplete", field.autocomplete);
  data.set("required", field.required);
  data.set("plain_text", field.plain_text);
  data.set("value", text(field.value));
  data.set("error", text(field.error));
  data.set("hint", text(field.hint));
  std::string described_by;
  if (field.hint && !field.hint->empty()) described_by = field.name + "-hint";
  if (field.error && !field.error->empty()) {
    if (!described_by.empty()) described_by += ' ';
    described_by += field.name + "-error";
  }
  data.set("describedby", text(described_by));
  return data;
}

}  // namespace

struct Templates::State {
  using Pages = std::map<std::string, Template, std::less<>>;
  i18n::Catalogue catalogue;
  // One compiled set per language of the catalogue.
  std::map<std::string, Pages, std::less<>> languages;
  std::vector<StaticAsset> assets;
  std::string stylesheet_href;
  std::string form_post_script_href;

  // The language a page is rendered in: its layout's, when the catalogue
  // has it, else English.
  std::string_view languageOf(const Layout& layout) const {
    return catalogue.supports(layout.lang) ? std::string_view(layout.lang) : i18n::kDefaultLanguage;
  }

  Translator translator(const Layout& layout) const {
    return Translator(catalogue, languageOf(layout));
  }

  std::string render(const Layout& layout, std::string_view page, const Value& data) const {
    const auto language = languages.find(languageOf(layout));
    if (language == languages.end()) return {};  // load() guarantees English
    const auto found = language->second.find(page);
    if (found == language->second.end()) return {};  // load() guarantees every page exists
    return found->second.render(data);
  }

  Value base(const Layout& layout, const Text& title) const {
    Layout effective = layout;
    effective.lang = std::string(languageOf(layout));
    Value data;
    data.set("layout", layoutData(effective, stylesheet_href));
    data.set("title", translator(layout)(title));
    return data;
  }
};

Templates::Templates(std::unique_ptr<State> state) : state_(std::move(state)) {}
Templates::Templates(Templates&&) noexcept = default;
Templates& Templates::operator=(Templates&&) noexcept = default;
Templates::~Templates() = default;

Result<Templates, TemplateError> Templates::load() {
  return loadFrom(embeddedTemplateFiles(), embeddedStaticFiles());
}

Result<Templates, TemplateError> Templates::loadFrom(std::span<const core::EmbeddedFile> templates,
                                                     std::span<const core::EmbeddedFile> assets) {
  auto catalogue = i18n::Catalogue::load();
  if (!catalogue) return unexpected(TemplateError{catalogue.error()});
  return loadFrom(templates, assets, std::move(catalogue).value());
}

Result<Templates, TemplateError> Templates::loadFrom(std::span<const core::EmbeddedFile> templates,
                                                     std::span<const core::EmbeddedFile> assets,
                                                     i18n::Catalogue catalogue) {
  auto state = std::make_unique<State>();
  state->catalogue = std::move(catalogue);
  for (const core::EmbeddedFile& file : assets) {
    StaticAsset asset;
    asset.path = "/assets/" + std::string(file.name);
    asset.content_type = contentTypeFor(file.name);
    asset.body = file.contents;
    asset.href = asset.path + "?v=" + contentVersion(file.contents);
    if (file.name == "mxauth.css") state->stylesheet_href = asset.href;
    if (file.name == "form_post.js") state->form_post_script_href = asset.href;
    state->assets.push_back(std::move(asset));
  }
  if (state->stylesheet_href.empty() || state->form_post_script_href.empty()) {
    return unexpected(TemplateError{"static assets mxauth.css and form_post.js are required"});
  }

  Components components;
  for (const core::EmbeddedFile& file : templates) {
    if (startsWith(file.name, kComponentPrefix) && endsWith(file.name, kExtension)) {
      const std::string_view stem = file.name.substr(
          kComponentPrefix.size(), file.name.size() - kComponentPrefix.size() - kExtension.size());
      components.emplace(std::string(stem), file.contents);
    }
  }
  for (const core::EmbeddedFile& file : templates) {
    if (file.contents.find("{{{") != std::string_view::npos ||
        file.contents.find("{{&") != std::string_view::npos ||
        file.contents.find("{{=") != std::string_view::npos) {
      return unexpected(TemplateError{std::string(file.name) +
                                      ": unescaped output and delimiter changes are not allowed"});
    }
  }
  for (const core::EmbeddedFile& file : templates) {
    if (!startsWith(file.name, kPagePrefix) || !endsWith(file.name, kExtension)) continue;
    const std::string_view stem = file.name.substr(
        kPagePrefix.size(), file.name.size() - kPagePrefix.size() - kExtension.size());
    auto expanded = expandPartials(file.contents, components, file.name, 0);
    if (!expanded) return unexpected(expanded.error());
    for (const std::string& language : state->catalogue.languages()) {
      auto translated =
          translateTemplate(*expanded, state->catalogue, language, file.name, TemplateKind::Html);
      if (!translated) return unexpected(TemplateError{translated.error()});
      auto tmpl = Template::compile(std::move(*translated));
      if (!tmpl) {
        return unexpected(
            TemplateError{std::string(file.name) + " (" + language + "): " + tmpl.error()});
      }
      state->languages[language].emplace(std::string(stem), std::move(*tmpl));
    }
  }
  for (const std::string_view required : kRequiredPages) {
    if (!state->languages[std::string(i18n::kDefaultLanguage)].contains(required)) {
      return unexpected(TemplateError{"missing page template pages/" + std::string(required) +
                                      std::string(kExtension)});
    }
  }
  return Templates(std::move(state));
}

const std::vector<StaticAsset>& Templates::assets() const { return state_->assets; }

const i18n::Catalogue& Templates::catalogue() const { return state_->catalogue; }

const StaticAsset* Templates::asset(std::string_view path) const {
  for (const StaticAsset& asset : state_->assets) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

std::string Templates::render(const LoginPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("login.title"));
  data.set("csrf_token", page.csrf_token);
  setOptional(data, "next", page.next);
  tr.set(data, "notice", page.notice);
  tr.set(data, "error", page.error);
  setOptional(data, "register_href", page.register_href);
  setOptional(data, "recover_href", page.recover_href);
  FieldSpec username("username", tr("field.username_or_email"), "text", "username");
  username.value = page.username;
  username.error = tr(page.username_error);
  username.plain_text = true;
  data.set("username_field", fieldData(username));
  FieldSpec password("password", tr("field.password"), "password", "current-password");
  password.error = tr(page.password_error);
  data.set("password_field", fieldData(password));
  return state_->render(page.layout, "login", data);
}

std::string Templates::render(const RegisterPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("register.title"));
  data.set("csrf_token", page.csrf_token);
  setOptional(data, "next", page.next);
  tr.set(data, "error", page.error);
  data.set("homeserver", page.homeserver);
  data.set("login_href", page.login_href);
  FieldSpec username("username", tr("field.username"), "text", "username");
  username.value = page.username;
  username.error = tr(page.username_error);
  username.hint = tr("field.username_hint");
  username.plain_text = true;
  data.set("username_field", fieldData(username));
  FieldSpec email("email", tr(page.email_required ? "field.email" : "field.email_optional"),
                  "email", "email");
  email.value = page.email;
  email.error = tr(page.email_error);
  email.required = page.email_required;
  if (page.email_required) email.hint = tr("field.email_code_hint");
  email.plain_text = true;
  data.set("email_field", fieldData(email));
  FieldSpec password("password", tr("field.password"), "password", "new-password");
  password.error = tr(page.password_error);
  password.hint = tr("field.password_hint");
  data.set("password_field", fieldData(password));
  FieldSpec confirm("password_confirm", tr("field.password_confirm"), "password", "new-password");
  confirm.error = tr(page.password_confirm_error);
  data.set("password_confirm_field", fieldData(confirm));
  if (page.token_required) {
    FieldSpec token("registration_token", tr("field.registration_token"), "text", "off");
    token.value = page.registration_token;
    token.error = tr(page.registration_token_error);
    token.hint = tr("field.registration_token_hint");
    token.plain_text = true;
    data.set("registration_token_field", fieldData(token));
  }
  if (page.tos_uri && !page.tos_uri->empty()) {
    data.set("tos_uri", *page.tos_uri);
    data.set("accept_terms", page.accept_terms);
    const std::optional<std::string> terms_error = tr(page.accept_terms_error);
    data.set("accept_terms_error", terms_error ? Value(*terms_error) : Value(false));
  }
  return state_->render(page.layout, "register", data);
}

std::string Templates::render(const RegisterVerifyPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("email_verify.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("resend_csrf_token", page.resend_csrf_token);
  data.set("address", page.address);
  data.set("valid_minutes", std::to_string(page.valid_minutes));
  data.set("restart_href", page.restart_href);
  tr.set(data, "notice", page.notice);
  tr.set(data, "error", page.error);
  FieldSpec code("code", tr("common.code"), "text", "one-time-code");
  code.error = tr(page.code_error);
  code.plain_text = true;
  data.set("code_field", fieldData(code));
  return state_->render(page.layout, "register_verify", data);
}

namespace {

// The client's part of a consent page, as consent.mustache and
// device_consent.mustache read it.
Value clientData(const ClientDisplay& display) {
  Value client;
  client.set("name", display.name);
  setOptional(client, "logo_uri", display.logo_uri);
  setOptional(client, "client_uri", display.client_uri);
  setOptional(client, "host", display.host);
  setOptional(client, "policy_uri", display.policy_uri);
  setOptional(client, "tos_uri", display.tos_uri);
  return client;
}

Value scopeData(const std::vector<ScopeLine>& lines, const Translator& tr) {
  Value scopes = Value::list();
  for (const ScopeLine& line : lines) {
    Value item;
    item.set("description", tr(line.description));
    item.set("is_admin", line.is_admin);
    scopes.append(item);
  }
  return scopes;
}

}  // namespace

std::string Templates::render(const ConsentPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("consent.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("action", page.action);
  data.set("user_id", page.user_id);
  data.set("switch_account_href", page.switch_account_href);
  tr.set(data, "error", page.error);
  data.set("client", clientData(page.client));
  data.set("has_links", (page.client.policy_uri && !page.client.policy_uri->empty()) ||
                            (page.client.tos_uri && !page.client.tos_uri->empty()));
  data.set("scopes", scopeData(page.scopes, tr));
  data.set("admin_warning", page.admin_warning);
  return state_->render(page.layout, "consent", data);
}

std::string Templates::render(const DeviceLinkPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("device_link.title"));
  data.set("csrf_token", page.csrf_token);
  tr.set(data, "error", page.error);
  FieldSpec code("code", tr("common.code"), "text", "off");
  code.value = page.code;
  code.error = tr(page.code_error);
  code.hint = tr("field.device_code_hint");
  code.plain_text = true;
  data.set("code_field", fieldData(code));
  return state_->render(page.layout, "device_link", data);
}

std::string Templates::render(const DeviceConsentPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("device_consent.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("action", page.action);
  data.set("user_id", page.user_id);
  data.set("user_code", page.user_code);
  setOptional(data, "device_id", page.device_id);
  data.set("switch_account_href", page.switch_account_href);
  tr.set(data, "error", page.error);
  data.set("client", clientData(page.client));
  data.set("scopes", scopeData(page.scopes, tr));
  data.set("admin_warning", page.admin_warning);
  return state_->render(page.layout, "device_consent", data);
}

std::string Templates::render(const DeviceDonePage& page) const {
  Value data = state_->base(
      page.layout, Text(page.approved ? "device_done.title_approved" : "device_done.title_denied"));
  data.set("approved", page.approved);
  data.set("client_name", page.client_name);
  return state_->render(page.layout, "device_done", data);
}

std::string Templates::render(const SsoConfirmPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data =
      state_->base(page.layout, Text("sso_confirm.title", {{"destination", page.destination}}));
  data.set("csrf_token", page.csrf_token);
  data.set("action", page.action);
  data.set("user_id", page.user_id);
  data.set("destination", page.destination);
  data.set("destination_is_web", page.destination_is_web);
  data.set("redirect_url", page.redirect_url);
  data.set("switch_account_href", page.switch_account_href);
  tr.set(data, "error", page.error);
  return state_->render(page.layout, "sso_confirm", data);
}

std::string Templates::render(const ErrorPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, page.title);
  data.set("message", tr(page.message));
  tr.set(data, "detail", page.detail);
  setOptional(data, "back_href", page.back_href);
  data.set("back_label", tr(page.back_label));
  setOptional(data, "action_href", page.action_href);
  data.set("action_label", tr(page.action_label));
  return state_->render(page.layout, "error", data);
}

std::string Templates::render(const LogoutPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("logout.title"));
  data.set("csrf_token", page.csrf_token);
  setOptional(data, "user_id", page.user_id);
  tr.set(data, "error", page.error);
  data.set("from_application", page.from_application);
  setOptional(data, "client_name", page.client_name);
  setOptional(data, "client_host", page.client_host);
  setOptional(data, "return_to", page.return_to);
  Value fields = Value::list();
  for (const LogoutPage::Field& field : page.fields) {
    Value item;
    item.set("name", field.name);
    item.set("value", field.value);
    fields.append(item);
  }
  data.set("fields", fields);
  return state_->render(page.layout, "logout", data);
}

std::string Templates::render(const SignedOutPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("signed_out.title"));
  setOptional(data, "return_href", page.return_href);
  data.set("return_label", tr(page.return_label));
  return state_->render(page.layout, "signed_out", data);
}

std::string Templates::render(const SignedInPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("signed_in.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  tr.set(data, "notice", page.notice);
  setOptional(data, "profile_href", page.profile_href);
  setOptional(data, "sessions_href", page.sessions_href);
  setOptional(data, "password_change_href", page.password_change_href);
  setOptional(data, "emails_href", page.emails_href);
  setOptional(data, "cross_signing_reset_href", page.cross_signing_reset_href);
  setOptional(data, "deactivate_href", page.deactivate_href);
  const bool any_action = page.profile_href || page.sessions_href || page.password_change_href ||
                          page.emails_href || page.cross_signing_reset_href || page.deactivate_href;
  data.set("has_actions", any_action);
  return state_->render(page.layout, "signed_in", data);
}

std::string Templates::render(const ReauthPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("reauth.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  data.set("next", page.next);
  data.set("lead", tr(page.lead));
  tr.set(data, "error", page.error);
  if (page.steps > 1) {
    data.set("progress", tr("reauth.progress", {{"step", std::to_string(page.step)},
                                                {"steps", std::to_string(page.steps)}}));
  }
  Value fields = Value::list();
  for (const FormField& field : page.fields) {
    FieldSpec spec(field.name, tr(field.label), field.type, field.autocomplete);
    spec.hint = tr(field.hint);
    spec.error = tr(field.error);
    spec.plain_text = field.plain_text;
    fields.append(fieldData(spec));
  }
  data.set("fields", fields);
  return state_->render(page.layout, "reauth", data);
}

std::string Templates::render(const PasswordChangePage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("password_change.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  data.set("end_sessions", page.end_sessions);
  tr.set(data, "error", page.error);
  FieldSpec current("current_password", tr("field.current_password"), "password",
                    "current-password");
  current.error = tr(page.current_password_error);
  data.set("current_password_field", fieldData(current));
  FieldSpec fresh("new_password", tr("field.new_password"), "password", "new-password");
  fresh.error = tr(page.new_password_error);
  fresh.hint = tr("field.new_password_hint");
  data.set("new_password_field", fieldData(fresh));
  FieldSpec confirm("new_password_confirm", tr("field.new_password_confirm"), "password",
                    "new-password");
  confirm.error = tr(page.new_password_confirm_error);
  data.set("new_password_confirm_field", fieldData(confirm));
  return state_->render(page.layout, "password_change", data);
}

std::string Templates::render(const DeactivatePage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("deactivate.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  data.set("erase", page.erase);
  tr.set(data, "error", page.error);
  return state_->render(page.layout, "deactivate", data);
}

std::string Templates::render(const CrossSigningResetPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(
      page.layout, Text(page.approved ? "cross_signing.title_approved" : "cross_signing.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  data.set("approved", page.approved);
  setOptional(data, "approved_until", page.approved_until);
  tr.set(data, "error", page.error);
  return state_->render(page.layout, "cross_signing_reset", data);
}

std::string Templates::render(const ProfilePage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("profile.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  tr.set(data, "notice", page.notice);
  tr.set(data, "error", page.error);
  FieldSpec name("display_name", tr("field.display_name"), "text", "nickname");
  name.value = page.display_name;
  name.error = tr(page.display_name_error);
  name.required = false;
  name.hint = tr("field.display_name_hint");
  data.set("display_name_field", fieldData(name));
  return state_->render(page.layout, "profile", data);
}

namespace {

// Every key session.mustache reads is set (false when absent), for the
// reason fieldData() gives.
Value sessionData(const SessionSummary& session, const Translator& tr) {
  const auto text = [](const std::optional<std::string>& value) {
    return value && !value->empty() ? Value(*value) : Value(false);
  };
  Value data;
  data.set("kind", tr(session.kind));
  data.set("name", tr(session.name));
  data.set("logo_uri", text(session.logo_uri));
  data.set("device_id", text(session.device_id));
  data.set("created_at", session.created_at);
  data.set("last_active_at", text(session.last_active_at));
  data.set("last_active_ip", text(session.last_active_ip));
  data.set("user_agent", text(session.user_agent));
  data.set("is_current", session.is_current);
  data.set("href", session.href);
  return data;
}

}  // namespace

std::string Templates::render(const SessionsPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("sessions.title"));
  data.set("user_id", page.user_id);
  tr.set(data, "notice", page.notice);
  Value sessions = Value::list();
  for (const SessionSummary& session : page.sessions) sessions.append(sessionData(session, tr));
  data.set("sessions", sessions);
  data.set("has_sessions", !page.sessions.empty());
  return state_->render(page.layout, "sessions", data);
}

std::string Templates::render(const SessionPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, page.session.name);
  data.set("user_id", page.user_id);
  data.set("session", sessionData(page.session, tr));
  data.set("end_href", page.end_href);
  return state_->render(page.layout, "session", data);
}

std::string Templates::render(const SessionEndPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text(page.session.is_current ? "session_end.title_current"
                                                                      : "session_end.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("user_id", page.user_id);
  data.set("session", sessionData(page.session, tr));
  data.set("action", page.action);
  data.set("cancel_href", page.cancel_href);
  tr.set(data, "error", page.error);
  return state_->render(page.layout, "session_end", data);
}

std::string Templates::render(const NoticePage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, page.title);
  data.set("message", tr(page.message));
  setOptional(data, "link_href", page.link_href);
  data.set("link_label", tr(page.link_label));
  return state_->render(page.layout, "notice", data);
}

std::string Templates::render(const EmailsPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("emails.title"));
  data.set("user_id", page.user_id);
  data.set("editable", page.editable);
  data.set("add_csrf_token", page.add_csrf_token);
  data.set("primary_csrf_token", page.primary_csrf_token);
  data.set("remove_csrf_token", page.remove_csrf_token);
  tr.set(data, "notice", page.notice);
  tr.set(data, "error", page.error);
  Value emails = Value::list();
  for (const EmailEntry& entry : page.emails) {
    Value item;
    item.set("id", entry.id);
    item.set("address", entry.address);
    item.set("confirmed", entry.confirmed);
    item.set("primary", entry.primary);
    item.set("can_make_primary", entry.confirmed && !entry.primary);
    if (entry.verify_href.empty()) {
      item.set("verify_href", false);
    } else {
      item.set("verify_href", entry.verify_href);
    }
    emails.append(item);
  }
  data.set("has_emails", !page.emails.empty());
  data.set("emails", emails);
  FieldSpec email("email", tr("field.email"), "email", "email");
  email.value = page.email;
  email.error = tr(page.email_error);
  email.plain_text = true;
  email.hint = tr("field.email_code_hint");
  data.set("email_field", fieldData(email));
  return state_->render(page.layout, "emails", data);
}

std::string Templates::render(const EmailVerifyPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("email_verify.title"));
  data.set("user_id", page.user_id);
  data.set("email_id", page.email_id);
  data.set("address", page.address);
  data.set("csrf_token", page.csrf_token);
  data.set("resend_csrf_token", page.resend_csrf_token);
  data.set("valid_minutes", std::to_string(page.valid_minutes));
  tr.set(data, "notice", page.notice);
  tr.set(data, "error", page.error);
  FieldSpec code("code", tr("common.code"), "text", "one-time-code");
  code.error = tr(page.code_error);
  code.plain_text = true;
  data.set("code_field", fieldData(code));
  return state_->render(page.layout, "email_verify", data);
}

std::string Templates::render(const RecoverPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text(page.sent ? "recover.title_sent" : "recover.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("sent", page.sent);
  data.set("email", page.email);
  data.set("valid_minutes", std::to_string(page.valid_minutes));
  tr.set(data, "error", page.error);
  FieldSpec email("email", tr("field.email"), "email", "email");
  email.value = page.email;
  email.error = tr(page.email_error);
  email.plain_text = true;
  data.set("email_field", fieldData(email));
  return state_->render(page.layout, "recover", data);
}

std::string Templates::render(const RecoverPasswordPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, Text("recover_password.title"));
  data.set("csrf_token", page.csrf_token);
  data.set("token", page.token);
  data.set("user_id", page.user_id);
  tr.set(data, "error", page.error);
  FieldSpec fresh("new_password", tr("field.new_password"), "password", "new-password");
  fresh.error = tr(page.new_password_error);
  fresh.hint = tr("field.new_password_hint");
  data.set("new_password_field", fieldData(fresh));
  FieldSpec confirm("new_password_confirm", tr("field.new_password_confirm"), "password",
                    "new-password");
  confirm.error = tr(page.new_password_confirm_error);
  data.set("new_password_confirm_field", fieldData(confirm));
  return state_->render(page.layout, "recover_password", data);
}

std::string Templates::render(const FormPostPage& page) const {
  const Translator tr = state_->translator(page.layout);
  Value data = state_->base(page.layout, page.title);
  data.set("action", page.action);
  data.set("lead", tr(page.lead));
  tr.set(data, "alert", page.alert);
  data.set("button_label", tr(page.button_label));
  if (page.auto_submit) data.set("script_href", state_->form_post_script_href);
  Value fields = Value::list();
  for (const FormPostPage::Field& field : page.fields) {
    Value item;
    item.set("name", field.name);
    item.set("value", field.value);
    fields.append(item);
  }
  data.set("fields", fields);
  return state_->render(page.layout, "form_post", data);
}

namespace {

template <class Page>
void checkSamples(const Templates& templates, std::string_view name, std::string& problems) {
  for (const std::string& language : templates.catalogue().languages()) {
    int index = 0;
    for (Page sample : Page::samples()) {
      sample.layout.lang = language;
      const std::string html = templates.render(sample);
      const std::string where =
          std::string(name) + " sample " + std::to_string(index) + " (" + language + ")";
      if (html.empty()) {
        problems += where + ": empty output\n";
      } else if (auto problem = checkHtml(html)) {
        problems += where + ": " + *problem + "\n";
      } else if (html.find("<html lang=\"" + language + "\">") == std::string::npos) {
        problems += where + ": not rendered in its language\n";
      } else if (html.find(i18n::kMissingMessage) != std::string::npos) {
        problems += where + ": names a message the catalogue does not have\n";
      }
      ++index;
    }
  }
}

}  // namespace

Result<void, std::string> checkAllTemplates() {
  auto templates = Templates::load();
  if (!templates) return unexpected(templates.error().message);
  std::string problems;
  // Every word a user reads comes from the catalogue.
  for (const core::EmbeddedFile& file : embeddedTemplateFiles()) {
    if (auto word = untranslatedText(file.contents, TemplateKind::Html)) {
      problems += std::string(file.name) + ": text outside the catalogue: \"" + *word + "\"\n";
    }
  }
  checkSamples<LoginPage>(*templates, "login", problems);
  checkSamples<RegisterPage>(*templates, "register", problems);
  checkSamples<RegisterVerifyPage>(*templates, "register_verify", problems);
  checkSamples<ConsentPage>(*templates, "consent", problems);
  checkSamples<SsoConfirmPage>(*templates, "sso_confirm", problems);
  checkSamples<DeviceLinkPage>(*templates, "device_link", problems);
  checkSamples<DeviceConsentPage>(*templates, "device_consent", problems);
  checkSamples<DeviceDonePage>(*templates, "device_done", problems);
  checkSamples<ErrorPage>(*templates, "error", problems);
  checkSamples<LogoutPage>(*templates, "logout", problems);
  checkSamples<SignedOutPage>(*templates, "signed_out", problems);
  checkSamples<SignedInPage>(*templates, "signed_in", problems);
  checkSamples<ReauthPage>(*templates, "reauth", problems);
  checkSamples<PasswordChangePage>(*templates, "password_change", problems);
  checkSamples<DeactivatePage>(*templates, "deactivate", problems);
  checkSamples<CrossSigningResetPage>(*templates, "cross_signing_reset", problems);
  checkSamples<ProfilePage>(*templates, "profile", problems);
  checkSamples<SessionsPage>(*templates, "sessions", problems);
  checkSamples<SessionPage>(*templates, "session", problems);
  checkSamples<SessionEndPage>(*templates, "session_end", problems);
  checkSamples<NoticePage>(*templates, "notice", problems);
  checkSamples<EmailsPage>(*templates, "emails", problems);
  checkSamples<EmailVerifyPage>(*templates, "email_verify", problems);
  checkSamples<RecoverPage>(*templates, "recover", problems);
  checkSamples<RecoverPasswordPage>(*templates, "recover_password", problems);
  checkSamples<FormPostPage>(*templates, "form_post", problems);
  if (!problems.empty()) return unexpected(problems);
  return {};
}

}  // namespace mxauth::templates
