// selfservice_site_test.cpp - the self-service Site with a real
// AccountStore: a web session ends when the account's password changes
// elsewhere (another session, the operator's `user passwd`) or the account
// is disabled; the session that changed the password goes on. The holder
// acknowledges sole use of the mailbox only under a strong sign-in, with a
// CSRF token, recorded as "self-service:alice" with the time.
#include <gtest/gtest.h>

#include <ctime>

#include "auth_test_support.h"
#include "selfservice/site.h"

using namespace sm;
using namespace sm::selfservice;

namespace {

class SiteTest : public auth::test::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    add("alice", "correct horse battery");
    site_ = std::make_unique<Site>(*store_, throttle_, "Example Mail");
  }
  void TearDown() override {
    site_.reset();
    StoreTest::TearDown();
  }
  // A signed-in session id for alice.
  std::string sign_in(const std::string& password = "correct horse battery", const std::string& code = "") {
    WebResponse home = site_->handle({"GET", "/", "192.0.2.1", "", {}});
    auto anon = site_->sessions().find(home.set_session, SessionStore::Clock::now());
    EXPECT_TRUE(anon);
    WebResponse r = site_->handle(
        {"POST", "/signin", "192.0.2.1", anon->id, {{"csrf", anon->csrf}, {"account", "alice"}, {"password", password}, {"code", code}}});
    EXPECT_EQ(r.location, "/") << r.body;
    return r.set_session;
  }
  // A strong session: the password and one of the recovery codes.
  std::string strong_sign_in() {
    auto enrolment = store_->enrol_totp("alice", "Example Mail");
    EXPECT_TRUE(enrolment);
    return enrolment ? sign_in("correct horse battery", enrolment->recovery_codes.front()) : "";
  }
  WebResponse post(const std::string& id, const std::string& path, std::string csrf = "") {
    if (csrf.empty()) csrf = site_->sessions().find(id, SessionStore::Clock::now())->csrf;
    return site_->handle({"POST", path, "192.0.2.1", id, {{"csrf", csrf}}});
  }
  bool still_signed_in(const std::string& id) {
    WebResponse r = site_->handle({"GET", "/", "192.0.2.1", id, {}});
    return r.status == 200 && r.set_session.empty() && r.body.find("Sign in") == std::string::npos;
  }

  auth::Throttle throttle_{auth::ThrottleLimits{}};
  std::unique_ptr<Site> site_;  // after SetUp opened the store
};

}  // namespace

TEST_F(SiteTest, TheOperatorChangingThePasswordEndsTheSession) {
  std::string id = sign_in();
  ASSERT_TRUE(still_signed_in(id));
  ASSERT_TRUE(store_->set_password("alice", "a new long password"));
  WebResponse r = site_->handle({"GET", "/", "192.0.2.1", id, {}});
  EXPECT_EQ(r.location, "/");
  EXPECT_FALSE(r.set_session.empty());
  EXPECT_FALSE(site_->sessions().find(id, SessionStore::Clock::now()));
  WebResponse page = site_->handle({"GET", "/", "192.0.2.1", r.set_session, {}});
  EXPECT_NE(page.body.find("Please sign in again"), std::string::npos) << page.body;
}

TEST_F(SiteTest, DisablingTheAccountEndsTheSession) {
  std::string id = sign_in();
  ASSERT_TRUE(store_->set_enabled("alice", false));
  EXPECT_FALSE(still_signed_in(id));
  EXPECT_FALSE(site_->sessions().find(id, SessionStore::Clock::now()));
}

TEST_F(SiteTest, ChangingThePasswordHereKeepsThisSessionAndEndsTheOthers) {
  std::string here = sign_in();
  std::string elsewhere = sign_in();
  auto s = site_->sessions().find(here, SessionStore::Clock::now());
  ASSERT_TRUE(s);
  WebResponse r = site_->handle({"POST", "/password", "192.0.2.1", here,
                                {{"csrf", s->csrf},
                                 {"current", "correct horse battery"},
                                 {"new", "a new long password"},
                                 {"repeat", "a new long password"}}});
  ASSERT_EQ(r.location, "/") << r.status << r.body;
  EXPECT_TRUE(still_signed_in(here));
  EXPECT_FALSE(still_signed_in(elsewhere));
}

TEST_F(SiteTest, SoleUseIsAcknowledgedByTheHolderUnderAStrongSignIn) {
  std::string weak = sign_in();
  WebResponse page = site_->handle({"GET", "/", "192.0.2.1", weak, {}});
  EXPECT_EQ(page.body.find("action=\"/sole-user\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("sign in with your password and a one-time code"), std::string::npos) << page.body;
  WebResponse refused = post(weak, "/sole-user");
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("Strong sign-in needed"), std::string::npos);

  std::string strong = strong_sign_in();
  page = site_->handle({"GET", "/", "192.0.2.1", strong, {}});
  EXPECT_NE(page.body.find("action=\"/sole-user\""), std::string::npos) << page.body;
  EXPECT_EQ(post(strong, "/sole-user", std::string(64, '0')).status, 403);  // a wrong CSRF token
  auto before = store_->find("alice");
  ASSERT_TRUE(before && *before);
  EXPECT_FALSE((*before)->assurance.sole_user.set);

  std::int64_t now = std::time(nullptr);
  WebResponse done = post(strong, "/sole-user");
  EXPECT_EQ(done.location, "/") << done.status << done.body;
  auto after = store_->find("alice");
  ASSERT_TRUE(after && *after);
  const auth::Flag& flag = (*after)->assurance.sole_user;
  EXPECT_TRUE(flag.set);
  EXPECT_EQ(flag.by, "self-service:alice");
  EXPECT_GE(flag.at, now);
  EXPECT_LE(flag.at, now + 5);
  page = site_->handle({"GET", "/", "192.0.2.1", strong, {}});
  EXPECT_NE(page.body.find("Recorded: you are the only user of this mailbox."), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("yes, set by self-service:alice on "), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("action=\"/sole-user\""), std::string::npos) << page.body;
}

TEST_F(SiteTest, AnOperatorsSoleUseRecordStays) {
  ASSERT_TRUE(store_->set_flag("alice", "sole-user", true, "helpdesk"));
  std::string strong = strong_sign_in();
  EXPECT_EQ(post(strong, "/sole-user").location, "/");
  auto after = store_->find("alice");
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->assurance.sole_user.by, "helpdesk");
  WebResponse page = site_->handle({"GET", "/", "192.0.2.1", strong, {}});
  EXPECT_NE(page.body.find("Sole use is already recorded."), std::string::npos) << page.body;
}
