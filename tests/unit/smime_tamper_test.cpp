// smime_tamper_test.cpp - tampered, stripped, truncated and malformed
// messages: each gets its own Reason, none is marked verified, and
// decrypted content is released only as the EFAIL rule allows (never for
// AES-CBC content that did not verify, never after a failed decryption).
#include "smime_der.h"
#include "smime_fixture.h"

using namespace smtest;

namespace {

// Flip one bit in the middle of the first OCTET STRING of at least
// `min_len` octets (a piece of ciphertext, or an RSA-wrapped key).
std::string flip_in_octet_string(const std::string& sealed, std::size_t min_len, std::size_t max_len = SIZE_MAX) {
  Parts p = split(sealed);
  for (const auto& prim : primitives(p.der)) {
    if (prim.type != "OCTET STRING" || prim.len < min_len || prim.len > max_len) continue;
    p.der[prim.offset + prim.header_len + prim.len / 2] ^= 0x01;
    return join(p);
  }
  ADD_FAILURE() << "no OCTET STRING of " << min_len << "+ octets";
  return sealed;
}

using Tamper = Receiving;

TEST_F(Tamper, FlippedBase64CharactersNeverVerifyAndCbcIsNeverReleased) {
  for (Cipher cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
    std::string good = sealed(cipher, sample_message("alice@a.example", "bob@b.example", "s", std::string(6000, 'x') + "\r\n"));
    std::size_t body = good.find("\r\n\r\n") + 4;
    std::size_t span = good.size() - body;
    for (double at : {0.02, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.97, 0.995}) {
      std::string bad = good;
      std::size_t pos = body + static_cast<std::size_t>(span * at);
      while (bad[pos] == '\r' || bad[pos] == '\n' || bad[pos] == '=') --pos;
      bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
      auto o = open_default(bad);
      SCOPED_TRACE(std::string(to_string(cipher)) + " at " + std::to_string(at) + ": " +
                   std::string(to_string(o.verdict.reason)) + " " + o.verdict.detail);
      EXPECT_FALSE(o.verdict.verified());
      if (cipher == Cipher::aes256_cbc) expect_withheld(o);
      else EXPECT_FALSE(o.verdict.released);  // the GCM tag catches every change
    }
  }
}

TEST_F(Tamper, GcmCiphertextChangeIsDecryptFailed) {
  auto o = open_default(flip_in_octet_string(sealed(), 100));
  EXPECT_EQ(o.verdict.reason, Reason::decrypt_failed) << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, CbcGadgetEditDecryptsToGarbageButIsWithheld) {
  // Flipping a bit in a CBC ciphertext block garbles that block and flips
  // the same bit in the next: padding stays valid, so decryption "works".
  std::string big = sample_message("alice@a.example", "bob@b.example", "s", std::string(20000, 'y') + "\r\n");
  auto o = open_default(flip_in_octet_string(sealed(Cipher::aes256_cbc, big), 1000));
  EXPECT_FALSE(o.verdict.decrypted_with.empty()) << "decryption itself should succeed";
  EXPECT_EQ(o.verdict.reason, Reason::bad_signature) << to_string(o.verdict.reason) << ": " << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, RsaKeyUnwrapFailureIsDecryptFailed) {
  const Gateway& rsa = p.gateway("b.example", pki::KeyType::rsa2048);
  std::string good = seal_string(msg, a.identity(), {rsa.recipient()});
  auto o = open_with(flip_in_octet_string(good, 256, 256), options_for({rsa.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::decrypt_failed) << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, WrongKeyIsNotForUs) {
  const Gateway& c = p.gateway("c.example");
  auto o = open_with(sealed(), options_for({c.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::not_for_us) << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, CbcRefusedWhenOnlyAuthenticatedEncryptionIsAllowed) {
  auto opt = options();
  opt.allow_cbc = false;
  auto o = open_with(sealed(Cipher::aes256_cbc), opt);
  EXPECT_EQ(o.verdict.reason, Reason::cbc_not_allowed);
  expect_withheld(o);
}

TEST_F(Tamper, StrippedSignatureIsUnsignedContent) {
  for (const EVP_CIPHER* cipher : {EVP_aes_256_gcm(), EVP_aes_256_cbc()}) {
    auto o = open_default(encrypt_entity(msg, b.cert.get(), cipher));
    EXPECT_EQ(o.verdict.reason, Reason::unsigned_content) << o.verdict.detail;
    EXPECT_TRUE(o.verdict.encrypted);
    EXPECT_FALSE(o.verdict.signed_content);
    expect_withheld(o);
  }
}

TEST_F(Tamper, AlteredSignedContentIsBadSignatureReleasedOnlyUnderGcm) {
  std::string forged = replace(sign_string(msg, a.identity()), "Hello Bob", "Hello Eve");
  auto gcm = open_default(encrypt_entity(forged, b.cert.get(), EVP_aes_256_gcm()));
  EXPECT_EQ(gcm.verdict.reason, Reason::bad_signature) << gcm.verdict.detail;
  EXPECT_TRUE(gcm.verdict.released);  // authenticated encryption: the caller decides
  auto cbc = open_default(encrypt_entity(forged, b.cert.get(), EVP_aes_256_cbc()));
  EXPECT_EQ(cbc.verdict.reason, Reason::bad_signature);
  expect_withheld(cbc);
}

TEST_F(Tamper, AlteredSignedOnlyMessageIsBadSignature) {
  auto opt = options();
  opt.require_encryption = false;
  for (bool opaque : {false, true}) {
    std::string text = sign_string(msg, a.identity(), {.opaque = opaque});
    if (opaque) {
      Parts parts = split(text);
      parts.der = replace(parts.der, "Hello Bob", "Hello Eve");
      text = join(parts);
    } else {
      text = replace(text, "Hello Bob", "Hello Eve");
    }
    auto o = open_with(text, opt);
    EXPECT_EQ(o.verdict.reason, Reason::bad_signature) << o.verdict.detail;
    EXPECT_TRUE(o.verdict.released);  // nothing was encrypted: no EFAIL risk
  }
}

TEST_F(Tamper, ChangedOuterSubjectIsHeaderMismatch) {
  for (Cipher cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
    std::string text = replace(sealed(cipher), "Subject: Quarterly figures", "Subject: Pay the invoice now");
    auto o = open_default(text);
    EXPECT_EQ(o.verdict.reason, Reason::header_mismatch) << o.verdict.detail;
    EXPECT_EQ(o.verdict.mismatched_headers, std::vector<std::string>{"Subject"});
    EXPECT_EQ(o.verdict.released, cipher == Cipher::aes256_gcm);
  }
}

TEST_F(Tamper, OuterHeaderMissingOrRefoldedIsJudgedCorrectly) {
  std::string text = sealed();
  auto o = open_default(replace(text, "Date: Tue, 4 Mar 2025 10:00:00 +0000\r\n", ""));
  EXPECT_EQ(o.verdict.reason, Reason::header_mismatch);
  EXPECT_EQ(o.verdict.mismatched_headers, std::vector<std::string>{"Date"});
  // Folding and runs of white space may change in transit; words may not.
  o = open_default(replace(text, "Subject: Quarterly figures", "Subject: Quarterly\r\n \t figures"));
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
}

TEST_F(Tamper, PlainMessageIsNotSmime) {
  auto o = open_default(msg);
  EXPECT_EQ(o.verdict.reason, Reason::not_smime);
  expect_withheld(o);
}

TEST_F(Tamper, GarbageBase64IsMalformed) {
  std::string text = kOuterFields +
                     "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n!!!! this is *not* base64 ####\r\nQUJD\r\n";
  auto o = open_default(text);
  EXPECT_EQ(o.verdict.reason, Reason::malformed) << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, TruncatedMessageIsMalformed) {
  std::string text = sealed();
  text.resize(text.rfind("\r\n", text.size() / 2) + 2);
  auto o = open_default(text);
  EXPECT_EQ(o.verdict.reason, Reason::malformed) << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, MultipartSignedWithoutSignaturePartIsMalformed) {
  std::string text = kOuterFields +
                     "MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
                     " micalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
  auto opt = options();
  opt.require_encryption = false;
  auto o = open_with(text, opt);
  EXPECT_EQ(o.verdict.reason, Reason::malformed) << o.verdict.detail;
  expect_withheld(o);
}

TEST_F(Tamper, OversizedMessageIsTooLarge) {
  auto opt = options();
  opt.max_size = 1000;
  auto o = open_with(sealed(), opt);
  EXPECT_EQ(o.verdict.reason, Reason::too_large);
  expect_withheld(o);
}

}  // namespace
