// smime_binary_seal_test.cpp - SealOptions::binary, the form sent between
// gateways with BODY=BINARYMIME: the outer header says
// Content-Transfer-Encoding: binary, the body is the streamed
// (indefinite-length) BER that open() reads as it is, for both ciphers,
// large messages included; truncated BER is malformed.
#include "smime_fixture.h"

using namespace smtest;

namespace {

std::string body_of(const std::string& sealed) {
  auto end = sealed.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : sealed.substr(end + 4);
}

TEST(BinarySeal, HeaderSaysBinaryAndBodyIsBer) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  SealOptions so;
  so.binary = true;
  std::string sealed = seal_string(sample_message(), a.identity(), {b.recipient()}, so);
  std::string header = sealed.substr(0, sealed.find("\r\n\r\n") + 4);
  EXPECT_NE(header.find("\r\nContent-Transfer-Encoding: binary\r\n"), std::string::npos) << header;
  EXPECT_EQ(header.find("base64"), std::string::npos);
  std::string body = body_of(sealed);
  ASSERT_GE(body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(body[0]), 0x30);  // SEQUENCE
  EXPECT_EQ(static_cast<unsigned char>(body[1]), 0x80);  // indefinite length: streamed BER
}

TEST(BinarySeal, OpensForBothCiphersAndLargeMessages) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  std::string big = sample_message();
  while (big.size() < 600 * 1024) big += "a line of the body that makes the message large\r\n";
  for (const std::string& msg : {sample_message(), big}) {
    for (Cipher cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
      SealOptions so;
      so.cipher = cipher;
      so.binary = true;
      std::string sealed = seal_string(msg, a.identity(), {b.recipient()}, so);
      Opened o = open_string(sealed, options_for({b.identity()}, trust));
      EXPECT_EQ(o.verdict.reason, Reason::none) << to_string(o.verdict.reason) << ": " << o.verdict.detail;
      EXPECT_TRUE(o.released == msg);
      EXPECT_EQ(o.verdict.content_encryption, to_string(cipher));
      // The binary form is the base64 form's size without its encoding.
      so.binary = false;
      std::string text = seal_string(msg, a.identity(), {b.recipient()}, so);
      EXPECT_LT(body_of(sealed).size(), body_of(text).size() * 3 / 4 + 64);
    }
  }
}

TEST(BinarySeal, TruncatedBerIsMalformed) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  SealOptions so;
  so.binary = true;
  std::string sealed = seal_string(sample_message(), a.identity(), {b.recipient()}, so);
  Opened o = open_string(sealed.substr(0, sealed.size() - 40), options_for({b.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::malformed) << o.verdict.detail;
  EXPECT_TRUE(o.released.empty());
}

}  // namespace
