// smime_signer_test.cpp - messages whose signer must not be believed:
// expired, not yet valid, revoked, from a foreign authority, without a
// current CRL, not for S/MIME signing, for another domain, not the
// directory's certificate, or a signed From: that is not one address.
#include "smime_fixture.h"

#include <ctime>

using namespace smtest;

namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

using Signer = Receiving;

TEST_F(Signer, ExpiredSignerIsSignerExpired) {
  const Gateway& old = p.gateway("a.example", pki::KeyType::ec_p256, now() - 100 * 86400, now() - 10 * 86400);
  auto o = open_default(seal_string(msg, old.identity(), {b.recipient()}));
  EXPECT_EQ(o.verdict.reason, Reason::signer_expired) << o.verdict.detail;
  EXPECT_TRUE(o.verdict.released);  // GCM: intact content, the caller decides
}

TEST_F(Signer, NotYetValidSignerIsSignerNotYetValid) {
  const Gateway& early = p.gateway("a.example", pki::KeyType::ec_p256, now() + 10 * 86400, now() + 100 * 86400);
  auto o = open_default(seal_string(msg, early.identity(), {b.recipient()}));
  EXPECT_EQ(o.verdict.reason, Reason::signer_not_yet_valid) << o.verdict.detail;
}

TEST_F(Signer, RevokedSignerIsSignerRevoked) {
  auto revoked = p.fresh_gateway("a.example");
  ASSERT_TRUE(p.authority().revoke(pki::fingerprint(revoked->cert.get())).has_value());
  auto fresh_trust = p.trust();
  std::string text = seal_string(msg, revoked->identity(), {b.recipient(), p.gateway("c.example").recipient()});
  auto o = open_with(text, options_for({b.identity()}, fresh_trust));
  EXPECT_EQ(o.verdict.reason, Reason::signer_revoked) << o.verdict.detail;
  EXPECT_EQ(o.verdict.revocation, "revoked");
  // CBC content from a revoked signer is withheld.
  SealOptions cbc;
  cbc.cipher = Cipher::aes256_cbc;
  o = open_with(seal_string(msg, revoked->identity(), {b.recipient()}, cbc), options_for({b.identity()}, fresh_trust));
  EXPECT_EQ(o.verdict.reason, Reason::signer_revoked);
  expect_withheld(o);
}

TEST_F(Signer, SignerFromAForeignAuthorityIsUntrusted) {
  TempDir dir;
  pki::AuthorityOptions ao;
  ao.name = "Rogue Authority";
  ao.key_type = pki::KeyType::ec_p256;
  ASSERT_TRUE(pki::init_authority(dir.path / "rogue", ao).has_value());
  auto rogue = pki::Authority::open(dir.path / "rogue");
  ASSERT_TRUE(rogue.has_value());
  auto forger = p.issue(*rogue, "a.example", pki::KeyType::ec_p256, 0, 0);
  auto o = open_default(seal_string(msg, forger->identity(), {b.recipient()}));
  EXPECT_EQ(o.verdict.reason, Reason::untrusted_signer) << o.verdict.detail;
}

TEST_F(Signer, MissingCrlIsRevocationUnknownWhenRequired) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(pki::clone(p.authority().certificate()));
  auto no_crl = pki::TrustStore::make(std::move(anchors), {}, {true});
  ASSERT_TRUE(no_crl.has_value());
  auto opt = options_for({b.identity()}, *no_crl);
  auto o = open_with(sealed(), opt);
  EXPECT_EQ(o.verdict.reason, Reason::revocation_unknown) << o.verdict.detail;
  std::vector<ossl::X509Ptr> same;
  same.push_back(pki::clone(p.authority().certificate()));
  auto lenient = pki::TrustStore::make(std::move(same), {}, {false});
  ASSERT_TRUE(lenient.has_value());
  opt.trust = &*lenient;
  o = open_with(sealed(), opt);
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_EQ(o.verdict.revocation, "not checked (no CRL)");
}

TEST_F(Signer, SignerWithoutEmailProtectionIsWrongUsage) {
  // A certificate from our own CA, but for TLS only (openssl CLI, CA key).
  TempDir dir;
  spit(dir.path / "ext.cnf",
       "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
       "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:a.example\n"
       "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  fs::path csr = dir.path / "req.csr", pem = dir.path / "tls.pem";
  int rc = 0;
  run("openssl req -new -key " + a.key_file.string() + " -subj /CN=a.example -out " + csr.string() + " 2>&1", &rc);
  ASSERT_EQ(rc, 0);
  run("openssl x509 -req -in " + csr.string() + " -CA " + p.ca_file().string() + " -CAkey " +
          (p.dir() / "ca.key").string() + " -set_serial 0x5eed -days 30 -sha256 -extfile " +
          (dir.path / "ext.cnf").string() + " -out " + pem.string() + " 2>&1",
      &rc);
  ASSERT_EQ(rc, 0);
  auto tls_cert = pki::read_certificate(pem);
  ASSERT_TRUE(tls_cert.has_value());
  Identity signer{a.key.get(), tls_cert->get(), {}, "tls-only"};
  auto o = open_default(seal_string(msg, signer, {b.recipient()}));
  EXPECT_EQ(o.verdict.reason, Reason::signer_wrong_usage) << o.verdict.detail;
}

TEST_F(Signer, SignerForAnotherDomainIsDomainMismatch) {
  const Gateway& c = p.gateway("c.example");
  auto o = open_default(seal_string(msg, c.identity(), {b.recipient()}));
  EXPECT_EQ(o.verdict.reason, Reason::signer_domain_mismatch) << o.verdict.detail;
  EXPECT_EQ(o.verdict.from_domain, "a.example");
  EXPECT_EQ(o.verdict.signer_domains, std::vector<std::string>{"c.example"});
}

TEST_F(Signer, SignerNotTheExpectedDomainIsDomainMismatch) {
  auto opt = options();
  opt.expected_signer_domain = "other.example";
  auto o = open_with(sealed(), opt);
  EXPECT_EQ(o.verdict.reason, Reason::signer_domain_mismatch) << o.verdict.detail;
}

TEST_F(Signer, SignerNotInTheDirectoryIsNotMember) {
  auto opt = options();
  opt.allowed_signer_fingerprints = {std::string(64, '0')};
  auto o = open_with(sealed(), opt);
  EXPECT_EQ(o.verdict.reason, Reason::signer_not_member) << o.verdict.detail;
  opt.allowed_signer_fingerprints.push_back(pki::fingerprint(a.cert.get()));
  EXPECT_EQ(open_with(sealed(), opt).verdict.reason, Reason::none);
}

TEST_F(Signer, SignedFromWithTwoAddressesIsFromInvalid) {
  std::string two = replace(msg, "From: Alice Example <alice@a.example>", "From: alice@a.example, mallory@a.example");
  auto o = open_default(sealed(Cipher::aes256_gcm, two));
  EXPECT_EQ(o.verdict.reason, Reason::from_invalid) << o.verdict.detail;
  std::string none = replace(msg, "From: Alice Example <alice@a.example>\r\n", "");
  o = open_default(sealed(Cipher::aes256_gcm, none));
  EXPECT_EQ(o.verdict.reason, Reason::from_invalid) << o.verdict.detail;
}

}  // namespace
