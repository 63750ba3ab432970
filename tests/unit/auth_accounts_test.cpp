// auth_accounts_test.cpp - AccountStore's accounts: adding, finding,
// addresses, flags, the file's mode, and password sign-in (argon2id round
// trip, wrong password, unknown and disabled accounts failing alike,
// strong_required refusing the password alone, rehash on sign-in).
#include <sodium.h>
#include <sys/stat.h>

#include "auth_test_support.h"
#include "auth/secrets.h"
#include <sqlite3.h>

using namespace sm::auth;
using sm::auth::test::StoreTest;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

using AccountsTest = StoreTest;

}  // namespace

TEST_F(AccountsTest, AddFindListOwner) {
  ASSERT_TRUE(store_->add("Alice", {"Alice@Mail.Example", "a.smith@mail.example"}, "correct horse"));
  auto a = store_->find("ALICE");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->name, "alice");
  EXPECT_EQ((*a)->addresses, (std::vector<std::string>{"alice@mail.example", "a.smith@mail.example"}));
  EXPECT_TRUE((*a)->enabled);
  EXPECT_FALSE((*a)->totp);
  EXPECT_FALSE((*a)->strong_capable());
  EXPECT_GT((*a)->created_at, 0);
  auto owner = store_->owner_of("A.Smith@MAIL.example");
  ASSERT_TRUE(owner && *owner);
  EXPECT_EQ(**owner, "alice");
  EXPECT_FALSE(*store_->owner_of("bob@mail.example"));
  add("bob");
  auto all = store_->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_EQ((*all)[1].name, "bob");
  EXPECT_FALSE(*store_->find("carol"));
}

TEST_F(AccountsTest, FileIsPrivate) {
  add("alice");
  struct stat st {};
  ASSERT_EQ(::stat(AccountStore::file(dir_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AccountsTest, BadInputRefusedWithReasons) {
  auto r = store_->add("-bad", {"x@mail.example"}, "correct horse");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("bad account name \"-bad\""), std::string::npos);
  r = store_->add("ok", {}, "correct horse");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("needs at least one address"), std::string::npos);
  r = store_->add("ok", {"no-at-sign"}, "correct horse");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("bad address \"no-at-sign\""), std::string::npos);
  r = store_->add("ok", {"ok@mail.example"}, "short");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("too short"), std::string::npos);
  r = store_->add("ok", {"ok@mail.example"}, std::string("line\nbreak"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("control character"), std::string::npos);
  EXPECT_TRUE(store_->list()->empty());
}

TEST_F(AccountsTest, DuplicatesRefused) {
  add("alice");
  auto r = store_->add("alice", {"other@mail.example"}, "correct horse");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("account \"alice\" already exists"), std::string::npos);
  r = store_->add("bob", {"ALICE@mail.example"}, "correct horse");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("alice@mail.example already belongs to account \"alice\""), std::string::npos);
  EXPECT_FALSE(*store_->find("bob"));  // nothing half-added
}

TEST_F(AccountsTest, Addresses) {
  add("alice");
  ASSERT_TRUE(store_->add_address("alice", "Sales@mail.example"));
  EXPECT_EQ((*store_->find("alice"))->addresses.back(), "sales@mail.example");
  add("bob");
  EXPECT_FALSE(store_->add_address("bob", "sales@mail.example"));
  auto r = store_->remove_address("bob", "sales@mail.example");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("account \"bob\" has no address sales@mail.example"), std::string::npos);
  ASSERT_TRUE(store_->remove_address("alice", "sales@mail.example"));
  r = store_->remove_address("alice", "alice@mail.example");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("only address"), std::string::npos);
  EXPECT_FALSE(store_->add_address("nobody", "n@mail.example"));
}

TEST_F(AccountsTest, RemoveFreesTheAddresses) {
  add("alice");
  ASSERT_TRUE(store_->remove("alice"));
  EXPECT_FALSE(*store_->find("alice"));
  EXPECT_FALSE(*store_->owner_of("alice@mail.example"));
  EXPECT_TRUE(store_->add("alice2", {"alice@mail.example"}, "correct horse"));
  auto r = store_->remove("alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text, "no account \"alice\"");
}

TEST_F(AccountsTest, PasswordRoundTripAndWrongPassword) {
  add("alice", "correct horse");
  auto ok = store_->check("Alice", "correct horse", kNow);
  ASSERT_TRUE(ok) << ok.error().reply();
  EXPECT_EQ(ok->account, "alice");
  EXPECT_EQ(ok->method, Method::password);
  EXPECT_FALSE(ok->strong);
  EXPECT_TRUE(denied(store_->check("alice", "correct horsE", kNow)));
  EXPECT_TRUE(denied(store_->check("alice", "", kNow)));
  ASSERT_TRUE(store_->set_password("alice", "battery staple"));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse", kNow)));
  EXPECT_TRUE(store_->check("alice", "battery staple", kNow));
}

