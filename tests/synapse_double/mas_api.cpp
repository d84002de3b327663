// /_synapse/mas/*: the API Synapse exposes for its auth service
// (spec-digest §5.5; [SYN synapse/rest/synapse/mas/users.py, devices.py,
// _base.py] and their tests). Every endpoint checks the shared secret first,
// then the body, then that the user exists.

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/synapse_double/impl.h"

namespace mxauth::test {
namespace {

// [SYN synapse/types] MAX_USERID_LENGTH; [SYN synapse/handlers/profile.py]
// MAX_DISPLAYNAME_LEN; [SYN synapse/handlers/device.py] MAX_DEVICE_DISPLAY_NAME_LEN.
constexpr std::size_t kMaxUserIdLength = 255;
constexpr std::size_t kMaxDisplaynameLength = 256;
constexpr std::size_t kMaxDeviceDisplayNameLength = 100;
// allow_cross_signing_reset's window (§5.5).
constexpr Duration kCrossSigningResetWindow = std::chrono::minutes(10);

// §5.2: only the shared secret passes. A request with no token at all never
// reaches that comparison: Synapse's token extraction answers 401
// M_MISSING_TOKEN first ([SYN synapse/api/auth/base.py]). The 403 is a plain
// SynapseError, hence M_UNKNOWN ([SYN synapse/rest/synapse/mas/_base.py]).
std::optional<MatrixError> refuseUnlessFromMas(const http::Request& request,
                                               const std::string& secret) {
  auto token = accessTokenOf(request);
  if (!token) return token.error();
  if (secret.empty() || *token != secret) {
    return MatrixError{403, "M_UNKNOWN", "This endpoint must only be called by MAS", {}};
  }
  return std::nullopt;
}

// Checks the caller, parses the JSON body and reads its fields with `read`.
template <class Read>
auto readBody(const http::Request& request, const std::string& secret, Read read)
    -> Result<decltype(read(std::declval<FieldReader&>())), MatrixError> {
  if (auto refused = refuseUnlessFromMas(request, secret)) return unexpected(*refused);
  auto object = parseJsonObject(request.body);
  if (!object) return unexpected(object.error());
  FieldReader fields(*object);
  auto body = read(fields);
  if (fields.error()) return unexpected(*fields.error());
  return body;
}

MatrixError userNotFound() { return {404, "M_NOT_FOUND", "User not found", {}}; }

http::Response ok(int status = 200) { return jsonResponse(status, boost::json::object{}); }

DoubleUser* findUser(std::map<std::string, DoubleUser, std::less<>>& users,
                     std::string_view localpart) {
  auto it = users.find(localpart);
  return it == users.end() ? nullptr : &it->second;
}

// Python's len(): code points, not bytes.
std::size_t codePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

// Synapse stores "" when a display name is cleared and reads it back as null.
std::optional<std::string> nonEmpty(std::optional<std::string> text) {
  if (text && text->empty()) return std::nullopt;
  return text;
}

std::optional<MatrixError> checkDisplaynameLength(const std::string& name) {
  if (codePoints(name) <= kMaxDisplaynameLength) return std::nullopt;
  return MatrixError{400,
                     "M_UNKNOWN",
                     "Displayname is too long (max " + std::to_string(kMaxDisplaynameLength) + ")",
                     {}};
}

std::optional<MatrixError> checkDeviceNameLength(const std::optional<std::string>& name) {
  if (!name || codePoints(*name) <= kMaxDeviceDisplayNameLength) return std::nullopt;
  return MatrixError{
      400,
      "M_TOO_LARGE",
      "Device display name is too long (max " + std::to_string(kMaxDeviceDisplayNameLength) + ")",
      {}};
}

// The localpart grammar: [a-z0-9._=/+-] ([S] #user-identifiers;
// [SYN synapse/types] MXID_LOCALPART_ALLOWED_CHARACTERS).
bool isLocalpartChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '=' ||
         c == '/' || c == '+' || c == '-';
}

// What Python's int() accepts among localpart characters: a sign, then
// digits, with single underscores between them.
bool isPythonInteger(std::string_view text) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) text.remove_prefix(1);
  if (text.empty() || text.front() == '_' || text.back() == '_') return false;
  char previous = '\0';
  for (const char c : text) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit && c != '_') return false;
    if (c == '_' && previous == '_') return false;
    previous = c;
  }
  return true;
}

