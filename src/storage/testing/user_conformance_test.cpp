#include <gtest/gtest.h>

#include <chrono>

#include "domain/localpart.h"
#include "storage/testing/conformance.h"

namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

class UserConformanceTest : public MigratedDatabaseTest {};

TEST_P(UserConformanceTest, AddsAUserWithIdAndTimeFromTheInjectedRngAndClock) {
  auto tx = begin();

  auto user = tx->users().add(rng_, clock_, localpart("alice"), true);

  ASSERT_TRUE(user.has_value()) << user.error().detail;
  EXPECT_TRUE(core::isUlid(user->id.str()));
  EXPECT_EQ(user->localpart, "alice");
  EXPECT_EQ(user->created_at, clock_.now());
  EXPECT_TRUE(user->is_admin);
  EXPECT_TRUE(user->canLogIn());
  auto found = tx->users().lookup(user->id);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, *user);
}

TEST_P(UserConformanceTest, LookingUpAnUnknownIdAnswersEmpty) {
  auto tx = begin();

  auto found = tx->users().lookup(domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));

  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(UserConformanceTest, FindsAUserByLocalpartRegardlessOfCase) {
  domain::User alice = addUser("alice");
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->users().findByLocalpart("ALiCe");
  auto missing = tx->users().findByLocalpart("bob");

  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->id, alice.id);
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(UserConformanceTest, RefusesATakenLocalpartAsConflict) {
  addUser("alice");
  auto tx = begin();

  auto again = tx->users().add(rng_, clock_, localpart("Alice"), false);

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, StorageErrorCode::Conflict);
}

TEST_P(UserConformanceTest, UniquenessIsCaseInsensitiveInTheSchemaItself) {
  // A row written behind the repository's back with upper-case letters (an
  // import, say) still blocks its lower-case twin.
  ASSERT_TRUE(test_database_->executeRaw(
      "INSERT INTO users (id, localpart, created_at) VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', "
      "'Carol', 0)"));
  auto tx = begin();

  auto added = tx->users().add(rng_, clock_, localpart("carol"), false);

  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, StorageErrorCode::Conflict);
}

TEST_P(UserConformanceTest, ListsUsersInCreationOrderPageByPage) {
  std::vector<domain::User> users;
  for (std::string_view name : {"u1", "u2", "u3", "u4", "u5"}) {
    users.push_back(addUser(name));
    clock_.advance(1ms);
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto first = tx->users().list({std::nullopt, 2});
  auto second = tx->users().list({(*first)[1].id.str(), 2});
  auto last = tx->users().list({(*second)[1].id.str(), 2});

  ASSERT_TRUE(first && second && last);
  ASSERT_EQ(first->size(), 2u);
  ASSERT_EQ(second->size(), 2u);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*first)[0], users[0]);
  EXPECT_EQ((*second)[0], users[2]);
  EXPECT_EQ((*last)[0], users[4]);
}

TEST_P(UserConformanceTest, LockingKeepsTheFirstLockTimeAndUnlockingRestoresLogin) {
  domain::User user = addUser("alice");
  auto tx = begin();
  Timestamp locked_at = clock_.now();

  auto locked = tx->users().lock(clock_, user.id);
  clock_.advance(1h);
  auto locked_again = tx->users().lock(clock_, user.id);

  ASSERT_TRUE(locked && locked->has_value());
  EXPECT_FALSE((*locked)->canLogIn());
  EXPECT_TRUE((*locked)->isActive());
  ASSERT_TRUE(locked_again && locked_again->has_value());
  EXPECT_EQ((*locked_again)->locked_at, locked_at);

  auto unlocked = tx->users().unlock(user.id);

  ASSERT_TRUE(unlocked && unlocked->has_value());
  EXPECT_FALSE((*unlocked)->locked_at.has_value());
  EXPECT_TRUE((*unlocked)->canLogIn());
}

