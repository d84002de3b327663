#include "web/account_profile.h"

#include <gtest/gtest.h>

#include "jobs/homeserver_jobs.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

constexpr const char* kProfilePassword = "correct horse battery";

class ProfilePagesTest : public test::WebTest {
 protected:
  ProfilePagesTest() {
    profile_ = std::make_unique<ProfilePages>(*kit_);
    alice_ = addUser("alice", kProfilePassword);
  }

  void signIn() { ASSERT_EQ(logIn("alice", kProfilePassword).status, 303); }

  // GET the page, then POST `display_name` with its CSRF token.
  http::Response save(const std::string& display_name) {
    const http::Response page = profile_->showProfile(get("/account/profile"));
    remember(page);
    EXPECT_EQ(page.status, 200) << page.body;
    http::Response response = profile_->submitProfile(
        post("/account/profile", {{"csrf", csrfOf(page)}, {"display_name", display_name}}));
    remember(response);
    return response;
  }

  std::optional<std::string> storedDisplayName() {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto user = (*tx)->users().lookup(alice_.id);
    EXPECT_TRUE(user && *user);
    return (*user)->display_name;
  }

  std::vector<domain::Job> dueJobs() {
    auto tx = database_->begin();
    auto jobs = (*tx)->jobs().claimDue(clock_, "reader", 1min, 100);
    EXPECT_TRUE(jobs.has_value());
    return jobs.value_or(std::vector<domain::Job>{});
  }

  std::unique_ptr<ProfilePages> profile_;
  domain::User alice_;
};

TEST_F(ProfilePagesTest, TheProfileNeedsASignIn) {
  const http::Response signed_out = profile_->showProfile(get("/account/profile"));

  EXPECT_EQ(signed_out.status, 303);
  EXPECT_EQ(test::locationOf(signed_out), "/login?next=%2Faccount%2Fprofile");
}

TEST_F(ProfilePagesTest, ShowsTheUserIdAndTheDisplayNameFormWithALabel) {
  signIn();

  const http::Response page = profile_->showProfile(get("/account/profile"));

  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("@alice:example.com"), std::string::npos);
  EXPECT_NE(page.body.find("<form id=\"profile\""), std::string::npos);
  EXPECT_NE(page.body.find("<label for=\"display_name\">Display name</label>"), std::string::npos);
  EXPECT_FALSE(csrfOf(page).empty());
}

TEST_F(ProfilePagesTest, SavingStoresTheTrimmedNameAndQueuesItsProvisioning) {
  signIn();

  const http::Response saved = save("  Alice \xc3\x89lise  ");

  EXPECT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(test::locationOf(saved), "/account/profile?saved=1");
  EXPECT_EQ(storedDisplayName(), "Alice \xc3\x89lise");
  const std::vector<domain::Job> jobs = dueJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, jobs::kProvisionUserJob);
  EXPECT_NE(jobs[0].payload.find("\"display_name\":true"), std::string::npos);
  const http::Response page = profile_->showProfile(get("/account/profile?saved=1"));
  EXPECT_NE(page.body.find("value=\"Alice \xc3\x89lise\""), std::string::npos);
  EXPECT_NE(page.body.find("Your profile has been saved."), std::string::npos);
}

TEST_F(ProfilePagesTest, AnEmptyNameClearsTheStoredOne) {
  signIn();
  ASSERT_EQ(save("Alice").status, 303);

  const http::Response cleared = save("   ");

  EXPECT_EQ(cleared.status, 303);
  EXPECT_EQ(storedDisplayName(), std::nullopt);
  EXPECT_EQ(dueJobs().size(), 2u);
}

TEST_F(ProfilePagesTest, InvalidNamesAreShownNextToTheFieldAndNothingIsStored) {
  signIn();
  std::string too_long;
  for (int i = 0; i < 257; ++i) too_long += "\xc3\xa9";

  for (const std::string& name : {too_long, std::string("Al\x07ice"), std::string("esc\x1b[31m"),
                                  std::string("c1\xc2\x9b")}) {
    const http::Response refused = save(name);

    EXPECT_EQ(refused.status, 400) << name;
    EXPECT_NE(refused.body.find("class=\"field-error\" id=\"display_name-error\""),
              std::string::npos);
    EXPECT_NE(refused.body.find("aria-invalid=\"true\""), std::string::npos);
  }
  EXPECT_EQ(storedDisplayName(), std::nullopt);
  EXPECT_TRUE(dueJobs().empty());
}

TEST_F(ProfilePagesTest, APostWithoutItsCsrfTokenIsRefused) {
  signIn();
  remember(profile_->showProfile(get("/account/profile")));

  const http::Response refused =
      profile_->submitProfile(post("/account/profile", {{"display_name", "Mallory"}}));

  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(storedDisplayName(), std::nullopt);
  EXPECT_TRUE(dueJobs().empty());
}

TEST(DisplayNameRules, CountsCodePointsAndRefusesControlCharacters) {
  std::string longest;
  for (std::size_t i = 0; i < kMaxDisplayNameLength; ++i) longest += "\xe2\x82\xac";

  EXPECT_EQ(displayNameProblem(longest), std::nullopt);
  EXPECT_NE(displayNameProblem(longest + "x"), std::nullopt);
  EXPECT_EQ(displayNameProblem("Zo\xc3\xab (she/her) \xf0\x9f\x8c\xbb"), std::nullopt);
  EXPECT_NE(displayNameProblem("new\nline"), std::nullopt);
  EXPECT_NE(displayNameProblem("del\x7f"), std::nullopt);
  EXPECT_NE(displayNameProblem("c1 \xc2\x85 control"), std::nullopt);
  EXPECT_NE(displayNameProblem("\xc3"), std::nullopt);
}

}  // namespace
}  // namespace mxauth::web
