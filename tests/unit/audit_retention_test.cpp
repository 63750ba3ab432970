// audit_retention_test.cpp - pruning the audit trail behind a chained
// checkpoint: verify() passes after pruning and after appending on from the
// checkpoint; fails after a row is changed, a middle row removed, rows
// reordered, or the checkpoint moved; the delete trigger still refuses
// entries above the checkpoint. Also hashed addresses in entries.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "audit/audit.h"
#include "temp_dir.h"
#include "util/log_privacy.h"

namespace sm::audit {
namespace {

class AuditRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reopen();
    for (int i = 1; i <= 5; ++i) {
      auto e = trail->append("gateway", "mail.spoof", "c" + std::to_string(i) + ".example", "", R"({"n":1})", i * 1000);
      ASSERT_TRUE(e) << e.error().text;
    }
  }
  void reopen() {
    trail.reset();
    auto opened = AuditTrail::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    trail = std::move(*opened);
  }
  int sql(const std::string& text) {
    trail.reset();
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir.path / "audit.sqlite").c_str(), &db), SQLITE_OK);
    int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    reopen();
    return rc;
  }
  std::string broken() {
    auto v = trail->verify();
    EXPECT_TRUE(v) << v.error().text;
    return v && *v ? **v : std::string();
  }
  test_support::TempDir dir{"sm-audit-retention"};
  std::unique_ptr<AuditTrail> trail;
};

TEST_F(AuditRetentionTest, PruneKeepsTheChainVerifiable) {
  auto removed = trail->prune(2500, 9000);  // entries at 1000 and 2000
  ASSERT_TRUE(removed) << removed.error().text;
  EXPECT_EQ(*removed, 2u);
  auto all = trail->list({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);  // 3, 4, 5 and the checkpoint entry 6
  EXPECT_EQ(all->front().seq, 3);
  EXPECT_EQ(all->back().action, "audit.pruned");
  auto cp = trail->checkpoint();
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->seq, 2);
  EXPECT_EQ(cp->hash, all->front().prev_hash);
  EXPECT_EQ(broken(), "");
  EXPECT_EQ(*trail->prune(2500, 9100), 0u);  // nothing older left
  ASSERT_TRUE(trail->append("gateway", "auth.lockout", "ann@a.example", "", "", 9200));
  EXPECT_EQ(broken(), "");
}

TEST_F(AuditRetentionTest, PruningEverythingChainsOnFromTheCheckpoint) {
  ASSERT_EQ(*trail->prune(100000, 100000), 5u);
  ASSERT_EQ(*trail->prune(200000, 200000), 1u);  // the first checkpoint entry itself
  ASSERT_TRUE(trail->append("gateway", "auth.lockout", "ann@a.example", "", "", 200001));
  auto all = trail->list({});
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->front().seq, 7);
  EXPECT_EQ(broken(), "");
}

TEST_F(AuditRetentionTest, EntriesAboveTheCheckpointStillCannotBeRemoved) {
  ASSERT_EQ(*trail->prune(2500, 9000), 2u);
  EXPECT_NE(sql("DELETE FROM entries WHERE seq = 4"), SQLITE_OK);
  EXPECT_EQ(trail->list({})->size(), 4u);
}

TEST_F(AuditRetentionTest, ChangedRowAfterPruningIsFound) {
  ASSERT_EQ(*trail->prune(2500, 9000), 2u);
  ASSERT_EQ(sql("DROP TRIGGER entries_no_update; UPDATE entries SET object = 'x.example' WHERE seq = 4"), SQLITE_OK);
  EXPECT_NE(broken().find("entry 4 "), std::string::npos);
}

TEST_F(AuditRetentionTest, RemovedMiddleRowAfterPruningIsFound) {
  ASSERT_EQ(*trail->prune(2500, 9000), 2u);
  ASSERT_EQ(sql("DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = 4"), SQLITE_OK);
  EXPECT_NE(broken().find("entry 4 is missing"), std::string::npos) << broken();
}

TEST_F(AuditRetentionTest, ReorderedRowsAreFound) {
  ASSERT_EQ(sql("DROP TRIGGER entries_no_update; UPDATE entries SET seq = -seq WHERE seq IN (3, 4);"
                "UPDATE entries SET seq = 4 WHERE seq = -3; UPDATE entries SET seq = 3 WHERE seq = -4;"),
            SQLITE_OK);
  EXPECT_NE(broken().find("entry 3 "), std::string::npos) << broken();
}

TEST_F(AuditRetentionTest, MovedCheckpointIsFound) {
  ASSERT_EQ(*trail->prune(2500, 9000), 2u);
  // A forger removes entry 3 as well and moves the checkpoint past it.
  ASSERT_EQ(sql("DROP TRIGGER entries_no_delete;"
                "UPDATE checkpoint SET seq = 3, hash = (SELECT hash FROM entries WHERE seq = 3);"
                "DELETE FROM entries WHERE seq = 3;"),
            SQLITE_OK);
  EXPECT_NE(broken().find("checkpoint"), std::string::npos) << broken();
}

TEST_F(AuditRetentionTest, AddressesAreStoredAsTheLogHash) {
  const std::string key(32, 'k');
  trail->hash_addresses_with(key);
  auto e = trail->append("gateway", "auth.signin.failed", "Alice@A.example", "", R"({"to":"bob@b.example"})", 7000);
  ASSERT_TRUE(e) << e.error().text;
  EXPECT_EQ(e->object, log::address_hash(key, "Alice@A.example") + "@A.example");
  EXPECT_EQ(e->details.find("bob@"), std::string::npos) << e->details;
  EXPECT_EQ(trail->stored_address("Alice@A.example"), e->object);
  AuditTrail::Filter f;
  f.objects = {"Alice@A.example", trail->stored_address("Alice@A.example")};
  auto found = trail->list(f);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().seq, e->seq);
  EXPECT_EQ(broken(), "");
}

}  // namespace
}  // namespace sm::audit