TEST_P(UserConformanceTest, DeactivationAndReactivationAreStoredAndIndependentOfLocking) {
  domain::User user = addUser("alice");
  auto tx = begin();

  ASSERT_TRUE(tx->users().lock(clock_, user.id));
  auto deactivated = tx->users().deactivate(clock_, user.id);
  ASSERT_TRUE(deactivated && deactivated->has_value());
  EXPECT_EQ((*deactivated)->deactivated_at, clock_.now());
  EXPECT_FALSE((*deactivated)->isActive());

  auto reactivated = tx->users().reactivate(user.id);

  ASSERT_TRUE(reactivated && reactivated->has_value());
  EXPECT_TRUE((*reactivated)->isActive());
  EXPECT_TRUE((*reactivated)->isLocked());
  EXPECT_FALSE((*reactivated)->canLogIn());
}

TEST_P(UserConformanceTest, StateChangesOfAnUnknownUserAnswerEmpty) {
  auto tx = begin();
  domain::UserId nobody("01ARZ3NDEKTSV4RRFFQ69G5FAV");

  auto locked = tx->users().lock(clock_, nobody);
  auto deactivated = tx->users().deactivate(clock_, nobody);
  auto admin = tx->users().setAdmin(nobody, true);

  ASSERT_TRUE(locked && deactivated && admin);
  EXPECT_FALSE(locked->has_value());
  EXPECT_FALSE(deactivated->has_value());
  EXPECT_FALSE(admin->has_value());
}

TEST_P(UserConformanceTest, SetsAndClearsTheAdminFlag) {
  domain::User user = addUser("alice");
  auto tx = begin();

  auto promoted = tx->users().setAdmin(user.id, true);
  auto demoted = tx->users().setAdmin(user.id, false);

  ASSERT_TRUE(promoted && promoted->has_value());
  EXPECT_TRUE((*promoted)->is_admin);
  ASSERT_TRUE(demoted && demoted->has_value());
  EXPECT_FALSE((*demoted)->is_admin);
}

TEST_P(UserConformanceTest, StoresReplacesAndClearsTheDisplayName) {
  domain::User user = addUser("alice");
  EXPECT_EQ(user.display_name, std::nullopt);
  auto tx = begin();

  auto named = tx->users().setDisplayName(user.id, std::string("Alice \xc3\x89lise"));
  auto renamed = tx->users().setDisplayName(user.id, std::string("Alice"));
  auto found = tx->users().findByLocalpart("ALICE");

  ASSERT_TRUE(named && named->has_value());
  EXPECT_EQ((*named)->display_name, "Alice \xc3\x89lise");
  ASSERT_TRUE(renamed && renamed->has_value());
  EXPECT_EQ((*renamed)->display_name, "Alice");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->display_name, "Alice");

  auto cleared = tx->users().setDisplayName(user.id, std::nullopt);

  ASSERT_TRUE(cleared && cleared->has_value());
  EXPECT_EQ((*cleared)->display_name, std::nullopt);
  auto looked_up = tx->users().lookup(user.id);
  ASSERT_TRUE(looked_up && looked_up->has_value());
  EXPECT_EQ((*looked_up)->display_name, std::nullopt);
}

TEST_P(UserConformanceTest, SettingTheDisplayNameOfAnUnknownUserAnswersEmpty) {
  auto tx = begin();

  auto named = tx->users().setDisplayName(domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                                          std::string("Nobody"));

  ASSERT_TRUE(named);
  EXPECT_FALSE(named->has_value());
}

class UserEmailConformanceTest : public MigratedDatabaseTest {};

