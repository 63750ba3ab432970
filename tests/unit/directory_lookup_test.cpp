// directory_lookup_test.cpp - lookups on a built Directory (exact,
// case-insensitive, subdomains only when the entry says so, address
// forms, non-members), both gateway-service-provider shapes end to end,
// and the differences between two feeds.
#include "directory/directory.h"
#include "directory_test_support.h"

namespace sm::directory {
namespace {

using testing::make_feed;
using testing::make_member;

const std::string* id_of(const Member* m) { return m != nullptr ? &m->id : nullptr; }
std::string found(const Member* m) { return m != nullptr ? m->id : std::string("(none)"); }

class LookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Member a = make_member("alpha", {"a.example", "alpha.example.org"});
    Member parent = make_member("parent", {"p.example"});
    parent.include_subdomains = true;
    Member delegated = make_member("delegated", {"d.p.example"});  // a subdomain of p.example, its own entry
    Member suspended = make_member("sleepy", {"s.example"});
    suspended.status = Status::suspended;
    dir_ = Directory::build(make_feed(3, {a, parent, delegated, suspended}));
  }
  std::shared_ptr<const Directory> dir_;
};

TEST_F(LookupTest, ExactDomainIsCaseInsensitive) {
  EXPECT_EQ(found(dir_->lookup_domain("a.example")), "alpha");
  EXPECT_EQ(found(dir_->lookup_domain("alpha.example.org")), "alpha");
  EXPECT_EQ(found(dir_->lookup_domain("A.EXAMPLE")), "alpha");
  EXPECT_EQ(found(dir_->lookup_domain("Alpha.Example.ORG")), "alpha");
  EXPECT_EQ(found(dir_->lookup_domain("a.example.")), "alpha");  // absolute form
  EXPECT_EQ(dir_->serial(), 3u);
}

TEST_F(LookupTest, NonMembersAndNonsenseAreNull) {
  EXPECT_EQ(dir_->lookup_domain("b.example"), nullptr);
  EXPECT_EQ(dir_->lookup_domain("example"), nullptr);
  EXPECT_EQ(dir_->lookup_domain(""), nullptr);
  EXPECT_EQ(dir_->lookup_domain("."), nullptr);
  EXPECT_EQ(dir_->lookup_domain(std::string(300, 'a')), nullptr);
  EXPECT_EQ(dir_->lookup_domain("x.a.example"), nullptr);  // alpha does not include subdomains
  EXPECT_EQ(dir_->lookup_domain("example.org"), nullptr);  // a parent is not covered by its child
  EXPECT_EQ(dir_->lookup_domain("[192.0.2.1]"), nullptr);
}

TEST_F(LookupTest, SubdomainsOnlyWhenTheEntrySaysSo) {
  EXPECT_EQ(found(dir_->lookup_domain("p.example")), "parent");
  EXPECT_EQ(found(dir_->lookup_domain("mail.p.example")), "parent");
  EXPECT_EQ(found(dir_->lookup_domain("a.b.c.P.Example")), "parent");
  // a subdomain with its own entry belongs to that entry...
  EXPECT_EQ(found(dir_->lookup_domain("d.p.example")), "delegated");
  // ...and, as that entry does not include subdomains, its subdomains are nobody's
  EXPECT_EQ(dir_->lookup_domain("x.d.p.example"), nullptr);
  EXPECT_EQ(dir_->lookup_domain("xp.example"), nullptr);  // a suffix is not a parent label
}

TEST_F(LookupTest, AddressForms) {
  EXPECT_EQ(found(dir_->lookup_address("user@a.example")), "alpha");
  EXPECT_EQ(found(dir_->lookup_address("<user@A.Example>")), "alpha");
  EXPECT_EQ(found(dir_->lookup_address("  user@a.example  ")), "alpha");
  EXPECT_EQ(found(dir_->lookup_address("\"odd@quoted\"@a.example")), "alpha");  // the last @ counts
  EXPECT_EQ(found(dir_->lookup_address("user@mail.p.example")), "parent");
  EXPECT_EQ(dir_->lookup_address("user@b.example"), nullptr);
  EXPECT_EQ(dir_->lookup_address("a.example"), nullptr);  // no @
  EXPECT_EQ(dir_->lookup_address("user@"), nullptr);
  EXPECT_EQ(dir_->lookup_address("<>"), nullptr);
  EXPECT_EQ(dir_->lookup_address(""), nullptr);
}

TEST_F(LookupTest, SuspendedMembersAreFoundWithTheirStatus) {
  const Member* m = dir_->lookup_address("someone@s.example");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, Status::suspended);
}

TEST_F(LookupTest, FindById) {
  EXPECT_EQ(found(dir_->find_id("delegated")), "delegated");
  EXPECT_EQ(dir_->find_id("nobody"), nullptr);
  EXPECT_EQ(id_of(dir_->find_id("alpha")), &dir_->feed().members[0].id);
}

