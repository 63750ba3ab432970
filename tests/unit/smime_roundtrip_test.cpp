// smime_roundtrip_test.cpp - what seal() and sign() write, open() restores
// and verifies: every supported key type as signer and recipient, GCM and
// CBC, detached and opaque signatures, several recipients, signed-only
// messages, retired keys, and the layout and CRLF line ends of the output.
#include "smime_fixture.h"

#include "mime/header.h"

using namespace smtest;

namespace {

struct KeyCase {
  pki::KeyType signer;
  pki::KeyType recipient;
  bool oaep;
};

class RoundTrip : public ::testing::TestWithParam<KeyCase> {};

TEST_P(RoundTrip, SealThenOpenVerifiesAndRestoresTheMessage) {
  auto& p = TestPki::get();
  const KeyCase& c = GetParam();
  const Gateway& a = p.gateway("a.example", c.signer);
  const Gateway& b = p.gateway("b.example", c.recipient);
  auto trust = p.trust();
  std::string msg = sample_message();
  for (Cipher cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
    SealOptions so;
    so.cipher = cipher;
    std::string sealed = seal_string(msg, a.identity(), {b.recipient(c.oaep)}, so);
    auto o = open_string(sealed, options_for({b.identity("b-key")}, trust));
    EXPECT_EQ(o.verdict.reason, Reason::none) << to_string(o.verdict.reason) << ": " << o.verdict.detail;
    EXPECT_TRUE(o.verdict.released);
    EXPECT_TRUE(o.released == msg);
    EXPECT_EQ(o.verdict.content_encryption, to_string(cipher));
    EXPECT_EQ(o.verdict.authenticated_encryption, cipher == Cipher::aes256_gcm);
    std::string km = pki::is_ec(c.recipient) ? "ecdh" : c.oaep ? "rsa-oaep" : "rsa-pkcs1";
    EXPECT_EQ(o.verdict.key_management, km);
    EXPECT_EQ(o.verdict.decrypted_with, "b-key");
    EXPECT_EQ(o.verdict.digest, c.signer == pki::KeyType::ec_p384 ? "sha384" : "sha256");
    EXPECT_EQ(o.verdict.from, "alice@a.example");
    EXPECT_EQ(o.verdict.from_domain, "a.example");
    EXPECT_EQ(o.verdict.signature_form, "detached");
    EXPECT_EQ(o.verdict.signer_fingerprint, pki::fingerprint(a.cert.get()));
    EXPECT_EQ(o.verdict.revocation, "good (CRL checked)");
    EXPECT_TRUE(o.verdict.encrypted);
    EXPECT_TRUE(o.verdict.signed_content);
    EXPECT_NE(o.verdict.signer_subject.find("a.example"), std::string::npos) << o.verdict.signer_subject;
    EXPECT_EQ(o.verdict.signer_email, "securemailadmin@a.example");
    EXPECT_EQ(o.verdict.signer_domains, std::vector<std::string>{"a.example"});
    EXPECT_EQ(o.verdict.chain.size(), 2u);  // leaf, authority
    EXPECT_GT(o.verdict.signing_time, 0);
    EXPECT_EQ(o.verdict.content_type, "text/plain");
    EXPECT_TRUE(o.verdict.mismatched_headers.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    KeyTypes, RoundTrip,
    ::testing::Values(KeyCase{pki::KeyType::ec_p256, pki::KeyType::ec_p256, true},
                      KeyCase{pki::KeyType::ec_p384, pki::KeyType::ec_p384, true},
                      KeyCase{pki::KeyType::rsa2048, pki::KeyType::rsa2048, true},
                      KeyCase{pki::KeyType::rsa2048, pki::KeyType::rsa2048, false},
                      KeyCase{pki::KeyType::rsa3072, pki::KeyType::rsa3072, true},
                      KeyCase{pki::KeyType::rsa3072, pki::KeyType::rsa3072, false},
                      KeyCase{pki::KeyType::ec_p256, pki::KeyType::rsa2048, true},
                      KeyCase{pki::KeyType::rsa2048, pki::KeyType::ec_p384, true}),
    [](const auto& info) {
      std::string n = std::string(pki::to_string(info.param.signer)) + "_to_" +
                      std::string(pki::to_string(info.param.recipient)) + (info.param.oaep ? "" : "_pkcs1");
      for (char& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

}  // namespace

namespace {

TEST(Seal, OpaqueSignatureRoundTrips) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  SealOptions so;
  so.sign.opaque = true;
  std::string msg = sample_message();
  auto o = open_string(seal_string(msg, a.identity(), {b.recipient()}, so), options_for({b.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_EQ(o.verdict.signature_form, "opaque");
  EXPECT_TRUE(o.released == msg);
}

TEST(Seal, EveryRecipientCanOpen) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  const Gateway& c = p.gateway("c.example", pki::KeyType::rsa2048);
  const Gateway& d = p.gateway("d.example", pki::KeyType::ec_p384);
  auto trust = p.trust();
  std::string msg = sample_message("alice@a.example", "bob@b.example, carol@c.example, dan@d.example");
  std::string sealed = seal_string(msg, a.identity(), {b.recipient(), c.recipient(), d.recipient()});
  for (const Gateway* g : {&b, &c, &d}) {
    auto o = open_string(sealed, options_for({g->identity()}, trust));
    EXPECT_EQ(o.verdict.reason, Reason::none) << g->domain << ": " << o.verdict.detail;
    EXPECT_EQ(o.verdict.decrypted_with, g->domain);
    EXPECT_TRUE(o.released == msg);
  }
}

TEST(Seal, OutputLayoutIsTheDocumentedOne) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  for (Cipher cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
    SealOptions so;
    so.cipher = cipher;
    std::string sealed = seal_string(sample_message(), a.identity(), {b.recipient()}, so);
    EXPECT_TRUE(all_crlf(sealed));
    auto h = mime::HeaderBlock::parse(sealed);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->get("From").value_or(""), "Alice Example <alice@a.example>");
    EXPECT_EQ(h->get("Subject").value_or(""), "Quarterly figures");
    EXPECT_EQ(h->get("Message-ID").value_or(""), "<1234@a.example>");
    EXPECT_FALSE(h->has("Received"));    // trace and private fields stay inside
    EXPECT_FALSE(h->has("X-Internal"));
    EXPECT_EQ(h->get_all("Content-Type").size(), 1u);
    std::string type = cipher == Cipher::aes256_gcm ? "authEnveloped-data" : "enveloped-data";
    EXPECT_EQ(h->get("Content-Type").value_or(""),
              "application/pkcs7-mime; smime-type=" + type + "; name=\"smime.p7m\"");
    EXPECT_EQ(h->get("Content-Transfer-Encoding").value_or(""), "base64");
    EXPECT_EQ(h->get("Content-Disposition").value_or(""), "attachment; filename=\"smime.p7m\"");
    EXPECT_EQ(sealed.find("Hello Bob"), std::string::npos);
  }
}

TEST(Seal, BareLineFeedsAreCanonicalisedBeforeSigning) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  std::string crlf = sample_message();
  std::string lf;
  for (char ch : crlf)
    if (ch != '\r') lf += ch;
  std::string sealed = seal_string(lf, a.identity(), {b.recipient()});
  EXPECT_TRUE(all_crlf(sealed));
  auto o = open_string(sealed, options_for({b.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_EQ(o.released, crlf);
}

TEST(Seal, BinaryBodyAndLongLinesSurviveByteForByte) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  std::string body;
  for (int i = 0; i < 3000; ++i) {
    char ch = static_cast<char>(i % 251 + 1);
    body += ch == '\n' || ch == '\r' ? 'x' : ch;  // only CRLF line ends (canonical input)
  }
  body += "\r\n" + std::string(5000, 'L') + "\r\nno final line end";
  std::string msg = sample_message("alice@a.example", "bob@b.example", "binary", body);
  for (bool opaque : {false, true}) {
    SealOptions so;
    so.sign.opaque = opaque;
    auto o = open_string(seal_string(msg, a.identity(), {b.recipient()}, so), options_for({b.identity()}, trust));
    EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
    EXPECT_TRUE(o.released == msg);
  }
}

TEST(Sign, SignedOnlyMessageVerifiesWhenEncryptionIsNotRequired) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example", pki::KeyType::rsa2048);
  auto trust = p.trust();
  std::string msg = sample_message();
  for (bool opaque : {false, true}) {
    SignOptions so;
    so.opaque = opaque;
    std::string signed_msg = sign_string(msg, a.identity(), so);
    EXPECT_TRUE(all_crlf(signed_msg));
    auto options = options_for({}, trust);
    options.require_encryption = false;
    auto o = open_string(signed_msg, options);
    EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
    EXPECT_FALSE(o.verdict.encrypted);
    EXPECT_TRUE(o.verdict.signed_content);
    EXPECT_EQ(o.verdict.signature_form, opaque ? "opaque" : "detached");
    EXPECT_TRUE(o.released == msg);
    EXPECT_GT(o.verdict.signing_time, 0);
    EXPECT_EQ(o.verdict.signer_domains, std::vector<std::string>{"a.example"});
    EXPECT_EQ(o.verdict.chain.size(), 2u);
  }
}

TEST(Sign, SignedOnlyMessageIsNotEncryptedWhenEncryptionIsRequired) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  auto trust = p.trust();
  std::string msg = sample_message();
  auto o = open_string(sign_string(msg, a.identity()), options_for({}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::not_encrypted);
  EXPECT_TRUE(o.verdict.released);  // signed only: nothing confidential to protect
  EXPECT_TRUE(o.released == msg);
  EXPECT_EQ(o.verdict.from, "alice@a.example");  // the other checks still ran
}

TEST(Open, RetiredKeyStillOpensOldMail) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& old_b = p.gateway("b.example", pki::KeyType::rsa2048);
  const Gateway& new_b = p.gateway("b.example", pki::KeyType::ec_p256);
  auto trust = p.trust();
  std::string msg = sample_message();
  std::string sealed_to_old = seal_string(msg, a.identity(), {old_b.recipient()});
  std::string sealed_to_new = seal_string(msg, a.identity(), {new_b.recipient()});
  auto options = options_for({new_b.identity("ec-p256-new"), old_b.identity("rsa-2048-retired")}, trust);
  auto o = open_string(sealed_to_old, options);
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_EQ(o.verdict.decrypted_with, "rsa-2048-retired");
  EXPECT_TRUE(o.released == msg);
  o = open_string(sealed_to_new, options);
  EXPECT_EQ(o.verdict.decrypted_with, "ec-p256-new");
}

TEST(Open, FileSourceAtAnOffset) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  TempDir dir;
  std::string msg = sample_message();
  std::string envelope = "ENVELOPE sender=alice@a.example\n\n";
  spit(dir.path / "spool", envelope + seal_string(msg, a.identity(), {b.recipient()}));
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  auto v = open(MessageSource::file(dir.path / "spool", envelope.size()), out.get(),
                options_for({b.identity()}, trust));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->reason, Reason::none) << v->detail;
  EXPECT_EQ(bio_string(out.get()), msg);
}

TEST(Open, NullOutputVerifiesWithoutReleasing) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  auto v = open(MessageSource::memory(seal_string(sample_message(), a.identity(), {b.recipient()})), nullptr,
                options_for({b.identity()}, trust));
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->verified());
  EXPECT_FALSE(v->released);
}

