// directory_registry_test.cpp - the authority's member list: add, update,
// suspend, reactivate, remove, the refusals (existing id, domain taken,
// bad certificate, bad field), and publishing signed feeds with
// increasing serials that gateways accept.
#include "directory/directory.h"
#include "directory/registry.h"
#include "directory_test_support.h"

namespace sm::directory {
namespace {

using testing::make_member;
using testing::TestAuthority;

class RegistryTest : public ::testing::Test {
 protected:
  TestAuthority auth_;
  Registry open() {
    auto r = Registry::open(auth_.dir());
    EXPECT_TRUE(r) << r.error().text;
    return std::move(*r);
  }
  Member member(std::string id, std::vector<std::string> domains) {
    return make_member(std::move(id), std::move(domains), &auth_);
  }
  static void expect_refused(const Result<>& r, std::string_view text) {
    ASSERT_FALSE(r) << "accepted";
    EXPECT_TRUE(r.error().permanent()) << r.error().reply();
    EXPECT_NE(r.error().text.find(text), std::string::npos) << r.error().text;
  }
};

TEST_F(RegistryTest, AddGetListAndNormalise) {
  Registry reg = open();
  Member a = member("alpha", {"a.example"});
  a.domains = {"A.Example"};  // stored lower-case
  a.admin_contact.clear();
  std::int64_t before = testing::now_seconds();
  ASSERT_TRUE(reg.add(a));
  ASSERT_TRUE(reg.add(member("bravo", {"b.example"})));
  auto got = reg.get("alpha");
  ASSERT_TRUE(got) << got.error().text;
  EXPECT_EQ(got->domains, std::vector<std::string>{"a.example"});
  EXPECT_EQ(got->admin_contact, "securemailadmin@a.example");
  EXPECT_GE(got->created, before);
  EXPECT_EQ(got->created, got->updated);
  EXPECT_EQ(got->certificates, a.certificates);
  auto all = reg.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].id, "bravo");
  Registry again = open();  // kept in AUTH/directory.sqlite
  EXPECT_EQ(again.list()->size(), 2u);
}

TEST_F(RegistryTest, AddRefusals) {
  Registry reg = open();
  ASSERT_TRUE(reg.add(member("alpha", {"a.example", "a2.example"})));
  expect_refused(reg.add(member("alpha", {"other.example"})), "member alpha already exists");
  expect_refused(reg.add(member("bravo", {"b.example", "a2.example"})),
                 "domain a2.example is already held by member alpha");
  Member wrong_cert = member("charlie", {"c.example", "c2.example"});
  wrong_cert.certificates = {auth_.issue({"c.example"})};
  expect_refused(reg.add(wrong_cert), "does not name domain c2.example");
  TestAuthority other("Other Authority");
  Member foreign = make_member("delta", {"d.example"}, &other);
  expect_refused(reg.add(foreign), "does not chain to the authority");
  Member bad = member("echo", {"e.example"});
  bad.domains.push_back("not a domain");
  expect_refused(reg.add(bad), "domains[1]: not a lower-case host name");
  Member twice = member("foxtrot", {"f.example"});
  twice.domains.push_back("F.example");
  expect_refused(reg.add(twice), "lists domain f.example twice");
  Member bad_id = member("Golf_1", {"g.example"});
  expect_refused(reg.add(bad_id), "not a member id");
  EXPECT_EQ(reg.list()->size(), 1u);
}

TEST_F(RegistryTest, UpdateKeepsCreatedAndChecksDomains) {
  Registry reg = open();
  ASSERT_TRUE(reg.add(member("alpha", {"a.example"})));
  ASSERT_TRUE(reg.add(member("bravo", {"b.example"})));
  Member a = *reg.get("alpha");
  a.endpoints = {"gw.a.example:2525"};
  a.created = 1;  // ignored
  ASSERT_TRUE(reg.update(a));
  Member stored = *reg.get("alpha");
  EXPECT_EQ(stored.endpoints, a.endpoints);
  EXPECT_NE(stored.created, 1);
  EXPECT_GE(stored.updated, stored.created);

  Member grab = member("alpha", {"a.example", "b.example"});
  expect_refused(reg.update(grab), "domain b.example is already held by member bravo");
  // a member may move to new domains with a new certificate; the old domain is freed
  ASSERT_TRUE(reg.update(member("alpha", {"a-new.example"})));
  ASSERT_TRUE(reg.add(member("charlie", {"a.example"})));
  expect_refused(reg.update(member("nobody", {"n.example"})), "no member nobody");
}

