// pickup_accounts_test.cpp - returning recipients' accounts: the store
// (recipients.h: one use per TOTP step, the lock, the single-use reset
// link, idle removal) on a real SQLite file, and the pages (site_account.cpp)
// on the pickup site fixture: set up after a code sign-in, then password and
// authenticator instead of a mailed code, wrong ones counted and locking,
// the reset link, removal, and nothing of it when [pickup] accounts is off.
#include "pickup/recipients.h"

#include <gtest/gtest.h>

#include "auth/secrets.h"
#include "pickup_site_fixture.h"

namespace sm::pickup {
namespace {

namespace secrets = auth::secrets;

constexpr std::int64_t kNow = 1'800'000'000;

class RecipientStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = RecipientAccounts::open(RecipientAccounts::file_in(dir_.path));
    ASSERT_TRUE(opened) << opened.error().text;
    accounts_.emplace(std::move(*opened));
    ASSERT_TRUE(accounts_->create("bob@example.org", "hash", "seed", 100, kNow));
  }
  test_support::TempDir dir_;
  std::optional<RecipientAccounts> accounts_;
};

TEST_F(RecipientStore, OneAccountPerAddress) {
  auto again = accounts_->create("bob@example.org", "other", "seed2", 1, kNow);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, 409);
  EXPECT_EQ(accounts_->find("bob@example.org")->password_hash, "hash");
  EXPECT_EQ(accounts_->list().size(), 1u);
  EXPECT_EQ(*accounts_->remove("bob@example.org"), true);
  EXPECT_EQ(*accounts_->remove("bob@example.org"), false);
  EXPECT_FALSE(accounts_->find("bob@example.org"));
}

TEST_F(RecipientStore, ATotpStepIsSpentOnce) {
  EXPECT_FALSE(*accounts_->signed_in("bob@example.org", 100, kNow));  // spent at set-up
  EXPECT_TRUE(*accounts_->signed_in("bob@example.org", 101, kNow));
  EXPECT_FALSE(*accounts_->signed_in("bob@example.org", 101, kNow));
  EXPECT_FALSE(*accounts_->signed_in("bob@example.org", 100, kNow));
  EXPECT_EQ(accounts_->find("bob@example.org")->last_step, 101);
}

TEST_F(RecipientStore, FiveFailuresLockAndARightSignInClearsTheCount) {
  for (int i = 1; i < 5; ++i) EXPECT_EQ(accounts_->failed("bob@example.org", 5, kNow + 900)->failures, i);
  auto locked = accounts_->failed("bob@example.org", 5, kNow + 900);
  EXPECT_EQ(locked->locked_until, kNow + 900);
  EXPECT_EQ(locked->failures, 0);
  EXPECT_EQ(accounts_->failed("bob@example.org", 5, kNow + 999)->failures, 1);
  EXPECT_TRUE(*accounts_->signed_in("bob@example.org", 200, kNow));
  EXPECT_EQ(accounts_->find("bob@example.org")->failures, 0);
  EXPECT_FALSE(accounts_->failed("nobody@example.org", 5, kNow));
}

TEST_F(RecipientStore, AResetLinkWorksOnceAndOnlyInTime) {
  EXPECT_FALSE(accounts_->by_reset("", kNow));
  ASSERT_TRUE(accounts_->reset_sent("bob@example.org", "r1", "P-1", kNow));
  ASSERT_TRUE(accounts_->failed("bob@example.org", 1, kNow + 900));
  EXPECT_EQ(accounts_->by_reset("r1", kNow + 60)->address, "bob@example.org");
  EXPECT_FALSE(accounts_->by_reset("r1", kNow + kResetSeconds));
  EXPECT_FALSE(*accounts_->reset("r1", "new", "seed2", 300, kNow + kResetSeconds));  // too late
  EXPECT_FALSE(*accounts_->reset("r2", "new", "seed2", 300, kNow + 60));             // not one we sent
  EXPECT_TRUE(*accounts_->reset("r1", "new", "seed2", 300, kNow + 60));
  EXPECT_FALSE(*accounts_->reset("r1", "newer", "seed3", 301, kNow + 61));  // used
  auto a = accounts_->find("bob@example.org");
  EXPECT_EQ(a->password_hash, "new");
  EXPECT_EQ(a->totp_seed, "seed2");
  EXPECT_EQ(a->last_step, 300);
  EXPECT_EQ(a->locked_until, 0);  // the reset unlocks
  EXPECT_FALSE(accounts_->by_reset("r1", kNow + 62));
  // A newer link replaces an older one.
  ASSERT_TRUE(accounts_->reset_sent("bob@example.org", "r3", "P-1", kNow + 100));
  ASSERT_TRUE(accounts_->reset_sent("bob@example.org", "r4", "P-1", kNow + 200));
  EXPECT_FALSE(accounts_->by_reset("r3", kNow + 201));
  EXPECT_TRUE(accounts_->by_reset("r4", kNow + 201));
}

