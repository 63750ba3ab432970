// directory_replica_test.cpp - a gateway's copy of the directory: newer
// feeds applied, the same one recognised, rollbacks and bad feeds refused
// with the current copy kept, the last good copy back after a restart,
// and a corrupted stored copy ignored with an error.
#include <array>
#include <atomic>
#include <thread>

#include <sqlite3.h>

#include "directory/replica.h"
#include "directory_test_support.h"

namespace sm::directory {
namespace {

using testing::make_feed;
using testing::make_member;
using testing::now_seconds;
using testing::TestAuthority;

std::string found_id(const Member* m) { return m != nullptr ? m->id : std::string("(none)"); }

class ReplicaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { auth_ = new TestAuthority("Replica Authority"); }
  static void TearDownTestSuite() { delete auth_; }
  static TestAuthority* auth_;

  testing::TempDir data_;

  std::unique_ptr<Replica> open(std::int64_t now = 0) {
    VerifyOptions o = auth_->verify_options();
    o.now = now;
    auto r = Replica::open(data_.path, o);
    EXPECT_TRUE(r) << r.error().text;
    return r ? std::move(*r) : nullptr;
  }
  static Member alpha() {
    static Member m = make_member("alpha", {"a.example"}, auth_);
    return m;
  }
  static Member bravo() {
    static Member m = make_member("bravo", {"b.example"}, auth_);
    return m;
  }
  std::string signed_feed(std::uint64_t serial, std::vector<Member> members,
                          std::int64_t issued = now_seconds()) {
    return auth_->sign(make_feed(serial, std::move(members), issued, auth_->subject()));
  }
};
TestAuthority* ReplicaTest::auth_ = nullptr;

TEST_F(ReplicaTest, StartsEmptyThenAppliesNewerFeeds) {
  auto replica = open();
  EXPECT_EQ(replica->current()->serial(), 0u);
  EXPECT_EQ(replica->last_success(), 0);
  EXPECT_TRUE(replica->stale());
  EXPECT_FALSE(replica->load_error());

  auto first = replica->apply(signed_feed(1, {alpha()}));
  ASSERT_TRUE(first) << first.error().text();
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->serial, 1u);
  ASSERT_EQ(first->changes.size(), 1u);
  EXPECT_EQ(first->changes[0].kind, Change::Kind::added);
  EXPECT_TRUE(first->store_error.empty());
  EXPECT_EQ(found_id(replica->current()->lookup_address("x@a.example")), "alpha");
  EXPECT_GT(replica->last_success(), 0);
  EXPECT_FALSE(replica->stale());

  Member a2 = alpha();
  a2.endpoints = {"mx9.a.example:25"};
  auto second = replica->apply(signed_feed(2, {a2, bravo()}));
  ASSERT_TRUE(second) << second.error().text();
  EXPECT_TRUE(second->changed);
  ASSERT_EQ(second->changes.size(), 2u);
  EXPECT_EQ(second->changes[0].kind, Change::Kind::changed);
  EXPECT_EQ(second->changes[1].kind, Change::Kind::added);
  EXPECT_EQ(replica->current()->serial(), 2u);
}

TEST_F(ReplicaTest, SameSerialIsUnchanged) {
  auto replica = open();
  std::string der = signed_feed(5, {alpha()});
  ASSERT_TRUE(replica->apply(der));
  auto held = replica->current();
  auto same_bytes = replica->apply(der);
  ASSERT_TRUE(same_bytes);
  EXPECT_FALSE(same_bytes->changed);
  EXPECT_EQ(same_bytes->serial, 5u);
  auto same_serial = replica->apply(signed_feed(5, {alpha(), bravo()}));  // re-signed, same serial
  ASSERT_TRUE(same_serial) << same_serial.error().text();
  EXPECT_FALSE(same_serial->changed);
  EXPECT_EQ(replica->current(), held);  // the very same snapshot
}