std::string toLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

void SynapseDouble::Impl::mountMasApi() {
  using http::Method;
  mount(Method::Get, "/_synapse/mas/query_user", handlerFor(&Impl::queryUser));
  mount(Method::Post, "/_synapse/mas/provision_user", handlerFor(&Impl::provisionUser));
  mount(Method::Get, "/_synapse/mas/is_localpart_available",
        handlerFor(&Impl::isLocalpartAvailable));
  mount(Method::Post, "/_synapse/mas/delete_user", handlerFor(&Impl::deleteUser));
  mount(Method::Post, "/_synapse/mas/reactivate_user", handlerFor(&Impl::reactivateUser));
  mount(Method::Post, "/_synapse/mas/set_displayname", handlerFor(&Impl::setDisplayname));
  mount(Method::Post, "/_synapse/mas/unset_displayname", handlerFor(&Impl::unsetDisplayname));
  mount(Method::Post, "/_synapse/mas/allow_cross_signing_reset",
        handlerFor(&Impl::allowCrossSigningReset));
  mount(Method::Post, "/_synapse/mas/upsert_device", handlerFor(&Impl::upsertDevice));
  mount(Method::Post, "/_synapse/mas/update_device_display_name",
        handlerFor(&Impl::updateDeviceDisplayName));
  mount(Method::Post, "/_synapse/mas/delete_device", handlerFor(&Impl::deleteDevice));
  mount(Method::Post, "/_synapse/mas/sync_devices", handlerFor(&Impl::syncDevices));
}

