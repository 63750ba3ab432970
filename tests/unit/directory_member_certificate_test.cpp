// directory_member_certificate_test.cpp - the first-use check of a member
// certificate (directory/member_certificate.h): the rules the apply of a
// feed used to enforce, now applied when a gateway first uses a member -
// parse as one certificate, chain to the authority (a current CRL
// checked, none required), name every domain of the member - and the
// trust store that check uses, rebuilt with each new CRL.
#include "directory/member_certificate.h"

#include "directory_test_support.h"
#include "pki/chain_cache.h"

namespace sm::directory {
namespace {

using testing::make_member;
using testing::now_seconds;
using testing::TestAuthority;

class MemberCertificateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ours_ = new TestAuthority("First Use Authority");
    other_ = new TestAuthority("Another First Use Authority");
  }
  static void TearDownTestSuite() {
    delete ours_;
    delete other_;
  }
  static inline TestAuthority* ours_ = nullptr;
  static inline TestAuthority* other_ = nullptr;

  // The check as a gateway makes it now, against `authority`'s current trust.
  static std::optional<FeedError> first_use(const Member& m, std::size_t index, TestAuthority& authority) {
    auto store = member_trust(authority.trust(), now_seconds());
    EXPECT_TRUE(store) << store.error().text;
    return check_member_certificate(m, index, parse_member_certificate(m.certificates.at(index)), &*store);
  }
  static void expect_refused(const std::optional<FeedError>& e, std::string_view detail) {
    ASSERT_TRUE(e) << "accepted";
    EXPECT_EQ(e->reason, Rejection::certificate_mismatch);
    EXPECT_NE(e->detail.find(detail), std::string::npos) << e->text();
  }
};

TEST_F(MemberCertificateTest, AGoodCertificateParsesOnceAndPasses) {
  Member m = make_member("bravo", {"b2.example", "b.example"}, ours_);
  ParsedCertificate p = parse_member_certificate(m.certificates[0]);
  ASSERT_TRUE(p.cert) << p.problem;
  EXPECT_EQ(p.sha256, pki::fingerprint(p.cert.get()));
  EXPECT_EQ(p.dns_names, (std::vector<std::string>{"b.example", "b2.example"}));
  auto e = first_use(m, 0, *ours_);
  EXPECT_FALSE(e) << e->text();
}

TEST_F(MemberCertificateTest, ACertificateThatDoesNotNameEveryDomainRefusesTheMember) {
  Member m = make_member("bravo", {"b.example", "b2.example"}, ours_);
  m.certificates = {ours_->issue({"b.example"})};
  expect_refused(first_use(m, 0, *ours_), "member bravo certificates[0] does not name domain b2.example");
}

TEST_F(MemberCertificateTest, ACertificateOfAnotherAuthorityIsRefused) {
  Member m = make_member("alpha", {"a.example"}, other_);
  expect_refused(first_use(m, 0, *ours_), "member alpha certificates[0] does not chain to the authority");
}

TEST_F(MemberCertificateTest, TextThatIsNotExactlyOneCertificateIsRefused) {
  Member m = make_member("alpha", {"a.example"}, ours_);
  m.certificates = {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
  expect_refused(first_use(m, 0, *ours_), "does not parse");
  m.certificates = {ours_->issue({"a.example"}) + ours_->issue({"a.example"})};
  expect_refused(first_use(m, 0, *ours_), "holds 2 certificates, not one");
  EXPECT_FALSE(parse_member_certificate(m.certificates[0]).cert);
}

TEST_F(MemberCertificateTest, AnExpiredCertificateIsRefusedAtFirstUse) {
  Member m = make_member("alpha", {"a.example"}, ours_);
  m.certificates = {ours_->issue({"a.example"}, now_seconds() - 60)};
  expect_refused(first_use(m, 0, *ours_), "expired");
}

TEST_F(MemberCertificateTest, ARevocationIsSeenOnceTheNewCrlIsLoaded) {
  TestAuthority authority("Revoking First Use Authority");
  Member m = make_member("alpha", {"a.example"}, &authority);
  FirstUseTrust trust;
  auto before = trust.at(authority.shared_trust(), now_seconds());
  ASSERT_TRUE(before);
  ParsedCertificate p = parse_member_certificate(m.certificates[0]);
  EXPECT_FALSE(check_member_certificate(m, 0, p, before->get()));
  EXPECT_FALSE(check_member_certificate(m, 0, p, before->get()));  // from the chain cache
  EXPECT_EQ((*before)->chain_cache().stats().hits, 1u);
  ASSERT_TRUE(authority.authority().revoke(p.sha256));
  authority.reload_trust();  // the gateway installs the new CRL: a new store
  auto after = trust.at(authority.shared_trust(), now_seconds());
  ASSERT_TRUE(after);
  EXPECT_NE(after->get(), before->get());
  auto e = check_member_certificate(m, 0, p, after->get());
  expect_refused(e, "revoked");
  // A suspended member may keep it (key compromise: revoked and suspended).
  m.status = Status::suspended;
  EXPECT_FALSE(check_member_certificate(m, 0, p, after->get()));
}

TEST_F(MemberCertificateTest, NoCrlIsRequiredAndOnlyACurrentOneIsUsed) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(pki::clone(ours_->cert()));
  auto strict = pki::TrustStore::make(std::move(anchors), {}, {.require_crl = true});
  ASSERT_TRUE(strict);
  Member m = make_member("alpha", {"a.example"}, ours_);
  auto store = member_trust(*strict, now_seconds());
  ASSERT_TRUE(store) << store.error().text;
  EXPECT_FALSE(store->options().require_crl);
  EXPECT_FALSE(check_member_certificate(m, 0, parse_member_certificate(m.certificates[0]), &*store));
  // ours_ has a current CRL: used now, not a year from now (past its nextUpdate).
  std::int64_t recheck = 0;
  auto now = member_trust(ours_->trust(), now_seconds(), &recheck);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->crls().size(), ours_->trust().crls().size());
  EXPECT_GT(recheck, now_seconds());
  auto later = member_trust(ours_->trust(), now_seconds() + 365 * 86400);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->crls().empty());
}

TEST_F(MemberCertificateTest, FirstUseTrustIsKeptUntilTheGatewayStoreChanges) {
  FirstUseTrust trust;
  auto a = trust.at(ours_->shared_trust(), now_seconds());
  auto b = trust.at(ours_->shared_trust(), now_seconds());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get()) << "the same store, so its chain cache is kept";
  auto c = trust.at(other_->shared_trust(), now_seconds());
  ASSERT_TRUE(c);
  EXPECT_NE(a->get(), c->get());
  EXPECT_FALSE(trust.at(nullptr, now_seconds()));
}

}  // namespace
}  // namespace sm::directory
