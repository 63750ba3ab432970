// smime_interop_test.cpp - the reference peer, the real `openssl cms`
// command: it decrypts and verifies (with the authority and its CRL, purpose
// smimesign) what we seal and sign, and we open what it signs and seals;
// with each digest SignOptions::digest offers (SHA-256, -384, -512): the
// SignedData names it, micalg says it, and both sides verify it.
#include "smime_fixture.h"

using namespace smtest;

namespace {

struct Case {
  pki::KeyType signer, recipient;
  bool oaep;
  Cipher cipher;
  bool opaque;
};

std::string name_of(const Case& c) {
  std::string n = std::string(pki::to_string(c.signer)) + "_to_" + std::string(pki::to_string(c.recipient)) +
                  (c.oaep ? "" : "_pkcs1") + "_" + std::string(to_string(c.cipher)) + (c.opaque ? "_opaque" : "");
  for (char& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

const std::vector<Case> kCases = {
    {pki::KeyType::ec_p256, pki::KeyType::ec_p256, true, Cipher::aes256_gcm, false},
    {pki::KeyType::ec_p384, pki::KeyType::ec_p384, true, Cipher::aes256_gcm, true},
    {pki::KeyType::rsa2048, pki::KeyType::rsa2048, true, Cipher::aes256_gcm, false},
    {pki::KeyType::rsa2048, pki::KeyType::rsa2048, false, Cipher::aes256_cbc, false},
    {pki::KeyType::rsa3072, pki::KeyType::ec_p256, true, Cipher::aes256_cbc, true},
};

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// `openssl cms -verify` of `file` against the authority and its CRL (both
// in the -CAfile: `openssl cms` has no -CRLfile); the content it restores,
// or "" when it fails.
std::string smtest_openssl_verify(TestPki& p, const TempDir& dir, const fs::path& file) {
  fs::path trust = dir.path / "ca-and-crl.pem";
  spit(trust, slurp(p.ca_file()) + slurp(pki::Authority::crl_file(p.dir())));
  fs::path content = dir.path / "verified.eml";
  int rc = -1;
  std::string log = run("openssl cms -verify -purpose smimesign -crl_check -CAfile " + q(trust) + " -in " + q(file) +
                            " -out " + q(content) + " 2>&1",
                        &rc);
  EXPECT_EQ(rc, 0) << log;
  return rc == 0 ? slurp(content) : std::string();
}

// `openssl cms -sign` of `msg` by `a` with `options` (e.g. "-md sha512
// -crlfeol"), in dir/signed.eml; its text, "" when it failed.
std::string openssl_sign(const Gateway& a, const TempDir& dir, const std::string& msg, const std::string& options) {
  spit(dir.path / "msg.eml", msg);
  int rc = -1;
  std::string log = run("openssl cms -sign " + options + " -signer " + q(a.cert_file) + " -inkey " + q(a.key_file) +
                            " -in " + q(dir.path / "msg.eml") + " -out " + q(dir.path / "signed.eml") + " 2>&1",
                        &rc);
  EXPECT_EQ(rc, 0) << log;
  return rc == 0 ? slurp(dir.path / "signed.eml") : std::string();
}

// Our open() of a signed-only message, encryption not required.
Opened open_signed_only(TestPki& p, const std::string& text) {
  auto trust = p.trust();
  auto options = options_for({}, trust);
  options.require_encryption = false;
  return open_string(text, options);
}

class Interop : public ::testing::TestWithParam<Case> {
 protected:
  TestPki& p = TestPki::get();
  TempDir dir;
  std::string msg = sample_message();


  std::string openssl_verify(const fs::path& file) { return smtest_openssl_verify(p, dir, file); }
};

TEST_P(Interop, OpensslDecryptsAndVerifiesWhatWeSeal) {
  const Case& c = GetParam();
  const Gateway& a = p.gateway("a.example", c.signer);
  const Gateway& b = p.gateway("b.example", c.recipient);
  SealOptions so;
  so.cipher = c.cipher;
  so.sign.opaque = c.opaque;
  spit(dir.path / "sealed.eml", seal_string(msg, a.identity(), {b.recipient(c.oaep)}, so));
  int rc = -1;
  std::string log = run("openssl cms -decrypt -inkey " + q(b.key_file) + " -recip " + q(b.cert_file) + " -in " +
                            q(dir.path / "sealed.eml") + " -out " + q(dir.path / "decrypted.eml") + " 2>&1",
                        &rc);
  ASSERT_EQ(rc, 0) << log;
  EXPECT_TRUE(openssl_verify(dir.path / "decrypted.eml") == msg);
}

TEST_P(Interop, WeOpenWhatOpensslSignsAndSeals) {
  const Case& c = GetParam();
  const Gateway& a = p.gateway("a.example", c.signer);
  const Gateway& b = p.gateway("b.example", c.recipient);
  std::string md = c.signer == pki::KeyType::ec_p384 ? "sha384" : "sha256";
  ASSERT_FALSE(openssl_sign(a, dir, msg, "-md " + md + " -crlfeol" + (c.opaque ? " -nodetach" : "")).empty());
  std::string keyopt = !pki::is_ec(c.recipient) && c.oaep ? " -keyopt rsa_padding_mode:oaep" : "";
  int rc = -1;
  std::string log = run("openssl cms -encrypt -" + std::string(to_string(c.cipher)) + " -in " + q(dir.path / "signed.eml") +
                " -out " + q(dir.path / "sealed.eml") + " -recip " + q(b.cert_file) + keyopt + " 2>&1",
            &rc);
  ASSERT_EQ(rc, 0) << log;
  auto trust = p.trust();
  auto o = open_string(kOuterFields + slurp(dir.path / "sealed.eml"), options_for({b.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::none) << to_string(o.verdict.reason) << ": " << o.verdict.detail;
  EXPECT_EQ(o.verdict.content_encryption, to_string(c.cipher));
  EXPECT_EQ(o.verdict.signature_form, c.opaque ? "opaque" : "detached");
  EXPECT_TRUE(o.released == msg);
}

INSTANTIATE_TEST_SUITE_P(Peers, Interop, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return name_of(info.param); });

TEST(InteropSign, OpensslVerifiesWhatWeSign) {
  auto& p = TestPki::get();
  TempDir dir;
  std::string msg = sample_message();
  for (pki::KeyType type : {pki::KeyType::ec_p256, pki::KeyType::rsa2048}) {
    for (bool opaque : {false, true}) {
      const Gateway& a = p.gateway("a.example", type);
      spit(dir.path / "signed.eml", sign_string(msg, a.identity(), {.opaque = opaque}));
      EXPECT_TRUE(smtest_openssl_verify(p, dir, dir.path / "signed.eml") == msg);
    }
  }
}

TEST(InteropSign, WeVerifyWhatOpensslSignsWithBareLineFeeds) {
  // Without -crlfeol openssl writes the MIME structure with bare LF (the
  // signed part itself is still canonical): a tolerant reader copes.
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  TempDir dir;
  std::string msg = sample_message();
  std::string signed_text = openssl_sign(a, dir, msg, "");
  ASSERT_FALSE(signed_text.empty());
  std::string outer;
  for (char ch : kOuterFields)
    if (ch != '\r') outer += ch;
  auto o = open_signed_only(p, outer + signed_text);
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_TRUE(o.released == msg);
}

// The signature's digest, chosen: OpenSSL verifies it and finds that
// algorithm in the SignerInfo, the multipart/signed micalg names it, and
// our open() verifies the sealed form and reports it.
struct DigestCase {
  Digest digest;
  const char* name;    // Verdict::digest, `openssl cms -cmsout -print`
  const char* micalg;  // RFC 8551 3.5.3.1
};
const DigestCase kDigests[] = {
    {Digest::sha256, "sha256", "sha-256"}, {Digest::sha384, "sha384", "sha-384"}, {Digest::sha512, "sha512", "sha-512"}};

TEST(InteropDigest, ChosenDigestIsUsedNamedAndVerified) {
  auto& p = TestPki::get();
  TempDir dir;
  std::string msg = sample_message();
  auto trust = p.trust();
  const Gateway& b = p.gateway("b.example");
  for (pki::KeyType type : {pki::KeyType::ec_p256, pki::KeyType::rsa2048}) {
    const Gateway& a = p.gateway("a.example", type);
    for (const DigestCase& d : kDigests) {
      SCOPED_TRACE(std::string(pki::to_string(type)) + " " + d.name);
      std::string signed_text = sign_string(msg, a.identity(), {.digest = d.digest});
      EXPECT_NE(signed_text.find(std::string("micalg=\"") + d.micalg + "\""), std::string::npos) << signed_text;
      spit(dir.path / "signed.eml", signed_text);
      EXPECT_TRUE(smtest_openssl_verify(p, dir, dir.path / "signed.eml") == msg);
      std::string printed = run("openssl cms -cmsout -print -in " + q(dir.path / "signed.eml") + " 2>&1");
      EXPECT_NE(printed.find(std::string("algorithm: ") + d.name), std::string::npos) << printed;

      for (bool opaque : {false, true}) {
        SealOptions so;
        so.sign = {.opaque = opaque, .digest = d.digest};
        auto o = open_string(seal_string(msg, a.identity(), {b.recipient()}, so), options_for({b.identity()}, trust));
        EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
        EXPECT_EQ(o.verdict.digest, d.name);
        EXPECT_TRUE(o.released == msg);
      }
    }
  }
}

TEST(InteropDigest, AutomaticKeepsSha384ForP384AndSha256Otherwise) {
  auto& p = TestPki::get();
  std::string msg = sample_message();
  EXPECT_NE(sign_string(msg, p.gateway("a.example", pki::KeyType::ec_p384).identity()).find("micalg=\"sha-384\""),
            std::string::npos);
  EXPECT_NE(sign_string(msg, p.gateway("a.example", pki::KeyType::rsa2048).identity()).find("micalg=\"sha-256\""),
            std::string::npos);
}

TEST(InteropDigest, WeVerifyWhatOpensslSignsWithSha384AndSha512) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  TempDir dir;
  std::string msg = sample_message();
  for (const char* md : {"sha384", "sha512"}) {
    std::string signed_text = openssl_sign(a, dir, msg, "-md " + std::string(md) + " -crlfeol");
    ASSERT_FALSE(signed_text.empty());
    auto o = open_signed_only(p, kOuterFields + signed_text);
    EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
    EXPECT_EQ(o.verdict.digest, md);
  }
}

}  // namespace
