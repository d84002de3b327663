#pragma once

#include "storage/sql/session.h"
#include "storage/user_email_repository.h"
#include "storage/user_password_repository.h"
#include "storage/user_repository.h"

// The user aggregate's repositories, written once in the SQL both backends
// share. Tables: see the *_users.sql migrations of each backend.
namespace mxauth::storage::sql {

// A user's columns, for other repositories' joins, and their reader.
inline constexpr std::string_view kUserColumns =
    "id, localpart, created_at, locked_at, deactivated_at, is_admin, display_name";
Result<domain::User, StorageError> readUser(const Row& row);

class SqlUserRepository final : public UserRepository {
 public:
  explicit SqlUserRepository(Session& session) : session_(session) {}

  Result<domain::User, StorageError> add(Rng& rng, const Clock& clock,
                                         const domain::Localpart& localpart,
                                         bool is_admin) override;
  Result<std::optional<domain::User>, StorageError> lookup(const domain::UserId& id) override;
  Result<std::optional<domain::User>, StorageError> findByLocalpart(
      std::string_view localpart) override;
  Result<std::optional<UserWithPassword>, StorageError> findByLocalpartWithPassword(
      std::string_view localpart) override;
  Result<std::optional<domain::User>, StorageError> findByEmail(std::string_view address) override;
  Result<std::vector<domain::User>, StorageError> list(const Page& page) override;
  Result<std::optional<domain::User>, StorageError> lock(const Clock& clock,
                                                         const domain::UserId& id) override;
  Result<std::optional<domain::User>, StorageError> unlock(const domain::UserId& id) override;
  Result<std::optional<domain::User>, StorageError> deactivate(const Clock& clock,
                                                               const domain::UserId& id) override;
  Result<std::optional<domain::User>, StorageError> reactivate(const domain::UserId& id) override;
  Result<std::optional<domain::User>, StorageError> setAdmin(const domain::UserId& id,
                                                             bool is_admin) override;
  Result<std::optional<domain::User>, StorageError> setDisplayName(
      const domain::UserId& id, const std::optional<std::string>& display_name) override;

 private:
  Session& session_;
};

class SqlUserEmailRepository final : public UserEmailRepository {
 public:
  explicit SqlUserEmailRepository(Session& session) : session_(session) {}

  Result<domain::UserEmail, StorageError> add(Rng& rng, const Clock& clock,
                                              const domain::UserId& user,
                                              std::string_view address) override;
  Result<std::optional<domain::UserEmail>, StorageError> lookup(
      const domain::UserEmailId& id) override;
  Result<std::vector<domain::UserEmail>, StorageError> listForUser(
      const domain::UserId& user) override;
  Result<std::optional<domain::UserEmail>, StorageError> confirm(
      const Clock& clock, const domain::UserEmailId& id) override;
  Result<bool, StorageError> setPrimary(const domain::UserId& user,
                                        const domain::UserEmailId& id) override;
  Result<bool, StorageError> remove(const domain::UserEmailId& id) override;

 private:
  Session& session_;
};

class SqlUserPasswordRepository final : public UserPasswordRepository {
 public:
  explicit SqlUserPasswordRepository(Session& session) : session_(session) {}

  Result<domain::UserPassword, StorageError> add(
      Rng& rng, const Clock& clock, const domain::UserId& user, std::string_view hash, int version,
      const std::optional<domain::UserPasswordId>& upgraded_from) override;
  Result<std::optional<domain::UserPassword>, StorageError> current(
      const domain::UserId& user) override;
  Result<std::vector<domain::UserPassword>, StorageError> history(
      const domain::UserId& user) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