TEST_F(RecipientStore, IdleAccountsGo) {
  ASSERT_TRUE(accounts_->create("carol@example.org", "h", "s", 1, kNow + 1000));
  auto gone = accounts_->remove_idle(kNow + 500);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, std::vector<std::string>{"bob@example.org"});
  EXPECT_TRUE(accounts_->find("carol@example.org"));
}

// The pages, on the site fixture with accounts on.
class PickupAccounts : public PickupSite {
 protected:
  void configure(SiteOptions& o) override {
    auto opened = RecipientAccounts::open(RecipientAccounts::file_in(dir_.path));
    ASSERT_TRUE(opened);
    accounts_.emplace(std::move(*opened));
    o.accounts = &*accounts_;
    o.send_account_mail = [this](const Pickup& p, AccountMail kind, const std::string& link) -> Result<void> {
      mails_.push_back({kind, link});
      mail_to_.push_back(p.recipient);
      return {};
    };
  }

  std::string pending_seed(const std::string& session) {
    auto s = site_->sessions().find(session, admin::SessionStore::Clock::now());
    return s && s->pending_totp ? s->pending_totp->seed : "";
  }
  std::string code_for(const std::string& seed, std::int64_t at) { return *secrets::totp_code(seed, at / 30); }

  // Signed in with a mailed code, then an account set up: returns its seed.
  std::string make_account() {
    auto [session, csrf] = sign_in();
    auto shown = request("GET", "/account", session);
    EXPECT_EQ(shown.status, 200);
    const std::string seed = pending_seed(session);
    auto made = request("POST", "/account", session,
                        {{"csrf", csrf}, {"password", "correct horse"}, {"repeat", "correct horse"},
                         {"code", code_for(seed, now_)}});
    EXPECT_EQ(made.location, "/read");
    request("POST", "/sign-out", session, {{"csrf", csrf}});
    return seed;
  }
  admin::WebResponse password_sign_in(const std::string& password, const std::string& code,
                                      std::pair<std::string, std::string> at) {
    return request("POST", "/p/" + token_ + "/password", at.first,
                   {{"csrf", at.second}, {"password", password}, {"code", code}});
  }

  std::optional<RecipientAccounts> accounts_;
  std::vector<std::pair<AccountMail, std::string>> mails_;
  std::vector<std::string> mail_to_;
};