TEST_P(UserEmailConformanceTest, AddsUnconfirmedAddressesAndListsThemForTheirUser) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  auto tx = begin();

  auto first = tx->userEmails().add(rng_, clock_, alice.id, "alice@example.org");
  clock_.advance(1ms);
  auto second = tx->userEmails().add(rng_, clock_, alice.id, "alice@work.example");
  ASSERT_TRUE(tx->userEmails().add(rng_, clock_, bob.id, "bob@example.org"));

  ASSERT_TRUE(first && second);
  EXPECT_FALSE(first->isConfirmed());
  auto listed = tx->userEmails().listForUser(alice.id);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], *first);
  EXPECT_EQ((*listed)[1], *second);
}

TEST_P(UserEmailConformanceTest, FindsTheOwnerOfAConfirmedAddressOnlyIgnoringCase) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  auto email = tx->userEmails().add(rng_, clock_, alice.id, "Alice@Example.org");
  ASSERT_TRUE(email.has_value());

  auto before = tx->users().findByEmail("alice@example.org");
  auto confirmed = tx->userEmails().confirm(clock_, email->id);
  auto after = tx->users().findByEmail("ALICE@EXAMPLE.ORG");

  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->has_value());
  ASSERT_TRUE(confirmed && confirmed->has_value());
  EXPECT_EQ((*confirmed)->confirmed_at, clock_.now());
  ASSERT_TRUE(after && after->has_value());
  EXPECT_EQ((*after)->id, alice.id);
}

TEST_P(UserEmailConformanceTest, RefusesTheSameAddressTwiceForOneUserAsConflict) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  ASSERT_TRUE(tx->userEmails().add(rng_, clock_, alice.id, "alice@example.org"));

  auto again = tx->userEmails().add(rng_, clock_, alice.id, "ALICE@example.org");

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, StorageErrorCode::Conflict);
}

TEST_P(UserEmailConformanceTest, RefusesToConfirmAnAddressAnotherUserConfirmedAsConflict) {
  domain::User alice = addUser("alice");
  domain::User mallory = addUser("mallory");
  auto tx = begin();
  auto mine = tx->userEmails().add(rng_, clock_, alice.id, "alice@example.org");
  auto theirs = tx->userEmails().add(rng_, clock_, mallory.id, "alice@example.org");
  ASSERT_TRUE(mine && theirs);
  ASSERT_TRUE(tx->userEmails().confirm(clock_, mine->id));

  auto stolen = tx->userEmails().confirm(clock_, theirs->id);

  ASSERT_FALSE(stolen.has_value());
  EXPECT_EQ(stolen.error().code, StorageErrorCode::Conflict);
}

TEST_P(UserEmailConformanceTest, ConfirmingTwiceKeepsTheFirstTime) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  auto email = tx->userEmails().add(rng_, clock_, alice.id, "alice@example.org");
  Timestamp first_time = clock_.now();
  ASSERT_TRUE(tx->userEmails().confirm(clock_, email->id));
  clock_.advance(1h);

  auto again = tx->userEmails().confirm(clock_, email->id);

  ASSERT_TRUE(again && again->has_value());
  EXPECT_EQ((*again)->confirmed_at, first_time);
}

TEST_P(UserEmailConformanceTest, RemovesAnAddressOnce) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  auto email = tx->userEmails().add(rng_, clock_, alice.id, "alice@example.org");

  auto removed = tx->userEmails().remove(email->id);
  auto removed_again = tx->userEmails().remove(email->id);

  ASSERT_TRUE(removed && removed_again);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*removed_again);
  EXPECT_FALSE(tx->userEmails().lookup(email->id)->has_value());
}

TEST_P(UserEmailConformanceTest, AddingAnAddressForAnUnknownUserIsAConstraintViolation) {
  auto tx = begin();

  auto added = tx->userEmails().add(rng_, clock_, domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                                    "ghost@example.org");

  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, StorageErrorCode::Constraint);
}

class UserPasswordConformanceTest : public MigratedDatabaseTest {};

