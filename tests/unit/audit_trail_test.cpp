// audit_trail_test.cpp - the audit trail: entries chained in order, listed
// by action prefix, reference and time; the triggers refuse changes; a
// file changed behind its back (triggers dropped through sqlite3) fails
// verify() naming the first bad entry.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

#include "audit/audit.h"
#include "temp_dir.h"

namespace sm::audit {
namespace {

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = AuditTrail::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    trail = std::move(*opened);
    add("officer:olga", "intercept.order.add", "bob@b.example", "LI-1", 1000);
    add("gateway", "intercept.copy", "Q1", "LI-1", 2000);
    add("officer:olga", "intercept.order.remove", "bob@b.example", "LI-1", 3000);
    add("operator:ann", "key.rotate", "ks-2", "", 4000);
  }
  void add(std::string_view actor, std::string_view action, std::string_view object, std::string_view ref,
           std::int64_t at) {
    auto e = trail->append(actor, action, object, ref, R"({"n":1})", at);
    ASSERT_TRUE(e) << e.error().text;
  }
  // Run SQL on the file directly, as someone with file access would.
  void tamper(const std::string& sql) {
    trail.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path / "audit.sqlite").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string why = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << why;
    auto opened = AuditTrail::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    trail = std::move(*opened);
  }
  std::string broken() {
    auto v = trail->verify();
    EXPECT_TRUE(v) << v.error().text;
    return v && *v ? **v : std::string();
  }
  test_support::TempDir dir{"sm-audit"};
  std::unique_ptr<AuditTrail> trail;
};

TEST_F(AuditTrailTest, EntriesAreChainedInOrder) {
  auto all = trail->list({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].seq, 1);
  EXPECT_EQ((*all)[0].prev_hash, std::string(64, '0'));
  for (std::size_t i = 1; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ((*all)[i].prev_hash, (*all)[i - 1].hash);
    EXPECT_EQ((*all)[i].hash.size(), 64u);
  }
  EXPECT_EQ((*all)[1].details, R"({"n":1})");
  auto ok = trail->verify();
  ASSERT_TRUE(ok);
  EXPECT_FALSE(*ok);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "audit.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditTrailTest, ListFiltersByActionReferenceAndTime) {
  AuditTrail::Filter f;
  f.action_prefix = "intercept.order.";
  auto orders = trail->list(f);
  ASSERT_TRUE(orders);
  ASSERT_EQ(orders->size(), 2u);
  EXPECT_EQ((*orders)[1].action, "intercept.order.remove");

  f = {};
  f.reference = "LI-1";
  f.since = 2000;
  auto since = trail->list(f);
  ASSERT_TRUE(since);
  ASSERT_EQ(since->size(), 2u);
  EXPECT_EQ((*since)[0].action, "intercept.copy");

  f = {};
  f.action_prefix = "intercept_";  // "_" is no wildcard
  EXPECT_TRUE(trail->list(f)->empty());
  f = {};
  f.limit = 1;
  EXPECT_EQ(trail->list(f)->size(), 1u);
}

TEST_F(AuditTrailTest, ChangesAndRemovalsAreRefused) {
  trail.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path / "audit.sqlite").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE entries SET actor = 'x' WHERE seq = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM entries WHERE seq = 4", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto opened = AuditTrail::open(dir.path);
  ASSERT_TRUE(opened);
  EXPECT_EQ((*opened)->list({})->size(), 4u);
  EXPECT_FALSE(*(*opened)->verify());
}

TEST_F(AuditTrailTest, ChangedContentIsNamed) {
  tamper("DROP TRIGGER entries_no_update; UPDATE entries SET object = 'eve@b.example' WHERE seq = 2");
  std::string why = broken();
  EXPECT_NE(why.find("entry 2 "), std::string::npos) << why;
  EXPECT_NE(why.find("does not match its hash"), std::string::npos) << why;
}

TEST_F(AuditTrailTest, ReplacedHashIsNamed) {
  tamper("DROP TRIGGER entries_no_update; UPDATE entries SET hash = printf('%064d', 7) WHERE seq = 2");
  std::string why = broken();
  EXPECT_NE(why.find("entry 2 "), std::string::npos) << why;
}

TEST_F(AuditTrailTest, RemovedEntryIsNamed) {
  tamper("DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = 2");
  std::string why = broken();
  EXPECT_NE(why.find("entry 3 "), std::string::npos) << why;
  EXPECT_NE(why.find("entry 2 is missing"), std::string::npos) << why;
}

TEST_F(AuditTrailTest, AppendAfterReopenContinuesTheChain) {
  trail.reset();
  auto opened = AuditTrail::open(dir.path);
  ASSERT_TRUE(opened);
  auto e = (*opened)->append("gateway", "intercept.copy", "Q2", "LI-1", "", 5000);
  ASSERT_TRUE(e) << e.error().text;
  EXPECT_EQ(e->seq, 5);
  EXPECT_EQ(e->details, "{}");
  EXPECT_FALSE(*(*opened)->verify());
}

TEST(AuditTrailOpen, UnwritableFolderIsAnError) {
  auto opened = AuditTrail::open("/nonexistent-sm-audit/x");
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().text.find("audit.sqlite"), std::string::npos) << opened.error().text;
}

}  // namespace
}  // namespace sm::audit
