// pki_chain_cache_test.cpp - remembered chain checks (pki/chain_cache.h):
// a good chain is verified once and then answered from the cache; a new
// CRL (a new trust store) makes a revocation take effect at once; an
// expired certificate is never served after its notAfter; a tampered or
// foreign certificate is never cached as good; the cache stays bounded.
#include "pki/chain_cache.h"

#include <gtest/gtest.h>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki_test_support.h"

using namespace sm;
using namespace sm::pki;
using namespace sm::pki::testing;

namespace {

class PkiChainCache : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_TRUE(init_test_authority(dir_->path / "AUTH"));
    ASSERT_TRUE(init_test_authority(dir_->path / "FOREIGN"));
    key_ = new ossl::EvpPkeyPtr(std::move(*generate_key(KeyType::ec_p256)));
  }
  static void TearDownTestSuite() {
    delete key_;
    delete dir_;
  }
  static fs::path auth() { return dir_->path / "AUTH"; }

  static ossl::X509Ptr issue(const fs::path& authority, const std::string& domain, std::int64_t not_after = 0) {
    auto a = Authority::open(authority);
    EXPECT_TRUE(a) << a.error().text;
    GatewayCertRequest req;
    req.domains = {domain};
    req.public_key = key_->get();
    req.not_after = not_after;
    auto cert = a->issue(req);
    EXPECT_TRUE(cert) << cert.error().text;
    return std::move(*cert);
  }
  // The gateway's store as it loads crl.pem now (a reload is a new store).
  static TrustStore store() {
    auto t = TrustStore::load(Authority::certificate_file(auth()), Authority::crl_file(auth()));
    EXPECT_TRUE(t) << t.error().text;
    return std::move(*t);
  }
  static ChainResult check(const TrustStore& t, X509* leaf, Purpose p = Purpose::smime_sign) {
    return t.chain_cache().verify(t, leaf, nullptr, p);
  }

  static inline TempDir* dir_ = nullptr;
  static inline ossl::EvpPkeyPtr* key_ = nullptr;
};

TEST_F(PkiChainCache, AGoodChainIsVerifiedOnceThenAnsweredFromTheCache) {
  ossl::X509Ptr leaf = issue(auth(), "cached.example");
  TrustStore t = store();
  ChainResult first = check(t, leaf.get());
  ASSERT_TRUE(first.ok()) << first.detail;
  EXPECT_GT(first.valid_until, 0);
  ChainResult again = check(t, leaf.get());
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(again.chain, first.chain) << "the cached answer is the whole answer";
  auto stats = t.chain_cache().stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 1u);
  // Another purpose is another question.
  EXPECT_TRUE(check(t, leaf.get(), Purpose::smime_encrypt).ok());
  EXPECT_EQ(t.chain_cache().stats().misses, 2u);
}

TEST_F(PkiChainCache, AnOkAnswerHoldsUntilTheEarliestNotAfterOrCrlNextUpdate) {
  std::int64_t now = std::time(nullptr);
  ossl::X509Ptr leaf = issue(auth(), "short.example", now + 3600);
  TrustStore t = store();
  ChainResult r = check(t, leaf.get());
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_LE(r.valid_until, now + 3600);
  EXPECT_GE(r.valid_until, now + 3600 - 1);
  ossl::X509Ptr year = issue(auth(), "year.example");
  ChainResult y = check(t, year.get());
  ASSERT_TRUE(y.ok());
  ASSERT_EQ(t.crls().size(), 1u);
  std::tm tm{};
  ASSERT_EQ(ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(t.crls().front().get()), &tm), 1);
  std::int64_t next = timegm(&tm);
  EXPECT_EQ(y.valid_until, next) << "the CRL is due before the certificate expires";
}

TEST_F(PkiChainCache, AnExpiredCertificateIsNotServedFromTheCacheAfterExpiry) {
  std::int64_t now = std::time(nullptr);
  ossl::X509Ptr leaf = issue(auth(), "expiring.example", now + 600);
  TrustStore t = store();
  std::int64_t clock = now;
  t.chain_cache().set_clock([&clock] { return clock; });
  ASSERT_TRUE(check(t, leaf.get()).ok());
  clock = now + 300;
  EXPECT_TRUE(check(t, leaf.get()).ok());
  EXPECT_EQ(t.chain_cache().stats().hits, 1u);
  clock = now + 601;  // past notAfter: checked again, and found expired
  ChainResult r = check(t, leaf.get());
  EXPECT_EQ(r.status, ChainStatus::expired) << r.detail;
  EXPECT_EQ(t.chain_cache().stats().hits, 1u);
  EXPECT_EQ(check(t, leaf.get()).status, ChainStatus::expired) << "and never cached as good";
}

TEST_F(PkiChainCache, ARevocationTakesEffectWhenTheNewCrlIsLoaded) {
  ossl::X509Ptr leaf = issue(auth(), "to-revoke.example");
  TrustStore before = store();
  ASSERT_TRUE(check(before, leaf.get()).ok());
  ASSERT_TRUE(check(before, leaf.get()).ok());  // cached
  auto a = Authority::open(auth());
  ASSERT_TRUE(a->revoke(describe(leaf.get()).serial, RevocationReason::key_compromise));
  TrustStore after = store();  // the gateway reloads its trust with the new CRL
  ChainResult r = check(after, leaf.get());
  EXPECT_EQ(r.status, ChainStatus::revoked) << r.detail;
  EXPECT_EQ(check(after, leaf.get()).status, ChainStatus::revoked);
}

TEST_F(PkiChainCache, ATamperedOrForeignCertificateIsNeverCachedAsGood) {
  ossl::X509Ptr leaf = issue(auth(), "tamper.example");
  TrustStore t = store();
  ASSERT_TRUE(check(t, leaf.get()).ok());
  // The same certificate with one bit of its signature flipped: another
  // DER, so another key, and it fails every time.
  auto der_len = i2d_X509(leaf.get(), nullptr);
  std::string der(static_cast<std::size_t>(der_len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(leaf.get(), &out);
  der[der.size() - 5] = static_cast<char>(der[der.size() - 5] ^ 0x01);
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  ossl::X509Ptr tampered(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
  ASSERT_TRUE(tampered);
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(check(t, tampered.get()).ok());
  ossl::X509Ptr foreign = issue(dir_->path / "FOREIGN", "foreign.example");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(check(t, foreign.get()).status, ChainStatus::untrusted);
  EXPECT_EQ(t.chain_cache().stats().entries, 1u) << "only the good chain is kept";
  EXPECT_EQ(t.chain_cache().stats().hits, 0u);
}

TEST_F(PkiChainCache, TheCacheIsBounded) {
  TrustStore t = store();
  ChainCache small(2);
  std::vector<ossl::X509Ptr> leaves;
  for (int i = 0; i < 5; ++i) leaves.push_back(issue(auth(), "b" + std::to_string(i) + ".example"));
  for (auto& leaf : leaves) EXPECT_TRUE(small.verify(t, leaf.get(), nullptr, Purpose::smime_sign).ok());
  EXPECT_LE(small.stats().entries, 2u);
  EXPECT_EQ(small.stats().misses, 5u);
}

}  // namespace
