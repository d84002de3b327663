#include "oauth/grants/grant_context.h"

#include <string>

namespace mxauth::oauth {

Result<http::FormParams, OAuthError> requestForm(const http::Request& request) {
  auto form = request.form();
  if (!form) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The body must be application/x-www-form-urlencoded: " +
                                     std::string(http::describe(form.error()))));
  }
  if (std::optional<std::string_view> duplicate = form->firstDuplicate()) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest,
                   "The parameter " + std::string(*duplicate) + " appears more than once."));
  }
  return std::move(*form);
}

Result<std::optional<std::string_view>, OAuthError> uniqueParameter(const http::FormParams& form,
                                                                    std::string_view name) {
  auto value = form.getUnique(name);
  if (!value) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest,
                   "The parameter " + std::string(name) + " appears more than once."));
  }
  return *value;
}

Result<std::string_view, OAuthError> requiredParameter(const http::FormParams& form,
                                                       std::string_view name) {
  auto value = uniqueParameter(form, name);
  if (!value) return unexpected(std::move(value).error());
  if (!*value || (*value)->empty()) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The parameter " + std::string(name) + " is missing."));
  }
  return **value;
}

Result<void, OAuthError> commit(storage::Transaction& tx) {
  auto committed = tx.commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  return {};
}

}  // namespace mxauth::oauth
