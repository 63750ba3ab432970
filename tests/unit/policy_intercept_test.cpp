// policy_intercept_test.cpp - interception orders: every field checked,
// references unique (removed orders too), the file private, matching by
// address and *@domain in any case, expiry at each lookup, and the watch
// seeing another connection's change only after its interval.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "policy/intercept.h"
#include "smime_fixture.h"

namespace sm::policy {
namespace {

using namespace smtest;

constexpr std::int64_t kNow = 1'800'000'000;

class InterceptOrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = InterceptOrders::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    orders = std::move(*opened);
  }
  InterceptOrder order(std::string reference, std::string target, std::int64_t until = kNow + 86400) {
    InterceptOrder o;
    o.reference = std::move(reference);
    o.target = std::move(target);
    o.until = until;
    o.deliver_to = "li-desk@police.example";
    o.certificate = slurp(TestPki::get().gateway("police.example").cert_file);
    o.created_by = "olga";
    o.created_at = kNow;
    return o;
  }
  std::string refused(const InterceptOrder& o) {
    auto r = orders->add(o);
    EXPECT_FALSE(r) << o.reference << " was accepted";
    return r ? std::string() : r.error().text;
  }
  TempDir dir{"sm-intercept"};
  std::unique_ptr<InterceptOrders> orders;
};

TEST_F(InterceptOrdersTest, AddListRemove) {
  ASSERT_TRUE(orders->add(order("LI-1", "Bob@B.Example")));
  ASSERT_TRUE(orders->add(order("LI-2", "*@c.example")));
  auto all = orders->list(false);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].target, "bob@b.example");
  EXPECT_NE((*all)[0].certificate.find("BEGIN CERTIFICATE"), std::string::npos);
  auto removed = orders->remove("LI-1", kNow + 5);
  ASSERT_TRUE(removed) << removed.error().text;
  EXPECT_EQ(removed->target, "bob@b.example");
  EXPECT_EQ(orders->list(false)->size(), 1u);
  auto with_removed = orders->list(true);
  ASSERT_EQ(with_removed->size(), 2u);
  EXPECT_EQ((*with_removed)[0].removed_at, kNow + 5);
  EXPECT_NE(orders->remove("LI-1", kNow + 6).error().text.find("removed already"), std::string::npos);
  EXPECT_NE(orders->remove("LI-9", kNow).error().text.find("no order"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(InterceptOrders::file(dir.path).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(InterceptOrdersTest, BadOrdersAreRefusedWithTheReason) {
  ASSERT_TRUE(orders->add(order("LI-1", "bob@b.example")));
  ASSERT_TRUE(orders->remove("LI-1", kNow));
  EXPECT_NE(refused(order("LI-1", "eve@b.example")).find("exists already (removed)"), std::string::npos);
  EXPECT_NE(refused(order("LI 2", "bob@b.example")).find("reference"), std::string::npos);
  EXPECT_NE(refused(order("LI-3", "bob")).find("neither an address"), std::string::npos);
  EXPECT_NE(refused(order("LI-4", "*@")).find("neither an address"), std::string::npos);
  EXPECT_NE(refused(order("LI-5", "bob@b.example", kNow - 1)).find("already past"), std::string::npos);
  auto o = order("LI-6", "bob@b.example");
  o.deliver_to = "desk";
  EXPECT_NE(refused(o).find("deliver-to"), std::string::npos);
  o = order("LI-7", "bob@b.example");
  o.certificate = "not a certificate";
  EXPECT_NE(refused(o).find("certificate"), std::string::npos);
  o = order("LI-8", "bob@b.example");
  o.certificate += slurp(TestPki::get().gateway("other.example").cert_file);
  EXPECT_NE(refused(o).find("exactly"), std::string::npos);
  EXPECT_TRUE(orders->list(true)->size() == 1u);
}

TEST_F(InterceptOrdersTest, ActiveMatchesTargetsUntilTheEnd) {
  ASSERT_TRUE(orders->add(order("LI-1", "bob@b.example", kNow + 100)));
  ASSERT_TRUE(orders->add(order("LI-2", "*@c.example")));
  EXPECT_EQ(orders->active("BOB@b.example", kNow)->size(), 1u);
  EXPECT_EQ(orders->active("bob@b.example", kNow + 100)->size(), 1u);
  EXPECT_TRUE(orders->active("bob@b.example", kNow + 101)->empty());
  EXPECT_TRUE(orders->active("bobby@b.example", kNow)->empty());
  EXPECT_EQ(orders->active("anyone@C.example", kNow)->size(), 1u);
  EXPECT_TRUE(orders->active("anyone@sub.c.example", kNow)->empty());
  EXPECT_TRUE(orders->active("@c.example", kNow)->empty());
  ASSERT_TRUE(orders->remove("LI-2", kNow));
  EXPECT_TRUE(orders->active("anyone@c.example", kNow)->empty());
}

TEST_F(InterceptOrdersTest, WatchSeesChangesAfterItsInterval) {
  auto watch = OrderWatch::open(dir.path, std::chrono::seconds(5));
  ASSERT_TRUE(watch) << watch.error().text;
  const std::vector<std::string> parties = {"alice@a.example", "bob@b.example"};
  EXPECT_TRUE((*watch)->active(parties, kNow)->empty());
  ASSERT_TRUE(orders->add(order("LI-1", "bob@b.example", kNow + 60)));
  EXPECT_TRUE((*watch)->active(parties, kNow + 4)->empty());  // not re-read yet
  auto found = (*watch)->active(parties, kNow + 5);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().reference, "LI-1");
  EXPECT_TRUE((*watch)->active(parties, kNow + 61)->empty());  // expired, without a re-read
  ASSERT_TRUE(orders->add(order("LI-2", "*@a.example", kNow + 600)));
  ASSERT_TRUE(orders->add(order("LI-3", "*@b.example", kNow + 600)));
  EXPECT_EQ((*watch)->active(parties, kNow + 70)->size(), 2u);  // each order once
  ASSERT_TRUE(orders->remove("LI-2", kNow + 70));
  EXPECT_EQ((*watch)->active(parties, kNow + 80)->size(), 1u);
}

}  // namespace
}  // namespace sm::policy