TEST_F(PickupAccounts, SetUpAfterACodeSignInWithTheAppConfirmed) {
  auto [session, csrf] = sign_in();
  auto page = request("GET", "/read", session);
  EXPECT_NE(page.body.find("href=\"/account\""), std::string::npos);
  auto shown = request("GET", "/account", session);
  EXPECT_NE(shown.body.find("data:image/png;base64,"), std::string::npos);
  const std::string seed = pending_seed(session);
  ASSERT_EQ(seed.size(), secrets::kSeedBytes);
  EXPECT_NE(shown.body.find(*secrets::base32(seed)), std::string::npos);
  // Each wrong form keeps the same pending seed and makes nothing.
  auto r = request("POST", "/account", session,
                   {{"csrf", csrf}, {"password", "correct horse"}, {"repeat", "correct horse"}, {"code", "000000"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not the app&#39;s current code"), std::string::npos) << r.body;
  r = request("POST", "/account", session,
              {{"csrf", csrf}, {"password", "correct horse"}, {"repeat", "correct horsf"}, {"code", code_for(seed, now_)}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not the same"), std::string::npos);
  r = request("POST", "/account", session,
              {{"csrf", csrf}, {"password", "short"}, {"repeat", "short"}, {"code", code_for(seed, now_)}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("too short"), std::string::npos);
  r = request("POST", "/account", session, {{"password", "correct horse"}, {"repeat", "correct horse"},
                                            {"code", code_for(seed, now_)}});
  EXPECT_EQ(r.status, 403);  // no form token
  EXPECT_FALSE(accounts_->find("bob@example.org"));
  EXPECT_EQ(pending_seed(session), seed);
  r = request("POST", "/account", session,
              {{"csrf", csrf}, {"password", "correct horse"}, {"repeat", "correct horse"}, {"code", code_for(seed, now_)}});
  EXPECT_EQ(r.location, "/read");
  auto a = accounts_->find("bob@example.org");
  ASSERT_TRUE(a);
  EXPECT_TRUE(secrets::verify_password(a->password_hash, "correct horse"));
  EXPECT_EQ(a->totp_seed, seed);
  EXPECT_EQ(pending_seed(session), "");
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].first, AccountMail::created);
  EXPECT_EQ(mail_to_[0], "bob@example.org");
  EXPECT_EQ(told_.back(), "alice@a.example account created by the recipient");
  EXPECT_NE(request("GET", "/read", session).body.find("Remove my account"), std::string::npos);
}

TEST_F(PickupAccounts, WithAnAccountTheLinkAsksForPasswordAndCodeAndMailsNoCode) {
  const std::string seed = make_account();
  const std::size_t codes = sent_.size();
  auto at = open_link();
  auto landing = request("GET", "/p/" + token_, at.first);
  EXPECT_NE(landing.body.find("/password"), std::string::npos);
  EXPECT_EQ(landing.body.find("Email me a sign-in code"), std::string::npos);
  auto r = request("POST", "/p/" + token_, at.first, {{"csrf", at.second}});
  EXPECT_NE(r.body.find("This address has an account"), std::string::npos);
  EXPECT_EQ(sent_.size(), codes);  // no code mailed
  now_ += 60;
  r = password_sign_in("correct horse", code_for(seed, now_), at);
  EXPECT_EQ(r.location, "/read");
  EXPECT_EQ(told_.back(), "alice@a.example opened opened again by the recipient with their account");
  auto signed_in = site_->sessions().find(r.set_session, admin::SessionStore::Clock::now());
  ASSERT_TRUE(signed_in);
  EXPECT_EQ(request("GET", "/read", signed_in->id).status, 200);
  // The same code again (within its 30 s) is a replay: refused.
  auto again = open_link();
  r = password_sign_in("correct horse", code_for(seed, now_), again);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("not right"), std::string::npos);
}

TEST_F(PickupAccounts, WrongSignInsCountLikeWrongCodesAndLock) {
  const std::string seed = make_account();
  auto at = open_link();
  now_ += 60;
  auto r = password_sign_in("wrong horse", code_for(seed, now_), at);  // right code, wrong password
  EXPECT_NE(r.body.find("The password or the code is not right. 4 tries left."), std::string::npos);
  r = password_sign_in("correct horse", "123456", at);
  EXPECT_NE(r.body.find("3 tries left"), std::string::npos);
  r = password_sign_in("correct horse", "", at);
  r = password_sign_in("", "", at);
  r = password_sign_in("correct horse", code_for(seed, now_ - 300), at);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(told_.back().rfind("alice@a.example locked 5 wrong sign-ins", 0), 0u) << told_.back();
  EXPECT_GT(accounts_->find("bob@example.org")->locked_until, now_);
  // Locked: even the right password and code do not open it.
  r = password_sign_in("correct horse", code_for(seed, now_ + 30), at);
  EXPECT_EQ(r.status, 429);
}

TEST_F(PickupAccounts, AResetLinkSetsANewPasswordAndAppOnce) {
  const std::string old_seed = make_account();
  auto at = open_link();
  auto r = request("POST", "/p/" + token_ + "/reset", at.first, {{"csrf", at.second}});
  EXPECT_NE(r.body.find("We sent a reset link"), std::string::npos);
  ASSERT_EQ(mails_.back().first, AccountMail::reset_link);
  const std::string link = mails_.back().second;
  ASSERT_EQ(link.rfind("https://pickup.a.example/reset/", 0), 0u);
  const std::string path = link.substr(std::string("https://pickup.a.example").size());
  EXPECT_EQ(Site::loggable(path), "/reset/\xe2\x80\xa6");
  // Asked again at once: no second mail.
  const std::size_t mails = mails_.size();
  r = request("POST", "/p/" + token_ + "/reset", at.first, {{"csrf", at.second}});
  EXPECT_NE(r.body.find("less than 5 minutes ago"), std::string::npos);
  EXPECT_EQ(mails_.size(), mails);
  // Opened (any number of times, as scanners do): nothing changes.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request("GET", path).status, 200);
  auto opened = request("GET", path);
  const std::string session = opened.set_session;
  const std::string csrf = site_->sessions().find(session, admin::SessionStore::Clock::now())->csrf;
  const std::string seed = pending_seed(session);
  ASSERT_FALSE(seed.empty());
  EXPECT_NE(seed, old_seed);
  EXPECT_TRUE(secrets::verify_password(accounts_->find("bob@example.org")->password_hash, "correct horse"));
  now_ += 120;
  r = request("POST", path, session, {{"csrf", csrf}, {"password", "battery staple"}, {"repeat", "battery staple"},
                                      {"code", code_for(seed, now_)}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Account reset"), std::string::npos);
  EXPECT_EQ(mails_.back().first, AccountMail::reset_done);
  EXPECT_EQ(mail_to_.back(), "bob@example.org");
  auto a = accounts_->find("bob@example.org");
  EXPECT_TRUE(secrets::verify_password(a->password_hash, "battery staple"));
  EXPECT_EQ(a->totp_seed, seed);
  // Used: gone for good.
  EXPECT_EQ(request("GET", path).status, 410);
  r = request("POST", path, session, {{"csrf", csrf}, {"password", "third horse"}, {"repeat", "third horse"},
                                      {"code", code_for(seed, now_ + 30)}});
  EXPECT_EQ(r.status, 410);
  // The old password and app no longer open the message; the new ones do.
  now_ += 60;
  auto back = open_link();
  EXPECT_NE(password_sign_in("correct horse", code_for(old_seed, now_), back).body.find("not right"), std::string::npos);
  EXPECT_EQ(password_sign_in("battery staple", code_for(seed, now_), back).location, "/read");
}

TEST_F(PickupAccounts, AResetLinkExpiresAndAnUnknownOneIsGone) {
  make_account();
  auto at = open_link();
  request("POST", "/p/" + token_ + "/reset", at.first, {{"csrf", at.second}});
  const std::string path = mails_.back().second.substr(std::string("https://pickup.a.example").size());
  now_ += kResetSeconds;
  EXPECT_EQ(request("GET", path).status, 410);
  EXPECT_EQ(request("GET", "/reset/" + new_token()).status, 410);
  EXPECT_EQ(request("GET", "/reset/").status, 410);
}

TEST_F(PickupAccounts, RemovingTheAccountBringsBackTheMailedCode) {
  make_account();
  ASSERT_TRUE(accounts_->find("bob@example.org"));
  // Signed in again with the account, then removed from the message page.
  auto at = open_link();
  now_ += 60;
  auto seed = accounts_->find("bob@example.org")->totp_seed;
  auto r = password_sign_in("correct horse", code_for(seed, now_), at);
  auto s = site_->sessions().find(r.set_session, admin::SessionStore::Clock::now());
  ASSERT_TRUE(s);
  EXPECT_EQ(request("POST", "/account/remove", s->id, {}).status, 403);  // no form token
  EXPECT_EQ(request("POST", "/account/remove", s->id, {{"csrf", s->csrf}}).location, "/read");
  EXPECT_FALSE(accounts_->find("bob@example.org"));
  EXPECT_EQ(mails_.back().first, AccountMail::removed);
  EXPECT_NE(request("GET", "/p/" + token_).body.find("Email me a sign-in code"), std::string::npos);
}

TEST_F(PickupSite, WithAccountsOffThereAreNoAccountPages) {
  auto [session, csrf] = sign_in();
  EXPECT_EQ(request("GET", "/read", session).body.find("/account"), std::string::npos);
  EXPECT_EQ(request("GET", "/account", session).status, 404);
  EXPECT_EQ(request("POST", "/account", session, {{"csrf", csrf}}).status, 404);
  EXPECT_EQ(request("GET", "/reset/" + new_token()).status, 404);
  EXPECT_EQ(request("POST", "/p/" + token_ + "/password", session, {{"csrf", csrf}}).status, 404);
}

}  // namespace
}  // namespace sm::pickup