// Synapse's RegistrationHandler.check_username, in its order: grammar,
// empty, leading '_', application-service namespace, length, taken
// (case-insensitively), numeric (reserved for guests).
std::optional<MatrixError> SynapseDouble::Impl::checkUsername(std::string_view localpart) const {
  auto invalid = [](std::string message) {
    return MatrixError{400, "M_INVALID_USERNAME", std::move(message), {}};
  };
  if (!std::all_of(localpart.begin(), localpart.end(), isLocalpartChar)) {
    return invalid("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  }
  if (localpart.empty()) return invalid("User ID cannot be empty");
  if (localpart.front() == '_') return invalid("User ID may not begin with _");
  const std::string& prefix = options.exclusive_localpart_prefix;
  if (!prefix.empty() && localpart.starts_with(prefix)) {
    return MatrixError{
        400, "M_EXCLUSIVE", "This user ID is reserved by an application service.", {}};
  }
  if (userIdOf(localpart, options.server_name).size() > kMaxUserIdLength) {
    return invalid("User ID may not be longer than " + std::to_string(kMaxUserIdLength) +
                   " characters");
  }
  const std::string lowered = toLower(localpart);
  for (const auto& [existing, user] : users) {
    if (toLower(existing) == lowered) {
      return MatrixError{400, "M_USER_IN_USE", "User ID already taken.", {}};
    }
  }
  if (isPythonInteger(localpart)) return invalid("Numeric user IDs are reserved for guest users.");
  return std::nullopt;
}

http::Response SynapseDouble::Impl::queryUser(http::Request& request) {
  if (auto refused = refuseUnlessFromMas(request, options.secret)) return errorResponse(*refused);
  const std::optional<std::string_view> localpart = request.queryParam("localpart");
  if (!localpart) {
    return errorResponse(
        {400, "M_MISSING_PARAM", "Missing string query parameter 'localpart'", {}});
  }
  std::lock_guard lock(mutex);
  const DoubleUser* user = findUser(users, *localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  auto nullable = [](const std::optional<std::string>& text) -> boost::json::value {
    if (!text) return nullptr;
    return boost::json::string(*text);
  };
  return jsonResponse(200, boost::json::object{
                               {"user_id", user->user_id},
                               {"display_name", nullable(user->display_name)},
                               {"avatar_url", nullable(user->avatar_url)},
                               {"is_suspended", user->suspended},
                               {"is_deactivated", user->deactivated},
                           });
}

http::Response SynapseDouble::Impl::provisionUser(http::Request& request) {
  struct Body {
    std::string localpart;
    bool unset_displayname = false;
    std::optional<std::string> set_displayname;
    bool unset_avatar_url = false;
    std::optional<std::string> set_avatar_url;
    bool unset_emails = false;
    std::optional<std::vector<std::string>> set_emails;
    std::optional<bool> locked;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    // The model's "before" validator runs ahead of the fields, and looks
    // only at which keys are present, whatever their values.
    for (std::string_view field : {"displayname", "avatar_url", "emails"}) {
      const std::string set = "set_" + std::string(field);
      const std::string unset = "unset_" + std::string(field);
      if (fields.has(set) && fields.has(unset)) {
        fields.refuse("Cannot specify both " + unset + " and " + set);
      }
    }
    return Body{
        fields.requiredString("localpart"),       fields.boolOrFalse("unset_displayname"),
        fields.optionalString("set_displayname"), fields.boolOrFalse("unset_avatar_url"),
        fields.optionalString("set_avatar_url"),  fields.boolOrFalse("unset_emails"),
        fields.optionalStringList("set_emails"),  fields.optionalBool("locked"),
    };
  });
  if (!body) return errorResponse(body.error());

  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  const bool created = user == nullptr;
  if (created) {
    // register_user(localpart, default_display_name=set_displayname,
    // bind_emails=set_emails, by_admin=True): validates the localpart, and
    // the display name defaults to the localpart.
    if (auto refused = checkUsername(body->localpart)) return errorResponse(*refused);
    DoubleUser fresh;
    fresh.localpart = body->localpart;
    fresh.user_id = userIdOf(body->localpart, options.server_name);
    fresh.display_name = nonEmpty(body->set_displayname.value_or(body->localpart));
    fresh.emails = sortedUnique(body->set_emails.value_or(std::vector<std::string>{}));
    user = &(users[body->localpart] = std::move(fresh));
  } else {
    if (body->set_displayname) {
      if (auto refused = checkDisplaynameLength(*body->set_displayname)) {
        return errorResponse(*refused);
      }
    }
    if (body->unset_displayname) {
      user->display_name.reset();
    } else if (body->set_displayname) {
      user->display_name = nonEmpty(body->set_displayname);
    }
    // E-mails are reconciled: removed ones are deleted, added ones stored.
    if (body->unset_emails) {
      user->emails.clear();
    } else if (body->set_emails) {
      user->emails = sortedUnique(*body->set_emails);
    }
  }
  if (body->unset_avatar_url) {
    user->avatar_url.reset();
  } else if (body->set_avatar_url) {
    user->avatar_url = nonEmpty(body->set_avatar_url);
  }
  if (body->locked) user->locked = *body->locked;
  return ok(created ? 201 : 200);
}

http::Response SynapseDouble::Impl::isLocalpartAvailable(http::Request& request) {
  if (auto refused = refuseUnlessFromMas(request, options.secret)) return errorResponse(*refused);
  const std::optional<std::string_view> localpart = request.queryParam("localpart");
  if (!localpart) return errorResponse({400, "M_UNKNOWN", "Missing localpart", {}});
  std::lock_guard lock(mutex);
  if (auto refused = checkUsername(*localpart)) return errorResponse(*refused);
  return ok();
}

http::Response SynapseDouble::Impl::deleteUser(http::Request& request) {
  struct Body {
    std::string localpart;
    bool erase = false;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart"), fields.requiredBool("erase")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  // DeactivateAccountHandler.deactivate_account: every device and 3PID goes;
  // with erase, the profile too, and the user is marked erased.
  user->deactivated = true;
  user->devices.clear();
  user->emails.clear();
  if (body->erase) {
    user->display_name.reset();
    user->avatar_url.reset();
    user->erased = true;
  }
  return ok();
}

http::Response SynapseDouble::Impl::reactivateUser(http::Request& request) {
  struct Body {
    std::string localpart;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  // activate_account also lifts the erasure.
  user->deactivated = false;
  user->erased = false;
  return ok();
}

http::Response SynapseDouble::Impl::setDisplayname(http::Request& request) {
  struct Body {
    std::string localpart;
    std::string displayname;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart"), fields.requiredString("displayname")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  if (auto refused = checkDisplaynameLength(body->displayname)) return errorResponse(*refused);
  user->display_name = nonEmpty(body->displayname);
  return ok();
}

http::Response SynapseDouble::Impl::unsetDisplayname(http::Request& request) {
  struct Body {
    std::string localpart;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  user->display_name.reset();
  return ok();
}

http::Response SynapseDouble::Impl::allowCrossSigningReset(http::Request& request) {
  struct Body {
    std::string localpart;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  // Synapse only logs a warning when the user has no master key; the double
  // keeps no keys and records every allowance.
  ++user->cross_signing_reset_allowances;
  user->cross_signing_reset_allowed_until = clock.now() + kCrossSigningResetWindow;
  return ok();
}

http::Response SynapseDouble::Impl::upsertDevice(http::Request& request) {
  struct Body {
    std::string localpart;
    std::string device_id;
    std::optional<std::string> display_name;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart"), fields.requiredString("device_id"),
                fields.optionalString("display_name")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  if (auto refused = checkDeviceNameLength(body->display_name)) return errorResponse(*refused);
  // §5.5: the display name is used only when the device is created.
  if (user->hasDevice(body->device_id)) return ok(200);
  user->devices[body->device_id] = DoubleDevice{body->device_id, body->display_name, false};
  return ok(201);
}

http::Response SynapseDouble::Impl::updateDeviceDisplayName(http::Request& request) {
  struct Body {
    std::string localpart;
    std::string device_id;
    std::string display_name;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart"), fields.requiredString("device_id"),
                fields.requiredString("display_name")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  if (auto refused = checkDeviceNameLength(body->display_name)) return errorResponse(*refused);
  auto device = user->devices.find(body->device_id);
  if (device == user->devices.end()) return errorResponse({404, "M_NOT_FOUND", "Not found", {}});
  device->second.display_name = body->display_name;
  return ok();
}

http::Response SynapseDouble::Impl::deleteDevice(http::Request& request) {
  struct Body {
    std::string localpart;
    std::string device_id;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart"), fields.requiredString("device_id")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  // Deleting a device that is not there is not an error.
  user->devices.erase(body->device_id);
  return http::Response::noContent();
}

http::Response SynapseDouble::Impl::syncDevices(http::Request& request) {
  struct Body {
    std::string localpart;
    std::vector<std::string> devices;
  };
  auto body = readBody(request, options.secret, [](FieldReader& fields) {
    return Body{fields.requiredString("localpart"), fields.requiredStringList("devices")};
  });
  if (!body) return errorResponse(body.error());
  std::lock_guard lock(mutex);
  DoubleUser* user = findUser(users, body->localpart);
  if (user == nullptr) return errorResponse(userNotFound());
  const std::set<std::string, std::less<>> wanted(body->devices.begin(), body->devices.end());
  // §5.5: extras go, except the dehydrated device (MSC3814); missing ones
  // are created without a display name.
  std::erase_if(user->devices, [&](const auto& entry) {
    return !entry.second.dehydrated && !wanted.contains(entry.first);
  });
  for (const std::string& device_id : wanted) {
    if (!user->hasDevice(device_id)) user->devices[device_id] = DoubleDevice{device_id, {}, false};
  }
  return ok();
}

}  // namespace mxauth::test
