// selfservice_site_test.cpp - the self-service Site with a real
// AccountStore: a web session ends when the account's password changes
// elsewhere (another session, the operator's `user passwd`) or the account
// is disabled; the session that changed the password goes on.
#include <gtest/gtest.h>

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
  std::string sign_in(const std::string& password = "correct horse battery") {
    WebResponse home = site_->handle({"GET", "/", "192.0.2.1", "", {}});
    auto anon = site_->sessions().find(home.set_session, SessionStore::Clock::now());
    EXPECT_TRUE(anon);
    WebResponse r = site_->handle(
        {"POST", "/signin", "192.0.2.1", anon->id, {{"csrf", anon->csrf}, {"account", "alice"}, {"password", password}}});
    EXPECT_EQ(r.location, "/") << r.body;
    return r.set_session;
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