TEST(Open, MissingTrustStoreIsALocalError) {
  OpenOptions options;
  auto v = open(MessageSource::memory(sample_message()), nullptr, options);
  EXPECT_FALSE(v.has_value());
}

}  // namespace

// BINARYMIME between gateways: the same CMS as DER after a header saying
// Content-Transfer-Encoding: binary opens like the base64 form; DER that
// does not parse is malformed.
TEST(Open, BinaryDerBodyOpens) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  std::string msg = sample_message();
  std::string sealed = seal_string(msg, a.identity(), {b.recipient()});
  std::size_t end = sealed.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  std::string header = sealed.substr(0, end + 4);
  std::size_t cte = header.find("Content-Transfer-Encoding: base64");
  ASSERT_NE(cte, std::string::npos);
  header.replace(cte, std::string("Content-Transfer-Encoding: base64").size(), "Content-Transfer-Encoding: binary");

  ossl::BioPtr in(BIO_new_mem_buf(sealed.data(), static_cast<int>(sealed.size())));
  ossl::CmsPtr cms(SMIME_read_CMS(in.get(), nullptr));
  ASSERT_TRUE(cms);
  ossl::BioPtr der(BIO_new(BIO_s_mem()));
  ASSERT_EQ(i2d_CMS_bio(der.get(), cms.get()), 1);
  std::string binary = header + bio_string(der.get());
  ASSERT_NE(binary.find('\0'), std::string::npos);  // really binary

  Opened o = open_string(binary, options_for({b.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_EQ(o.released, msg);

  std::string broken = header + std::string(bio_string(der.get())).substr(0, 100);
  Opened bad = open_string(broken, options_for({b.identity()}, trust));
  EXPECT_EQ(bad.verdict.reason, Reason::malformed);
  EXPECT_TRUE(bad.released.empty());
}
