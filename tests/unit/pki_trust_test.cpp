// pki_trust_test.cpp - chain validation: every ChainStatus is produced by
// the situation it names (good, revoked, expired, not yet valid, foreign
// CA, self-signed, CRL missing or stale, wrong usage), on certificates from
// a real authority folder; and a subordinate CA's chains.
#include "pki/trust.h"

#include <gtest/gtest.h>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki_test_support.h"

using namespace sm;
using namespace sm::pki;
using namespace sm::pki::testing;

namespace {

constexpr std::int64_t kDay = 86400;

class PkiTrust : public ::testing::Test {
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

  static ossl::X509Ptr issue(const fs::path& authority, const std::string& domain,
                             std::int64_t not_before = 0, std::int64_t not_after = 0,
                             const EVP_PKEY* key = nullptr) {
    auto a = Authority::open(authority);
    EXPECT_TRUE(a) << a.error().text;
    GatewayCertRequest req;
    req.domains = {domain};
    req.public_key = key ? key : key_->get();
    req.not_before = not_before;
    req.not_after = not_after;
    auto cert = a->issue(req);
    EXPECT_TRUE(cert) << cert.error().text;
    return std::move(*cert);
  }
  static TrustStore store(TrustOptions options = {}, bool with_crl = true) {
    auto t = TrustStore::load(Authority::certificate_file(auth()),
                              with_crl ? Authority::crl_file(auth()) : fs::path(), options);
    EXPECT_TRUE(t) << t.error().text;
    return std::move(*t);
  }
  static ChainResult check(const X509* leaf, Purpose p = Purpose::smime_sign, std::int64_t at = 0,
                           TrustOptions options = {}, bool with_crl = true) {
    return verify_chain(store(options, with_crl), const_cast<X509*>(leaf), nullptr, p, at);
  }