TEST_F(ReplicaTest, RollbackIsRefusedAndTheCurrentCopyKept) {
  auto replica = open();
  ASSERT_TRUE(replica->apply(signed_feed(7, {alpha(), bravo()})));
  auto r = replica->apply(signed_feed(6, {alpha()}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, Rejection::rollback);
  EXPECT_EQ(replica->current()->serial(), 7u);
  EXPECT_NE(replica->current()->lookup_domain("b.example"), nullptr);
}

TEST_F(ReplicaTest, BadFeedsAreRefusedAndTheCurrentCopyKept) {
  auto replica = open();
  ASSERT_TRUE(replica->apply(signed_feed(3, {alpha()})));
  std::int64_t success = replica->last_success();
  EXPECT_EQ(replica->apply("garbage").error().reason, Rejection::malformed);
  EXPECT_EQ(replica->apply(signed_feed(4, {alpha()}, now_seconds() - 80 * 3600)).error().reason,
            Rejection::stale);
  TestAuthority other("Impostor");
  EXPECT_EQ(replica->apply(other.sign(make_feed(9, {}, now_seconds(), "CN=Impostor"))).error().reason,
            Rejection::wrong_authority);
  EXPECT_EQ(replica->current()->serial(), 3u);
  EXPECT_EQ(replica->last_success(), success);
}

TEST_F(ReplicaTest, RestartLoadsTheLastGoodCopy) {
  std::int64_t fetched = 0;
  {
    auto replica = open();
    ASSERT_TRUE(replica->apply(signed_feed(11, {alpha(), bravo()})));
    ASSERT_FALSE(replica->apply(signed_feed(10, {alpha()})));  // refused: not stored either
    fetched = replica->last_success();
  }
  auto replica = open();
  EXPECT_FALSE(replica->load_error());
  EXPECT_EQ(replica->current()->serial(), 11u);
  EXPECT_EQ(replica->last_success(), fetched);
  EXPECT_NE(replica->current()->lookup_address("x@b.example"), nullptr);
  // the restored serial still guards against rollback
  EXPECT_EQ(replica->apply(signed_feed(10, {alpha()})).error().reason, Rejection::rollback);
}

TEST_F(ReplicaTest, AStaleStoredCopyIsStillLoadedAndReportedStale) {
  { ASSERT_TRUE(open()->apply(signed_feed(4, {alpha()}))); }
  auto later = open(now_seconds() + 100 * 3600);  // the authority has been down for days
  EXPECT_FALSE(later->load_error());
  EXPECT_EQ(later->current()->serial(), 4u);
  EXPECT_TRUE(later->stale());
  EXPECT_FALSE(later->stale(now_seconds()));
}

TEST_F(ReplicaTest, ACorruptedStoredCopyIsIgnoredWithAnError) {
  { ASSERT_TRUE(open()->apply(signed_feed(8, {alpha()}))); }
  {  // flip the serial inside the stored signed content (raw SQLite: no schema knowledge needed)
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Replica::database_file(data_.path).c_str(), &db), SQLITE_OK);
    sqlite3_stmt* get = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT body FROM feed_body", -1, &get, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(get), SQLITE_ROW);
    std::string body(static_cast<const char*>(sqlite3_column_blob(get, 0)),
                     static_cast<std::size_t>(sqlite3_column_bytes(get, 0)));
    sqlite3_finalize(get);
    std::size_t at = body.find("\"serial\":8");
    ASSERT_NE(at, std::string::npos);
    body[at + 9] = '9';
    sqlite3_stmt* put = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE feed_body SET body = ?", -1, &put, nullptr), SQLITE_OK);
    sqlite3_bind_blob(put, 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(put), SQLITE_DONE);
    sqlite3_finalize(put);
    sqlite3_close(db);
  }
  auto replica = open();
  ASSERT_TRUE(replica->load_error());
  EXPECT_EQ(replica->load_error()->reason, Rejection::bad_signature);
  EXPECT_EQ(replica->current()->serial(), 0u);
  EXPECT_TRUE(replica->stale());
  // and a good feed from the authority brings it back
  auto applied = replica->apply(signed_feed(9, {alpha()}));
  ASSERT_TRUE(applied) << applied.error().text();
  EXPECT_EQ(open()->current()->serial(), 9u);
}

std::int64_t count_rows(const std::filesystem::path& file, const char* table) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = std::string("SELECT count(*) FROM ") + table;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  std::int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

TEST_F(ReplicaTest, ApplyAndRestartLeaveMemberCertificatesToFirstUse) {
  // A certificate of another authority: the signed feed is taken as the
  // authority published it (member_certificate.h refuses the member when
  // it is first used), and the restart loads it again.
  TestAuthority stranger("Stranger Authority");
  Member odd = make_member("odd", {"o.example"}, &stranger);
  auto replica = open();
  auto applied = replica->apply(signed_feed(1, {alpha(), odd}));
  ASSERT_TRUE(applied) << applied.error().text();
  replica.reset();
  replica = open();
  EXPECT_FALSE(replica->load_error());
  EXPECT_EQ(replica->current()->serial(), 1u);
  ASSERT_NE(replica->current()->find_id("odd"), nullptr);
  EXPECT_EQ(replica->current()->find_id("odd")->certificates, odd.certificates);
  EXPECT_EQ(count_rows(Replica::database_file(data_.path), "feed_body"), 1);
}

TEST_F(ReplicaTest, ReadersNeverSeeAHalfAppliedFeed) {
  auto replica = open();
  ASSERT_TRUE(replica->apply(signed_feed(1, {alpha()})));
  std::vector<std::string> feeds;
  for (std::uint64_t s = 2; s < 8; ++s)
    feeds.push_back(signed_feed(s, s % 2 ? std::vector{alpha()} : std::vector{alpha(), bravo()}));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done) {
      auto snapshot = replica->current();
      bool has_bravo = snapshot->lookup_domain("b.example") != nullptr;
      if (has_bravo != (snapshot->serial() % 2 == 0)) ++bad;
      if (snapshot->lookup_domain("a.example") == nullptr) ++bad;
    }
  });
  for (const auto& f : feeds) ASSERT_TRUE(replica->apply(f));
  done = true;
  reader.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(replica->current()->serial(), 7u);
}

}  // namespace
}  // namespace sm::directory