TEST_F(RegistryTest, SuspendReactivateRemove) {
  Registry reg = open();
  ASSERT_TRUE(reg.add(member("alpha", {"a.example"})));
  ASSERT_TRUE(reg.set_status("alpha", Status::suspended));
  EXPECT_EQ(reg.get("alpha")->status, Status::suspended);
  ASSERT_TRUE(reg.set_status("alpha", Status::active));
  EXPECT_EQ(reg.get("alpha")->status, Status::active);
  expect_refused(reg.set_status("nobody", Status::suspended), "no member nobody");
  ASSERT_TRUE(reg.remove("alpha"));
  expect_refused(reg.remove("alpha"), "no member alpha");
  EXPECT_FALSE(reg.get("alpha"));
  ASSERT_TRUE(reg.add(member("bravo", {"a.example"})));  // the domain is free again
}

TEST_F(RegistryTest, PublishWritesSignedFeedsWithIncreasingSerials) {
  Registry reg = open();
  ASSERT_TRUE(reg.add(member("bravo", {"b.example"})));
  ASSERT_TRUE(reg.add(member("alpha", {"a.example"})));
  auto first = reg.publish(auth_.key(), auth_.cert());
  ASSERT_TRUE(first) << first.error().text;
  EXPECT_EQ(first->serial, 1u);
  EXPECT_EQ(first->authority, auth_.subject());
  EXPECT_EQ(first->members.size(), 2u);

  auto der = pki::read_file(Registry::feed_file(auth_.dir()));
  ASSERT_TRUE(der);
  auto verified = verify_feed(*der, auth_.verify_options());
  ASSERT_TRUE(verified) << verified.error().text();
  EXPECT_EQ(*verified, *first);
  auto json = pki::read_file(Registry::feed_json_file(auth_.dir()));
  ASSERT_TRUE(json);
  EXPECT_EQ(*json, canonical_json(*first));

  ASSERT_TRUE(reg.set_status("bravo", Status::suspended));
  auto second = reg.publish(auth_.key(), auth_.cert());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->serial, 2u);
  auto changes = diff(*first, *second);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, Change::Kind::suspended);
  Registry reopened = open();
  EXPECT_EQ(reopened.publish(auth_.key(), auth_.cert())->serial, 3u);  // the serial survives a restart
}

TEST_F(RegistryTest, PublishRefusesAFeedGatewaysWouldRefuse) {
  {
    Registry reg = open();
    Member a = member("alpha", {"a.example"});
    ASSERT_TRUE(reg.add(a));
    ASSERT_TRUE(reg.publish(auth_.key(), auth_.cert()));
    auto certs = pki::parse_certificates_pem(a.certificates[0]);
    ASSERT_TRUE(certs);
    ASSERT_TRUE(auth_.authority().revoke(pki::fingerprint(certs->front().get())));
  }
  Registry reg = open();  // sees the new CRL
  auto refused = reg.publish(auth_.key(), auth_.cert());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().text.find("gateways would refuse this feed"), std::string::npos)
      << refused.error().text;
  ASSERT_TRUE(reg.update(member("alpha", {"a.example"})));  // a fresh certificate
  auto next = reg.publish(auth_.key(), auth_.cert());
  ASSERT_TRUE(next) << next.error().text;
  EXPECT_EQ(next->serial, 2u);  // the refusal burned no serial
}