  static inline TempDir* dir_ = nullptr;
  static inline ossl::EvpPkeyPtr* key_ = nullptr;
};

TEST_F(PkiTrust, GoodCertificateIsOkForEveryPurpose) {
  ossl::X509Ptr leaf = issue(auth(), "good.example");
  for (Purpose p : {Purpose::smime_sign, Purpose::smime_encrypt, Purpose::tls_server, Purpose::tls_client}) {
    ChainResult r = check(leaf.get(), p);
    EXPECT_EQ(r.status, ChainStatus::ok) << r.detail;
    EXPECT_TRUE(r.ok());
    ASSERT_EQ(r.chain.size(), 2u);
    EXPECT_EQ(r.chain[0], "CN=good.example");
    EXPECT_EQ(r.chain[1], "O=SecureMail Authority,CN=SecureMail Authority");
  }
  auto rsa = generate_key(KeyType::rsa2048);
  ossl::X509Ptr rsa_leaf = issue(auth(), "rsa.example", 0, 0, rsa->get());
  EXPECT_EQ(check(rsa_leaf.get(), Purpose::smime_encrypt).status, ChainStatus::ok);
}

TEST_F(PkiTrust, RevokedCertificateIsRevoked) {
  ossl::X509Ptr leaf = issue(auth(), "revoked.example");
  auto a = Authority::open(auth());
  ASSERT_TRUE(a->revoke(describe(leaf.get()).serial, RevocationReason::key_compromise));
  ChainResult r = check(leaf.get());
  EXPECT_EQ(r.status, ChainStatus::revoked) << r.detail;
  EXPECT_NE(r.detail.find("certificate revoked"), std::string::npos) << r.detail;
  // Without require_crl a loaded CRL still applies.
  EXPECT_EQ(check(leaf.get(), Purpose::smime_sign, 0, {.require_crl = false}).status, ChainStatus::revoked);
}

TEST_F(PkiTrust, ValidityDates) {
  std::int64_t now = std::time(nullptr);
  ossl::X509Ptr old = issue(auth(), "old.example", now - 30 * kDay, now - kDay);
  ChainResult r = check(old.get());
  EXPECT_EQ(r.status, ChainStatus::expired) << r.detail;
  EXPECT_NE(r.detail.find("expired"), std::string::npos);
  ossl::X509Ptr later = issue(auth(), "later.example", now + kDay, now + 30 * kDay);
  EXPECT_EQ(check(later.get()).status, ChainStatus::not_yet_valid);
  // at_time moves the clock: valid then (and the authority itself is not yet valid before its creation).
  EXPECT_EQ(check(later.get(), Purpose::smime_sign, now + 2 * kDay, {.require_crl = false}, false).status,
            ChainStatus::ok);
  EXPECT_EQ(check(old.get(), Purpose::smime_sign, now - 2 * kDay, {.require_crl = false}, false).status,
            ChainStatus::not_yet_valid);
}

TEST_F(PkiTrust, ForeignAndSelfSignedAreUntrusted) {
  ossl::X509Ptr foreign = issue(dir_->path / "FOREIGN", "foreign.example");
  ChainResult r = check(foreign.get());
  EXPECT_EQ(r.status, ChainStatus::untrusted) << r.detail;
  EXPECT_NE(r.detail.find("unable to get local issuer"), std::string::npos) << r.detail;
  auto other_ca = Authority::read_certificate(dir_->path / "FOREIGN");
  EXPECT_EQ(check(other_ca->get()).status, ChainStatus::untrusted);
}

TEST_F(PkiTrust, MissingOrStaleCrl) {
  ossl::X509Ptr leaf = issue(auth(), "crl.example");
  ChainResult r = check(leaf.get(), Purpose::smime_sign, 0, {.require_crl = true}, false);
  EXPECT_EQ(r.status, ChainStatus::crl_unavailable) << r.detail;
  EXPECT_NE(r.detail.find("unable to get certificate CRL"), std::string::npos) << r.detail;
  EXPECT_EQ(check(leaf.get(), Purpose::smime_sign, 0, {.require_crl = false}, false).status, ChainStatus::ok);

  // A CRL valid for one day, checked two days on: past its nextUpdate.
  TempDir other;
  ASSERT_TRUE(init_test_authority(other.path / "A"));
  auto a = Authority::open(other.path / "A");
  ASSERT_TRUE(a->publish_crl(1));
  ossl::X509Ptr l2 = issue(other.path / "A", "stale.example");
  auto t = TrustStore::load(other.path / "A" / "ca.pem", other.path / "A" / "crl.pem");
  ASSERT_TRUE(t);
  std::int64_t later = std::time(nullptr) + 2 * kDay;
  ChainResult stale = verify_chain(*t, l2.get(), nullptr, Purpose::smime_sign, later);
  EXPECT_EQ(stale.status, ChainStatus::crl_unavailable) << stale.detail;
  EXPECT_NE(stale.detail.find("CRL has expired"), std::string::npos) << stale.detail;
  auto lax = TrustStore::load(other.path / "A" / "ca.pem", other.path / "A" / "crl.pem", {.require_crl = false});
  EXPECT_EQ(verify_chain(*lax, l2.get(), nullptr, Purpose::smime_sign, later).status, ChainStatus::crl_unavailable);
  // The foreign authority's CRL does not stand in for ours.
  auto mixed = TrustStore::load(Authority::certificate_file(auth()), other.path / "A" / "crl.pem");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(verify_chain(*mixed, leaf.get(), nullptr, Purpose::smime_sign).status, ChainStatus::crl_unavailable);
}

TEST_F(PkiTrust, WrongUsage) {
  auto ca = Authority::read_certificate(auth());
  ChainResult r = check(ca->get(), Purpose::smime_sign);
  EXPECT_EQ(r.status, ChainStatus::wrong_usage) << r.detail;
  EXPECT_EQ(check(ca->get(), Purpose::tls_server).status, ChainStatus::wrong_usage);
  EXPECT_EQ(check(ca->get(), Purpose::smime_encrypt).status, ChainStatus::wrong_usage);

  // A TLS-only RSA certificate signed by the authority with the openssl CLI.
  fs::path d = dir_->path;
  write_text(d / "ext.cnf",
             "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
             "subjectAltName=DNS:tls.example\n");
  Command made = run("cd " + quoted(d) +
                     " && openssl req -new -newkey rsa:2048 -nodes -keyout tls.key -subj /CN=tls.example -out tls.csr"
                     " && openssl x509 -req -in tls.csr -CA AUTH/ca.pem -CAkey AUTH/ca.key -set_serial 0x1234"
                     " -days 30 -extfile ext.cnf -out tls.pem");
  ASSERT_EQ(made.status, 0) << made.output;
  auto tls = read_certificate(d / "tls.pem");
  ASSERT_TRUE(tls) << tls.error().text;
  EXPECT_EQ(check(tls->get(), Purpose::tls_server).status, ChainStatus::ok);
  ChainResult sign = check(tls->get(), Purpose::smime_sign);
  EXPECT_EQ(sign.status, ChainStatus::wrong_usage) << sign.detail;
  EXPECT_NE(sign.detail.find("unsuitable certificate purpose"), std::string::npos) << sign.detail;
  ChainResult enc = check(tls->get(), Purpose::smime_encrypt);
  EXPECT_EQ(enc.status, ChainStatus::wrong_usage) << enc.detail;
  EXPECT_NE(enc.detail.find("emailProtection"), std::string::npos) << enc.detail;
  EXPECT_EQ(check(tls->get(), Purpose::tls_client).status, ChainStatus::wrong_usage);
}

// A weak key or digest is refused anywhere in the chain even when the
// authority signed it (made here with the openssl CLI: our authority refuses
// to issue such a certificate).
TEST_F(PkiTrust, WeakKeysAndDigestsAreRefused) {
  fs::path d = dir_->path;
  write_text(d / "sign.cnf",
             "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
             "extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
             "subjectAltName=DNS:weak.example\n");
  auto make = [&](const std::string& name, const std::string& newkey, const std::string& digest) {
    Command made = run("cd " + quoted(d) + " && openssl req -new -newkey " + newkey + " -nodes -keyout " + name +
                       ".key -subj /CN=weak.example -out " + name + ".csr && openssl x509 -req -in " + name +
                       ".csr -CA AUTH/ca.pem -CAkey AUTH/ca.key -set_serial 0x" + std::to_string(name.size()) +
                       "77 -days 30 -" + digest + " -extfile sign.cnf -out " + name + ".pem");
    EXPECT_EQ(made.status, 0) << made.output;
    auto cert = read_certificate(d / (name + ".pem"));
    EXPECT_TRUE(cert) << cert.error().text;
    return std::move(*cert);
  };
  auto strong = make("rsa2048", "rsa:2048", "sha256");
  EXPECT_EQ(check(strong.get()).status, ChainStatus::ok) << check(strong.get()).detail;
  auto small = make("rsa1024", "rsa:1024", "sha256");
  ChainResult r = check(small.get());
  EXPECT_EQ(r.status, ChainStatus::weak);
  EXPECT_NE(r.detail.find("key too weak"), std::string::npos) << r.detail;
  auto sha1 = make("sha1", "rsa:2048", "sha1");
  ChainResult s = check(sha1.get());
  EXPECT_EQ(s.status, ChainStatus::weak);
  EXPECT_NE(s.detail.find("too weak"), std::string::npos) << s.detail;
}

TEST_F(PkiTrust, LoadAndMakeErrors) {
  EXPECT_FALSE(TrustStore::make({}, {}));
  auto missing = TrustStore::load(dir_->path / "absent.pem", {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text.find("absent.pem"), std::string::npos);
  auto no_crl = TrustStore::load(Authority::certificate_file(auth()), dir_->path / "no-crl.pem");
  ASSERT_TRUE(no_crl);
  EXPECT_TRUE(no_crl->crls().empty());
  write_text(dir_->path / "bad-crl.pem", "junk");
  EXPECT_FALSE(TrustStore::load(Authority::certificate_file(auth()), dir_->path / "bad-crl.pem"));
  EXPECT_EQ(to_string(ChainStatus::crl_unavailable), "crl_unavailable");
  EXPECT_EQ(to_string(ChainStatus::not_yet_valid), "not_yet_valid");
  EXPECT_EQ(verify_chain(*no_crl, nullptr, nullptr, Purpose::smime_sign).status, ChainStatus::invalid);
}

}  // namespace

// A subordinate CA below the authority (init_subordinate_authority), as the
// certification fixture fx-nocrl uses: its leaf's chain builds through the
// intermediate, and every certificate below the anchor needs its issuer's
// CRL (CRL_CHECK_ALL).
class PkiSubordinate : public PkiTrust {
 protected:
  static fs::path sub() { return dir_->path / "SUB"; }
  static void SetUpTestSuite() {
    PkiTrust::SetUpTestSuite();
    auto parent = Authority::open(auth());
    ASSERT_TRUE(parent) << parent.error().text;
    ASSERT_TRUE(init_subordinate_authority(sub(), *parent, {"Sub CA", "f.example", 30}));
  }
  // The authority's certificate, its CRL, and the subordinate's CRL when asked.
  static TrustStore store_with(bool sub_crl) {
    std::vector<ossl::X509Ptr> anchors;
    anchors.push_back(std::move(*Authority::read_certificate(auth())));
    std::vector<ossl::X509CrlPtr> crls;
    crls.push_back(std::move(*read_crl(Authority::crl_file(auth()))));
    if (sub_crl) crls.push_back(std::move(*read_crl(Authority::crl_file(sub()))));
    auto t = TrustStore::make(std::move(anchors), std::move(crls), {});
    EXPECT_TRUE(t) << t.error().text;
    return std::move(*t);
  }
  // The subordinate's certificate, as a signature carries it.
  static ossl::X509StackPtr intermediates() {
    ossl::X509StackPtr chain(sk_X509_new_null());
    auto intermediate = Authority::read_certificate(sub());
    EXPECT_TRUE(intermediate);
    if (intermediate && sk_X509_push(chain.get(), intermediate->get()) > 0) (void)intermediate->release();
    return chain;
  }
  static ChainResult check_sub(const X509* leaf, bool sub_crl) {
    return verify_chain(store_with(sub_crl), const_cast<X509*>(leaf), intermediates().get(), Purpose::smime_sign);
  }
};

TEST_F(PkiSubordinate, ItsCertificateIsAConstrainedCaRecordedByTheParent) {
  auto cert = Authority::read_certificate(sub());
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_self_signed(cert->get(), 0), 0);
  EXPECT_TRUE(X509_get_extension_flags(cert->get()) & EXFLAG_CA);
  EXPECT_EQ(X509_get_pathlen(cert->get()), 0);
  EXPECT_GE(X509_get_ext_by_NID(cert->get(), NID_name_constraints, -1), 0);
  auto parent = Authority::open(auth());
  auto issued = parent->issued();
  ASSERT_TRUE(issued);
  EXPECT_TRUE(std::any_of(issued->begin(), issued->end(),
                          [&](const IssuedRecord& r) { return r.fingerprint == fingerprint(cert->get()); }));
  // A second one in the same folder is refused.
  auto again = init_subordinate_authority(sub(), *parent, {"Sub CA", "f.example", 30});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().text.find("already holds an authority"), std::string::npos);
  EXPECT_FALSE(parent->issue_subordinate({"Sub", "not a host", 30}, key_->get()));
}

