// directory_feed_test.cpp - the signed feed: what the authority signs, an
// independent check with the openssl CLI, and every reason verify_feed
// refuses a feed, each on its own.
#include <stdio.h>

#include <fstream>

#include "directory/feed.h"
#include "directory_test_support.h"

namespace sm::directory {
namespace {

using testing::make_feed;
using testing::make_member;
using testing::now_seconds;
using testing::TestAuthority;

// CMS SignedData over arbitrary content, as a forger or a buggy publisher
// would make it.
std::string sign_raw(std::string_view content, const EVP_PKEY* key, const X509* cert,
                     unsigned extra_flags = 0) {
  ossl::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  ossl::CmsPtr cms(CMS_sign(const_cast<X509*>(cert), const_cast<EVP_PKEY*>(key), nullptr, in.get(),
                            CMS_BINARY | extra_flags));
  EXPECT_TRUE(cms);
  unsigned char* raw = nullptr;
  int size = i2d_CMS_ContentInfo(cms.get(), &raw);
  ossl::OpensslBytePtr der(raw);
  return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(size));
}

class FeedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ours_ = new TestAuthority("Our Authority");
    other_ = new TestAuthority("Another Authority");
  }
  static void TearDownTestSuite() {
    delete ours_;
    delete other_;
  }
  static TestAuthority* ours_;
  static TestAuthority* other_;

  Feed good(std::uint64_t serial = 10, std::int64_t issued = now_seconds()) {
    return make_feed(serial, {make_member("bravo", {"b.example", "b2.example"}, ours_),
                              make_member("alpha", {"a.example"}, ours_)},
                     issued, ours_->subject());
  }
  // The authority's full check of a feed's contents.
  FeedResult<Feed> checked(const Feed& f) { return parse_feed(canonical_json(f), &ours_->trust()); }
  FeedResult<Feed> verify(const std::string& der, std::uint64_t current = 0) {
    return verify_feed(der, ours_->verify_options(current));
  }
  void expect_refused(const FeedResult<Feed>& r, Rejection reason, std::string_view detail) {
    ASSERT_FALSE(r) << "accepted; expected " << to_string(reason);
    EXPECT_EQ(r.error().reason, reason) << r.error().text();
    EXPECT_NE(r.error().detail.find(detail), std::string::npos) << r.error().text();
  }
};
TestAuthority* FeedTest::ours_ = nullptr;
TestAuthority* FeedTest::other_ = nullptr;

TEST_F(FeedTest, SignedFeedVerifiesAndComesBackSorted) {
  Feed f = good();
  auto r = verify(ours_->sign(f));
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->serial, 10u);
  ASSERT_EQ(r->members.size(), 2u);
  EXPECT_EQ(r->members[0].id, "alpha");
  EXPECT_EQ(canonical_json(*r), canonical_json(f));
  // The same feed signed twice carries the same content bytes.
  auto again = verify(ours_->sign(f));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *r);
}

TEST_F(FeedTest, OpensslCliVerifiesTheFeedAndReadsTheCanonicalJson) {
  Feed f = good();
  testing::TempDir tmp;
  std::ofstream(tmp.path / "feed.cms", std::ios::binary) << ours_->sign(f);
  std::string command = "openssl cms -verify -binary -inform DER -in " + (tmp.path / "feed.cms").string() +
                        " -CAfile " + pki::Authority::certificate_file(ours_->dir()).string() +
                        " -purpose any -out " + (tmp.path / "feed.json").string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[512];
  std::string output;
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  ASSERT_EQ(::pclose(pipe), 0) << output;
  std::ifstream in(tmp.path / "feed.json", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, canonical_json(f));
}

TEST_F(FeedTest, BadSignatureWhenTheContentIsAltered) {
  std::string der = ours_->sign(good());
  std::size_t at = der.find("\"serial\":10");
  ASSERT_NE(at, std::string::npos);
  der[at + 10] = '9';  // serial 19: still valid JSON, no longer what was signed
  expect_refused(verify(der), Rejection::bad_signature, "");
}