TEST(DirectoryEmpty, AnswersNothing) {
  auto empty = Directory::empty();
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->serial(), 0u);
  EXPECT_EQ(empty->lookup_address("a@a.example"), nullptr);
  EXPECT_EQ(empty->find_id("a"), nullptr);
  EXPECT_EQ(Directory::empty(), empty);
}

// A gateway service provider as ONE entry serving many domains, and as one
// entry per customer organisation all behind the provider's gateway (one
// endpoint, one certificate naming every customer domain). Both must
// verify as signed feeds and answer lookups.
TEST(GatewayServiceProvider, BothShapesVerifyAndAnswer) {
  testing::TestAuthority authority("GSP Test Authority");
  std::vector<std::string> customer_domains;
  for (int i = 0; i < 20; ++i) customer_domains.push_back("customer" + std::to_string(i) + ".example");

  Member one = make_member("provider-one", customer_domains, &authority);
  one.endpoints = {"gw1.provider-one.example:25", "gw2.provider-one.example:25"};

  std::vector<std::string> per_customer_domains;
  for (int i = 0; i < 20; ++i) per_customer_domains.push_back("org" + std::to_string(i) + ".example");
  std::string shared_cert = authority.issue(per_customer_domains);
  std::vector<Member> members = {one};
  for (int i = 0; i < 20; ++i) {
    Member m = make_member("provider-two.org" + std::to_string(i), {per_customer_domains[i]});
    m.organisation = "Customer Organisation " + std::to_string(i);
    m.endpoints = {"gw.provider-two.example:25"};
    m.certificates = {shared_cert};
    members.push_back(m);
  }
  Feed feed = make_feed(1, members, testing::now_seconds(), authority.subject());
  auto verified = verify_feed(authority.sign(feed), authority.verify_options());
  ASSERT_TRUE(verified) << verified.error().text();
  auto dir = Directory::build(std::move(*verified));

  for (const std::string& d : customer_domains) {
    const Member* m = dir->lookup_address("someone@" + d);
    ASSERT_NE(m, nullptr) << d;
    EXPECT_EQ(m->id, "provider-one");
    EXPECT_EQ(m->endpoints.size(), 2u);
  }
  for (int i = 0; i < 20; ++i) {
    const Member* m = dir->lookup_domain(per_customer_domains[i]);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->id, "provider-two.org" + std::to_string(i));  // each customer is its own member
    EXPECT_EQ(m->organisation, "Customer Organisation " + std::to_string(i));
    EXPECT_EQ(m->endpoints, std::vector<std::string>{"gw.provider-two.example:25"});
    EXPECT_EQ(m->certificates.front(), shared_cert);
  }
}

TEST(DirectoryDiff, EveryKindOfChange) {
  Member kept = make_member("a-kept", {"kept.example"});
  Member edited = make_member("b-edited", {"edited.example"});
  Member paused = make_member("c-paused", {"paused.example"});
  Member back = make_member("d-back", {"back.example"});
  back.status = Status::suspended;
  Member gone = make_member("e-gone", {"gone.example"});
  Feed before = make_feed(1, {kept, edited, paused, back, gone});

  Member edited2 = edited;
  edited2.endpoints = {"mx2.edited.example:2525"};
  Member paused2 = paused;
  paused2.status = Status::suspended;
  Member back2 = back;
  back2.status = Status::active;
  Member fresh = make_member("f-new", {"new.example"});
  Feed after = make_feed(2, {fresh, back2, paused2, edited2, kept});

  auto changes = diff(before, after);
  ASSERT_EQ(changes.size(), 5u);
  auto expect = [&](std::size_t i, Change::Kind kind, const char* id) {
    EXPECT_EQ(changes[i].kind, kind) << id;
    EXPECT_EQ(changes[i].member_id, id);
    EXPECT_EQ(changes[i].organisation, std::string("Org ") + id);
  };
  expect(0, Change::Kind::changed, "b-edited");
  expect(1, Change::Kind::suspended, "c-paused");
  expect(2, Change::Kind::reactivated, "d-back");
  expect(3, Change::Kind::removed, "e-gone");
  expect(4, Change::Kind::added, "f-new");
  EXPECT_TRUE(diff(after, after).empty());
  EXPECT_EQ(diff(Feed{}, after).size(), 5u);
  EXPECT_EQ(to_string(Change::Kind::added), "added");
  EXPECT_EQ(to_string(Change::Kind::changed), "changed");
  EXPECT_EQ(to_string(Change::Kind::suspended), "suspended");
  EXPECT_EQ(to_string(Change::Kind::reactivated), "reactivated");
  EXPECT_EQ(to_string(Change::Kind::removed), "removed");
}

}  // namespace
}  // namespace sm::directory