TEST_F(PkiSubordinate, ALeafWhoseIssuerPublishesNoCrlIsUntrusted) {
  auto a = Authority::open(sub());
  ASSERT_TRUE(a) << a.error().text;
  GatewayCertRequest req;
  req.domains = {"nocrl.f.example"};
  req.public_key = key_->get();
  req.crl_url = "http://crl.nocrl.f.example.invalid/sub.crl";
  auto leaf = a->issue(req);
  ASSERT_TRUE(leaf) << leaf.error().text;
  EXPECT_GE(X509_get_ext_by_NID(leaf->get(), NID_crl_distribution_points, -1), 0);
  // Its CRL never reaches a gateway: not "try later" but not trusted.
  ChainResult unknown = check_sub(leaf->get(), false);
  EXPECT_EQ(unknown.status, ChainStatus::untrusted) << unknown.detail;
  EXPECT_NE(unknown.detail.find("unable to get certificate CRL at depth 0: its issuer is not an authority"),
            std::string::npos) << unknown.detail;
  // With the subordinate's CRL the same chain is good, three deep.
  ChainResult good = check_sub(leaf->get(), true);
  EXPECT_EQ(good.status, ChainStatus::ok) << good.detail;
  EXPECT_EQ(good.chain.size(), 3u);
  // Without the intermediate the leaf does not chain at all.
  EXPECT_EQ(verify_chain(store_with(true), leaf->get(), nullptr, Purpose::smime_sign).status, ChainStatus::untrusted);
  // Without require_crl a leaf whose issuer has no CRL loaded is not checked.
  auto lax = TrustStore::load(Authority::certificate_file(auth()), Authority::crl_file(auth()), {.require_crl = false});
  ASSERT_TRUE(lax);
  EXPECT_EQ(verify_chain(*lax, leaf->get(), intermediates().get(), Purpose::smime_sign).status, ChainStatus::ok);
}

TEST_F(PkiSubordinate, NamesOutsideItsConstraintsAreRefused) {
  ossl::X509Ptr leaf = issue(sub(), "elsewhere.example");  // it signs whatever it is asked to
  ChainResult r = check_sub(leaf.get(), true);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.detail.find("permitted subtree violation"), std::string::npos) << r.detail;
}

// Last in the suite: it revokes the subordinate in the shared authority.
TEST_F(PkiSubordinate, ZRevokingTheSubordinateRevokesWhatItIssued) {
  ossl::X509Ptr leaf = issue(sub(), "leaf.f.example");
  ASSERT_EQ(check_sub(leaf.get(), true).status, ChainStatus::ok);
  auto parent = Authority::open(auth());
  auto cert = Authority::read_certificate(sub());
  ASSERT_TRUE(parent->revoke(fingerprint(cert->get()), RevocationReason::key_compromise));
  ChainResult r = check_sub(leaf.get(), true);
  EXPECT_EQ(r.status, ChainStatus::revoked) << r.detail;
  EXPECT_NE(r.detail.find("depth 1"), std::string::npos) << r.detail;
}