TEST_F(AccountsTest, UnknownAndDisabledFailAlike) {
  add("alice");
  auto unknown = store_->check("nobody", "correct horse", kNow);
  EXPECT_TRUE(denied(unknown));
  ASSERT_TRUE(store_->set_enabled("alice", false));
  EXPECT_FALSE((*store_->find("alice"))->enabled);
  auto disabled = store_->check("alice", "correct horse", kNow);
  EXPECT_TRUE(denied(disabled));
  EXPECT_EQ(disabled.error().reply(), unknown.error().reply());
  ASSERT_TRUE(store_->set_enabled("alice", true));
  EXPECT_TRUE(store_->check("alice", "correct horse", kNow));
}

TEST_F(AccountsTest, StrongRequiredRefusesThePasswordAlone) {
  add("alice");
  ASSERT_TRUE(store_->set_flag("alice", "strong-required", true, "ops"));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse", kNow)));
  ASSERT_TRUE(store_->set_flag("alice", "strong-required", false, "ops"));
  EXPECT_TRUE(store_->check("alice", "correct horse", kNow));
}

TEST_F(AccountsTest, Flags) {
  add("alice");
  ASSERT_TRUE(store_->set_flag("alice", "identity-verified", true, "ops:carol", "document"));
  ASSERT_TRUE(store_->set_flag("alice", "sole-user", true, "self-service:alice"));
  auto a = *store_->find("alice");
  EXPECT_TRUE(a->assurance.identity_verified.set);
  EXPECT_EQ(a->assurance.identity_verified.by, "ops:carol");
  EXPECT_EQ(a->assurance.identity_verified.level, "document");
  EXPECT_GT(a->assurance.identity_verified.at, 0);
  EXPECT_TRUE(a->assurance.sole_user.set);
  EXPECT_FALSE(a->assurance.strong_required.set);
  ASSERT_TRUE(store_->set_flag("alice", "sole-user", false, ""));
  EXPECT_FALSE((*store_->find("alice"))->assurance.sole_user.set);

  auto r = store_->set_flag("alice", "vip", true, "ops");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("unknown flag \"vip\""), std::string::npos);
  r = store_->set_flag("alice", "identity-verified", true, "ops");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("needs a level"), std::string::npos);
  EXPECT_FALSE(store_->set_flag("alice", "sole-user", true, "ops", "document"));
  EXPECT_FALSE(store_->set_flag("alice", "identity-verified", true, "ops", "Bad Level"));
  EXPECT_FALSE(store_->set_flag("alice", "sole-user", true, ""));
  EXPECT_FALSE(store_->set_flag("nobody", "sole-user", true, "ops"));
}

// A hash made with weaker limits (an older release) is replaced on sign-in.
TEST_F(AccountsTest, WeakerHashUpgradedOnSignIn) {
  add("alice");
  char weak[crypto_pwhash_STRBYTES];
  ASSERT_EQ(sodium_init() >= 0, true);
  ASSERT_EQ(crypto_pwhash_str(weak, "correct horse", 13, 1, 8u << 20), 0);
  ASSERT_TRUE(secrets::needs_rehash(weak));
  auto stored = [&] {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(AccountStore::file(dir_).c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT password FROM accounts WHERE name = 'alice'", -1, &s, nullptr);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    std::string hash = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return hash;
  };
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(AccountStore::file(dir_).c_str(), &db), SQLITE_OK);
    std::string sql = std::string("UPDATE accounts SET password = '") + weak + "' WHERE name = 'alice'";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_TRUE(secrets::needs_rehash(stored()));
  ASSERT_TRUE(store_->check("alice", "correct horse", kNow));
  std::string upgraded = stored();
  EXPECT_FALSE(secrets::needs_rehash(upgraded));
  EXPECT_NE(upgraded.find("$argon2id$"), std::string::npos);
  EXPECT_TRUE(store_->check("alice", "correct horse", kNow));
}

// Inbound mail that needs strong authentication waits for this.
TEST_F(AccountsTest, StrongCapableOnlyWithTotpOrAStrongDevice) {
  add("bob");
  ASSERT_TRUE(store_->add_device("bob", "old-laptop", false));
  EXPECT_FALSE((*store_->find("bob"))->strong_capable());
  ASSERT_TRUE(store_->add_device("bob", "phone", true));
  EXPECT_TRUE((*store_->find("bob"))->strong_capable());
  ASSERT_TRUE(store_->remove_device("bob", "phone"));
  EXPECT_FALSE((*store_->find("bob"))->strong_capable());
}