TEST_F(RegistryTest, CertificationFixturesMayCarryABadChainBelowAFacilityAndNowhereElse) {
  Registry reg = open();
  Member facility = member("facility", {"facility.example"});
  facility.capabilities.push_back(std::string(kCapFacility));
  ASSERT_TRUE(reg.add(facility));
  const std::int64_t yesterday = testing::now_seconds() - 86400;
  auto fixture = [&](std::string id, std::string domain, std::string pem) {
    Member m = make_member(std::move(id), {std::move(domain)});
    m.max_marking.clear();
    m.capabilities = {std::string(kCapFixture)};
    m.certificates = {std::move(pem)};
    return m;
  };
  TestAuthority rogue;  // another authority
  auto expired = reg.add(fixture("fx-expired", "expired.facility.example",
                                 auth_.issue({"expired.facility.example"}, yesterday)));
  ASSERT_TRUE(expired) << expired.error().text;
  auto foreign = reg.add(fixture("fx-wrongca", "wrongca.facility.example", rogue.issue({"wrongca.facility.example"})));
  ASSERT_TRUE(foreign) << foreign.error().text;
  // fx-weak: the authority's certificate for an RSA-1024 key, issued for that fixture alone.
  ossl::EvpPkeyPtr weak_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  ASSERT_TRUE(weak_key);
  auto weak_cert = [&](const std::string& domain) {
    pki::GatewayCertRequest request;
    request.domains = {domain};
    request.public_key = weak_key.get();
    request.keys = pki::KeyAcceptance::weak_fixture;
    auto cert = auth_.authority().issue(request);
    EXPECT_TRUE(cert) << cert.error().text;
    return cert ? pki::to_pem(cert->get()) : std::string();
  };
  auto weak = reg.add(fixture("fx-weak", "weak.facility.example", weak_cert("weak.facility.example")));
  ASSERT_TRUE(weak) << weak.error().text;
  auto published = reg.publish(auth_.key(), auth_.cert());
  ASSERT_TRUE(published) << published.error().text;
  Member weak_member = fixture("weakling", "weak2.facility.example", weak_cert("weak2.facility.example"));
  weak_member.capabilities = {"rsa"};
  expect_refused(reg.add(weak_member), "key too weak");

  // The same kind of certificate on an ordinary member is refused, and so
  // is a fixture anywhere but below the facility, or naming other domains.
  Member plain = fixture("plain", "expired2.facility.example", auth_.issue({"expired2.facility.example"}, yesterday));
  plain.capabilities = {"ec"};
  expect_refused(reg.add(plain), "expired");
  expect_refused(reg.add(fixture("fx-out", "expired.other.example", auth_.issue({"expired.other.example"}, yesterday))),
                 "must lie below an active certification-facility");
  expect_refused(reg.add(fixture("fx-apex", "facility2.example", auth_.issue({"facility2.example"}, yesterday))),
                 "must lie below");
  expect_refused(reg.add(fixture("fx-name", "name.facility.example", auth_.issue({"other.facility.example"}, yesterday))),
                 "does not name domain name.facility.example");
  Member both = fixture("fx-both", "both.facility.example", auth_.issue({"both.facility.example"}));
  both.capabilities.push_back(std::string(kCapFacility));
  expect_refused(reg.add(both), "cannot be the facility too");
  Member marked = fixture("fx-marked", "marked.facility.example", auth_.issue({"marked.facility.example"}));
  marked.max_marking = "RESTRICTED";
  expect_refused(reg.add(marked), "no subdomains, partner tier or marking");

  // Without an active facility the fixtures are orphans: publishing refuses them.
  ASSERT_TRUE(reg.set_status("facility", Status::suspended));
  auto orphaned = reg.publish(auth_.key(), auth_.cert());
  ASSERT_FALSE(orphaned);
  EXPECT_NE(orphaned.error().text.find("fx-"), std::string::npos) << orphaned.error().text;
}

TEST_F(RegistryTest, OpenNeedsAnAuthorityFolder) {
  testing::TempDir empty;
  EXPECT_FALSE(Registry::open(empty.path));
}

}  // namespace
}  // namespace sm::directory
