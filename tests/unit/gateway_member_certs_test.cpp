// gateway_member_certs_test.cpp - the gateway's member certificates
// (gateway/member_certs.h): checked on first use, parsed once, the chain
// answer cached per CRL version, a member with a bad certificate refused
// as a whole (451 4.7.5 for sealing, no fingerprint for signatures or TLS),
// and a new CRL taking effect for the next message.
#include "gateway/member_certs.h"

#include "directory_test_support.h"
#include "pki/chain_cache.h"

namespace sm::gateway {
namespace {

using directory::testing::make_feed;
using directory::testing::make_member;
using directory::testing::TestAuthority;

class MemberCertsTest : public ::testing::Test {
 protected:
  void SetUp() override { trust_ = authority_.shared_trust(); }
  MemberCertificates certs{[this] { return trust_; }};
  TestAuthority authority_{"Member Certs Authority"};
  std::shared_ptr<const pki::TrustStore> trust_;
};

TEST_F(MemberCertsTest, AGoodMemberIsParsedOnceAndCheckedOncePerCrlVersion) {
  directory::Member m = make_member("alpha", {"a.example"}, &authority_);
  auto first = certs.of(m);
  ASSERT_TRUE(first) << first.error().text;
  ASSERT_EQ(first->size(), 1u);
  auto second = certs.of(m);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)[0].cert, (*first)[0].cert) << "parsed once";
  EXPECT_EQ((*second)[0].sha256, pki::fingerprint((*first)[0].cert));
  EXPECT_EQ(certs.fingerprints(m), std::vector<std::string>{(*first)[0].sha256});
}

TEST_F(MemberCertsTest, AMemberWithACertificateThatFailsIsRefusedAsAWhole) {
  TestAuthority stranger("Stranger Authority");
  directory::Member m = make_member("alpha", {"a.example"}, &authority_);
  m.certificates.push_back(stranger.issue({"a.example"}));  // one good, one foreign
  auto r = certs.of(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 451);
  EXPECT_EQ(r.error().enhanced, "4.7.5");
  EXPECT_NE(r.error().text.find("member alpha is refused: certificate-mismatch: member alpha certificates[1] does not "
                                "chain to the authority"),
            std::string::npos)
      << r.error().text;
  EXPECT_TRUE(certs.fingerprints(m).empty()) << "no signature from it is trusted";
  directory::Member short_one = make_member("bravo", {"b.example", "b2.example"}, &authority_);
  short_one.certificates = {authority_.issue({"b.example"})};
  auto s = certs.of(short_one);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().text.find("does not name domain b2.example"), std::string::npos) << s.error().text;
}

TEST_F(MemberCertsTest, ANewCrlTakesEffectForTheNextUse) {
  directory::Member m = make_member("alpha", {"a.example"}, &authority_);
  auto good = certs.of(m);
  ASSERT_TRUE(good) << good.error().text;
  ASSERT_TRUE(authority_.authority().revoke((*good)[0].sha256));
  authority_.reload_trust();
  trust_ = authority_.shared_trust();  // as DirectoryService::member_trust() after installing the CRL
  auto r = certs.of(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("revoked"), std::string::npos) << r.error().text;
}

TEST_F(MemberCertsTest, TlsPinningFindsOnlyAMemberWhoseCertificatesPass) {
  TestAuthority stranger("Stranger TLS Authority");
  directory::Member good = make_member("alpha", {"a.example"}, &authority_);
  directory::Member bad = make_member("bravo", {"b.example"}, &stranger);
  auto dir = directory::Directory::build(make_feed(1, {good, bad}));
  std::string good_fp = pki::fingerprint(pki::parse_certificates_pem(good.certificates[0])->front().get());
  std::string bad_fp = pki::fingerprint(pki::parse_certificates_pem(bad.certificates[0])->front().get());
  const directory::Member* found = certs.member_with_certificate(dir, good_fp);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->id, "alpha");
  EXPECT_EQ(certs.member_with_certificate(dir, bad_fp), nullptr);
  EXPECT_EQ(certs.member_with_certificate(dir, std::string(64, '0')), nullptr);
}

TEST_F(MemberCertsTest, ACertificateStaysValidWhileHeldAfterTheCacheMovesOn) {
  directory::Member m = make_member("alpha", {"a.example"}, &authority_);
  auto held = certs.of(m);
  ASSERT_TRUE(held);
  directory::Member n = make_member("alpha", {"a.example"}, &authority_);  // a rotated certificate
  auto dir = directory::Directory::build(make_feed(2, {n}));
  certs.member_with_certificate(dir, "00");  // a new snapshot: the old PEM is dropped from the cache
  EXPECT_EQ(pki::fingerprint((*held)[0].cert), (*held)[0].sha256) << "still readable through the holder";
}

TEST_F(MemberCertsTest, WithoutATrustSourceCertificatesAreOnlyParsed) {
  MemberCertificates bare;
  TestAuthority stranger("Stranger Bare Authority");
  directory::Member m = make_member("alpha", {"a.example"}, &stranger);
  EXPECT_TRUE(bare.of(m));
  m.certificates = {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
  auto r = bare.of(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("does not parse"), std::string::npos) << r.error().text;
}

}  // namespace
}  // namespace sm::gateway