TEST_F(FeedTest, BadSignatureWhenTheSignatureBytesAreAltered) {
  std::string der = ours_->sign(good());
  der[der.size() - 5] ^= 0x01;  // inside the signature value, the last field
  expect_refused(verify(der), Rejection::bad_signature, "");
}

TEST_F(FeedTest, WrongAuthorityWhenAnotherAuthoritySigns) {
  Feed f = good();
  expect_refused(verify(other_->sign(f)), Rejection::wrong_authority, "Another Authority");
  // and the other way round: our feed offered to a gateway of another authority
  expect_refused(verify_feed(ours_->sign(f), other_->verify_options()), Rejection::wrong_authority,
                 "not by the authority");
  // a gateway member's own key cannot sign a feed either
  Member m = make_member("mallory", {"m.example"}, ours_);
  auto certs = pki::parse_certificates_pem(m.certificates[0]);
  ASSERT_TRUE(certs);
  expect_refused(verify(sign_raw(canonical_json(f), testing::gateway_key(), certs->front().get())),
                 Rejection::wrong_authority, "m.example");
}

TEST_F(FeedTest, RollbackRefusedEqualSerialAccepted) {
  std::string der = ours_->sign(good(10));
  expect_refused(verify(der, 11), Rejection::rollback, "serial 10 is lower than the held serial 11");
  EXPECT_TRUE(verify(der, 10));
  EXPECT_TRUE(verify(der, 9));
}

TEST_F(FeedTest, StaleAndFutureDatedFeedsAreRefused) {
  std::int64_t now = now_seconds();
  expect_refused(verify(ours_->sign(good(10, now - 73 * 3600))), Rejection::stale, "older than 259200 s");
  expect_refused(verify(ours_->sign(good(10, now + 3600))), Rejection::stale, "in the future");
  EXPECT_TRUE(verify(ours_->sign(good(10, now + 60))));  // small clock skew is fine
  VerifyOptions o = ours_->verify_options();
  o.max_age = std::chrono::hours(1);
  std::string der = ours_->sign(good(10, now));
  o.now = now + 3601;
  expect_refused(verify_feed(der, o), Rejection::stale, "older than 3600 s");
  o.now = now + 3600;  // the same feed a second earlier was still fresh
  auto earlier = verify_feed(der, o);
  EXPECT_TRUE(earlier) << earlier.error().text();
}

TEST_F(FeedTest, MalformedWhenNotCms) {
  expect_refused(verify(""), Rejection::malformed, "not a DER CMS message");
  expect_refused(verify("{\"format\":\"securemail-directory/1\"}"), Rejection::malformed, "not a DER CMS");
  std::string der = ours_->sign(good());
  expect_refused(verify(der.substr(0, der.size() / 2)), Rejection::malformed, "not a DER CMS");
  expect_refused(verify(der + "x"), Rejection::malformed, "trailing bytes");
  expect_refused(verify(sign_raw("{}", ours_->key(), ours_->cert(), CMS_DETACHED)), Rejection::malformed,
                 "detached");
}

TEST_F(FeedTest, MalformedWhenTheSignedContentIsNotAFeed) {
  auto signed_text = [&](const std::string& text) { return verify(sign_raw(text, ours_->key(), ours_->cert())); };
  expect_refused(signed_text("not json"), Rejection::malformed, "not JSON");
  std::string json = canonical_json(good());
  expect_refused(signed_text(json.substr(0, json.size() - 1)), Rejection::malformed, "not JSON");
  std::string other_format = json;
  other_format.replace(other_format.find("securemail-directory/1"), 22, "securemail-directory/9");
  expect_refused(signed_text(other_format), Rejection::malformed, "format: expected");
  std::string no_org = json;
  no_org.replace(no_org.find("\"organisation\""), 14, "\"organization\"");
  expect_refused(signed_text(no_org), Rejection::malformed, "members[0].organisation: missing");
  std::string wrong_type = json;
  wrong_type.replace(wrong_type.find("\"serial\":10"), 11, "\"serial\":\"10\"");
  expect_refused(signed_text(wrong_type), Rejection::malformed, "serial: must be a non-negative integer");
}

