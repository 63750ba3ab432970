// admin_tokens_test.cpp - the admin API token store: tokens shown once,
// only their hash kept, scopes, revocation, bad names, file mode.
#include "admin/admin_tokens.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "temp_dir.h"

using namespace sm;
using test_support::TempDir;

TEST(AdminTokens, CreateCheckListRevoke) {
  TempDir dir;
  auto store = admin::TokenStore::open(dir.path);
  ASSERT_TRUE(store) << store.error().text;
  auto token = (*store)->create("ops", admin::Scope::write, 1000);
  ASSERT_TRUE(token) << token.error().text;
  EXPECT_TRUE(token->starts_with("smt_"));
  EXPECT_EQ(token->size(), 4u + 43u);  // 256 bits in base64url without padding
  EXPECT_EQ(token->find_first_of("+/="), std::string::npos);

  auto known = (*store)->check(*token, 2000);
  ASSERT_TRUE(known && *known);
  EXPECT_EQ((*known)->name, "ops");
  EXPECT_EQ((*known)->scope, admin::Scope::write);

  auto other = (*store)->create("viewer", admin::Scope::read, 1500);
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *token);
  auto all = (*store)->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "ops");
  EXPECT_EQ((*all)[0].created, 1000);
  EXPECT_EQ((*all)[0].last_used, 2000);
  EXPECT_EQ((*all)[1].scope, admin::Scope::read);
  EXPECT_EQ((*all)[1].last_used, 0);

  ASSERT_TRUE((*store)->revoke("ops"));
  auto gone = (*store)->check(*token, 3000);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_FALSE((*store)->revoke("ops"));  // nothing left to revoke
}

TEST(AdminTokens, OnlyTheHashIsStoredAndTheFileIsPrivate) {
  TempDir dir;
  std::string token;
  {
    auto store = admin::TokenStore::open(dir.path);
    ASSERT_TRUE(store);
    token = *(*store)->create("ops", admin::Scope::read, 1);
  }
  for (const char* name : {"admin.sqlite", "admin.sqlite-wal"}) {
    std::ifstream in(dir.path / name, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    EXPECT_EQ(all.str().find(token.substr(4)), std::string::npos) << name;
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "admin.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(AdminTokens, RefusesBadAndDuplicateNamesAndUnknownTokens) {
  TempDir dir;
  auto store = admin::TokenStore::open(dir.path);
  ASSERT_TRUE(store);
  EXPECT_FALSE((*store)->create("", admin::Scope::read, 1));
  EXPECT_FALSE((*store)->create("has space", admin::Scope::read, 1));
  EXPECT_FALSE((*store)->create(std::string(65, 'a'), admin::Scope::read, 1));
  ASSERT_TRUE((*store)->create("ops", admin::Scope::read, 1));
  auto dup = (*store)->create("ops", admin::Scope::write, 1);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().text.find("exists already"), std::string::npos);
  for (const char* bad : {"", "smt_", "smt_AAAA", "Bearer x", "ops"}) {
    auto r = (*store)->check(bad, 1);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r) << bad;
  }
  EXPECT_EQ(admin::parse_scope("write"), admin::Scope::write);
  EXPECT_FALSE(admin::parse_scope("admin"));
}