TEST_P(UserPasswordConformanceTest, TheNewestPasswordIsCurrentEvenWithinOneMillisecond) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  std::vector<domain::UserPassword> added;
  for (int i = 0; i < 5; ++i) {
    auto password = tx->userPasswords().add(rng_, clock_, alice.id,
                                            "$argon2id$" + std::to_string(i), 1, std::nullopt);
    ASSERT_TRUE(password.has_value()) << password.error().detail;
    added.push_back(*password);
  }

  auto current = tx->userPasswords().current(alice.id);

  ASSERT_TRUE(current && current->has_value());
  EXPECT_EQ(**current, added.back());
}

TEST_P(UserPasswordConformanceTest, HistoryIsNewestFirstAndKeepsUpgradeLinks) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  auto imported = tx->userPasswords().add(rng_, clock_, alice.id, "$2b$12$abc", 0, std::nullopt);
  ASSERT_TRUE(imported.has_value());
  clock_.advance(1s);
  auto upgraded =
      tx->userPasswords().add(rng_, clock_, alice.id, "$argon2id$v=19$x", 1, imported->id);
  ASSERT_TRUE(upgraded.has_value());

  auto history = tx->userPasswords().history(alice.id);

  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0], *upgraded);
  EXPECT_EQ((*history)[0].upgraded_from, imported->id);
  EXPECT_EQ((*history)[1], *imported);
}

TEST_P(UserPasswordConformanceTest, FindsAUserByLocalpartWithTheCurrentPasswordInOneRead) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::User carol = addUser("carol");
  std::vector<domain::UserPassword> alices;
  {
    auto tx = begin();
    for (int i = 0; i < 3; ++i) {
      auto added = tx->userPasswords().add(rng_, clock_, alice.id,
                                           "$argon2id$alice" + std::to_string(i), 1, std::nullopt);
      ASSERT_TRUE(added.has_value()) << added.error().detail;
      alices.push_back(*added);
    }
    ASSERT_TRUE(tx->userPasswords().add(rng_, clock_, bob.id, "$argon2id$bob", 1, std::nullopt));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->users().findByLocalpartWithPassword("ALICE");
  auto without = tx->users().findByLocalpartWithPassword("carol");
  auto unknown = tx->users().findByLocalpartWithPassword("dave");

  ASSERT_TRUE(found && found->has_value()) << (found ? "" : found.error().detail);
  EXPECT_EQ((*found)->user, alice);
  EXPECT_EQ((*found)->password, alices.back());
  EXPECT_EQ((*found)->password, **tx->userPasswords().current(alice.id));
  ASSERT_TRUE(without && without->has_value());
  EXPECT_EQ((*without)->user, carol);
  EXPECT_FALSE((*without)->password.has_value());
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(UserPasswordConformanceTest, AUserWithoutAPasswordHasNoCurrentOne) {
  domain::User alice = addUser("alice");
  auto tx = begin();

  auto current = tx->userPasswords().current(alice.id);

  ASSERT_TRUE(current.has_value());
  EXPECT_FALSE(current->has_value());
}

TEST_P(UserPasswordConformanceTest,
       PasswordsOfAnUnknownUserOrUpgradeSourceAreConstraintViolations) {
  domain::User alice = addUser("alice");
  {
    auto tx = begin();
    auto orphan = tx->userPasswords().add(
        rng_, clock_, domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), "$argon2id$x", 1, std::nullopt);
    ASSERT_FALSE(orphan.has_value());
    EXPECT_EQ(orphan.error().code, StorageErrorCode::Constraint);
  }
  auto tx = begin();

  auto dangling = tx->userPasswords().add(rng_, clock_, alice.id, "$argon2id$x", 1,
                                          domain::UserPasswordId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));

  ASSERT_FALSE(dangling.has_value());
  EXPECT_EQ(dangling.error().code, StorageErrorCode::Constraint);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UserConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, UserConformanceTest, ::testing::Values(Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, UserEmailConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, UserEmailConformanceTest, ::testing::Values(Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, UserPasswordConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, UserPasswordConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