TEST_F(FeedTest, DuplicateDomainAcrossMembersAndWithinOne) {
  Feed across = good();
  Member c = make_member("charlie", {"c.example"}, ours_);
  c.domains.push_back("b2.example");
  across.members.push_back(c);
  expect_refused(verify(ours_->sign(across)), Rejection::duplicate_domain,
                 "domain b2.example is listed by members[1] (bravo) and members[2] (charlie)");
  Feed within = good();
  within.members[0].domains.push_back("b.example");
  expect_refused(verify(ours_->sign(within)), Rejection::duplicate_domain,
                 "members[1] (bravo) lists domain b.example twice");
}

TEST_F(FeedTest, DuplicateMemberId) {
  Feed f = good();
  f.members.push_back(make_member("alpha", {"other.example"}, ours_));
  expect_refused(verify(ours_->sign(f)), Rejection::duplicate_member, "member id \"alpha\"");
}

// The authority's checks of member certificates (parse_feed with its trust
// store, as registry.cpp runs them before publishing). A gateway's
// verify_feed leaves them to the first use (directory_member_certificate_test).
TEST_F(FeedTest, VerifyFeedTrustsTheSignatureAndLeavesCertificatesToFirstUse) {
  Feed f = good();
  f.members[0].certificates = {other_->issue({"b.example"})};  // another authority, one domain short
  f.members[1].certificates = {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
  auto r = verify(ours_->sign(f));
  ASSERT_TRUE(r) << r.error().text();
  ASSERT_EQ(r->members.size(), 2u);  // sorted: alpha, bravo; certificates kept as carried
  EXPECT_EQ(r->members[0].certificates, f.members[1].certificates);
  EXPECT_EQ(r->members[1].certificates, f.members[0].certificates);
  EXPECT_EQ(checked(f).error().reason, Rejection::certificate_mismatch);
}

TEST_F(FeedTest, CertificateThatDoesNotNameEveryDomain) {
  Feed f = good();
  f.members[0].certificates = {ours_->issue({"b.example"})};  // bravo also holds b2.example
  expect_refused(checked(f), Rejection::certificate_mismatch,
                 "members[1] (bravo).certificates[0] does not name domain b2.example");
  // during a rotation every listed certificate must name every domain
  Feed rotation = good();
  rotation.members[1].certificates.push_back(ours_->issue({"a.example"}));
  EXPECT_TRUE(checked(rotation));
  rotation.members[1].certificates.push_back(ours_->issue({"z.example"}));
  expect_refused(checked(rotation), Rejection::certificate_mismatch,
                 "members[0] (alpha).certificates[2] does not name domain a.example");
}

TEST_F(FeedTest, CertificateFromAnotherAuthority) {
  Feed f = good();
  f.members[1].certificates = {other_->issue({"a.example"})};
  expect_refused(checked(f), Rejection::certificate_mismatch,
                 "members[0] (alpha).certificates[0] does not chain to the authority");
}

TEST_F(FeedTest, CertificateThatDoesNotParseOrHoldsTwo) {
  Feed f = good();
  f.members[1].certificates = {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
  expect_refused(checked(f), Rejection::certificate_mismatch, "does not parse");
  f.members[1].certificates = {ours_->issue({"a.example"}) + ours_->issue({"a.example"})};
  expect_refused(checked(f), Rejection::certificate_mismatch, "holds 2 certificates");
}

TEST_F(FeedTest, RevokedCertificateIsRefusedOnceTheCrlIsLoaded) {
  TestAuthority authority("Revoking Authority");
  Member m = make_member("alpha", {"a.example"}, &authority);
  // Issued just after the revocation's CRL, so that CRL covers the feed.
  Feed f = make_feed(1, {m}, now_seconds() + 5, authority.subject());
  EXPECT_TRUE(parse_feed(canonical_json(f), &authority.trust()));
  auto certs = pki::parse_certificates_pem(m.certificates[0]);
  ASSERT_TRUE(certs);
  ASSERT_TRUE(authority.authority().revoke(pki::fingerprint(certs->front().get())));
  authority.reload_trust();
  auto r = parse_feed(canonical_json(f), &authority.trust());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, Rejection::certificate_mismatch);
  EXPECT_NE(r.error().detail.find("revoked"), std::string::npos) << r.error().text();
}

TEST_F(FeedTest, ASuspendedMemberMayKeepItsRevokedCertificate) {
  // Key compromise: the authority revokes the certificate and suspends the
  // member; the feed saying so must still be publishable and accepted.
  TestAuthority authority("Compromise Authority");
  Member m = make_member("alpha", {"a.example"}, &authority);
  Member other = make_member("beta", {"b.example"}, &authority);
  auto certs = pki::parse_certificates_pem(m.certificates[0]);
  ASSERT_TRUE(certs);
  ASSERT_TRUE(authority.authority().revoke(pki::fingerprint(certs->front().get())));
  authority.reload_trust();
  m.status = Status::suspended;
  Feed f = make_feed(1, {m, other}, now_seconds() + 5, authority.subject());
  auto r = parse_feed(canonical_json(f), &authority.trust());
  EXPECT_TRUE(r) << r.error().text();
  // Active with the same revoked certificate: refused.
  f.members[0].status = Status::active;
  auto active = parse_feed(canonical_json(f), &authority.trust());
  ASSERT_FALSE(active);
  EXPECT_NE(active.error().detail.find("revoked"), std::string::npos) << active.error().text();
}

TEST_F(FeedTest, TheAuthoritysCheckNeverRequiresACrl) {
  TestAuthority authority("Later CRL Authority");
  Feed f = make_feed(1, {make_member("alpha", {"a.example"}, &authority)}, now_seconds() - 120,
                     authority.subject());
  ASSERT_TRUE(authority.authority().publish_crl());  // issued after the feed: does not cover it
  authority.reload_trust();
  auto r = parse_feed(canonical_json(f), &authority.trust());
  EXPECT_TRUE(r) << r.error().text();
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(pki::clone(ours_->cert()));
  auto strict = pki::TrustStore::make(std::move(anchors), {}, {.require_crl = true});
  ASSERT_TRUE(strict);
  r = parse_feed(canonical_json(good()), &*strict);
  EXPECT_TRUE(r) << r.error().text();
}

TEST_F(FeedTest, ParseFeedChecksCertificatesWhenGivenTheAuthority) {
  Feed f = good();
  EXPECT_TRUE(parse_feed(canonical_json(f), &ours_->trust()));
  auto r = parse_feed(canonical_json(f), &other_->trust());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, Rejection::certificate_mismatch);
}

TEST_F(FeedTest, RejectionNames) {
  EXPECT_EQ(to_string(Rejection::malformed), "malformed");
  EXPECT_EQ(to_string(Rejection::bad_signature), "bad-signature");
  EXPECT_EQ(to_string(Rejection::wrong_authority), "wrong-authority");
  EXPECT_EQ(to_string(Rejection::rollback), "rollback");
  EXPECT_EQ(to_string(Rejection::stale), "stale");
  EXPECT_EQ(to_string(Rejection::duplicate_domain), "duplicate-domain");
  EXPECT_EQ(to_string(Rejection::duplicate_member), "duplicate-member");
  EXPECT_EQ(to_string(Rejection::certificate_mismatch), "certificate-mismatch");
  EXPECT_EQ((FeedError{Rejection::stale, "a\nb"}).text(), "stale: a b");
}

}  // namespace
}  // namespace sm::directory
