// certify_content_test.cpp - test content from a seed: exact sizes, the
// kinds' shapes (ASCII lines, valid UTF-8, CRLF only, no line of one
// octet left over), known answers any vendor can reproduce, and the digest
// of a message read back through every transfer encoding a gateway may
// choose (base64, quoted-printable, 8bit with LF line ends).
#include <gtest/gtest.h>

#include "certify/content.h"
#include "util/base64.h"

namespace sm::certify {
namespace {

const std::string kSeed = "000102030405060708090a0b0c0d0e0f";

bool crlf_only(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
  }
  return true;
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

TEST(CertifyContent, ExactSizesForEveryKindAndLength) {
  for (auto kind : {ContentKind::text, ContentKind::utf8, ContentKind::binary}) {
    for (std::size_t octets : {2u, 3u, 4u, 5u, 47u, 48u, 49u, 1000u, 4096u, 65537u}) {
      ContentSpec spec{kind, octets, kSeed};
      ASSERT_EQ(check_content(spec), "");
      std::string c = generate_content(spec);
      EXPECT_EQ(c.size(), octets) << to_string(kind) << " " << octets;
      if (kind == ContentKind::binary) continue;
      EXPECT_TRUE(crlf_only(c)) << octets;
      EXPECT_TRUE(c.ends_with("\r\n")) << octets;
      EXPECT_TRUE(valid_utf8(c)) << octets;
      for (std::size_t line = 0; line < c.size(); line = c.find("\r\n", line) + 2) {
        EXPECT_NE(c[line], '.') << octets;  // SMTP transparency is the transport's business
        EXPECT_NE(c.compare(line, 5, "From "), 0) << octets;  // and mbox quoting too
      }
    }
  }
  EXPECT_EQ(generate_content({ContentKind::empty, 0, kSeed}), "");
}

TEST(CertifyContent, KindsLookTheirPart) {
  std::string text = generate_content({ContentKind::text, 8192, kSeed});
  for (char c : text) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  std::string utf8 = generate_content({ContentKind::utf8, 8192, kSeed});
  EXPECT_TRUE(std::any_of(utf8.begin(), utf8.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  std::string binary = generate_content({ContentKind::binary, 4096, kSeed});
  EXPECT_NE(binary.find('\0'), std::string::npos);  // every octet value appears in 4 KiB of a hash stream
}

TEST(CertifyContent, KnownAnswersFromTheSeed) {
  // Block i = SHA-256(seed || uint64be(i)) (computed independently with
  // Python's hashlib): binary content is the blocks cut to length.
  std::string forty = generate_content({ContentKind::binary, 40, kSeed});
  EXPECT_EQ(content_sha256(forty.substr(0, 32)), content_sha256(std::string(
      "\x81\x86\x38\xad\x15\x0c\x90\x42\xa9\x9f\x4e\x43\xbf\xd0\xf1\xb4"
      "\x8b\xc7\x69\x16\x45\xac\xb2\xcf\x9b\xc7\x74\x86\x9c\xd6\x2b\x09", 32)));
  EXPECT_EQ(content_sha256(forty), "28fe2002cdc446f4b41dbf91d23249dbb357d9f0f85b0d8c3c4187a1bd47e247");
  EXPECT_EQ(content_sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Text: the stream's octets pick the lines, in order.
  std::string text = generate_content({ContentKind::text, 200, kSeed});
  EXPECT_EQ(text.substr(0, text.find("\r\n")), "Pack my box with five dozen liquor jugs 0123456789.");  // 0x81 % 16 = 1
  // The same seed gives the same content; another seed another.
  EXPECT_EQ(generate_content({ContentKind::utf8, 1000, kSeed}), generate_content({ContentKind::utf8, 1000, kSeed}));
  EXPECT_NE(generate_content({ContentKind::text, 1000, kSeed}),
            generate_content({ContentKind::text, 1000, "ffffffffffffffffffffffffffffffff"}));
}

TEST(CertifyContent, BadSpecsSayWhatIsWrong) {
  EXPECT_NE(check_content({ContentKind::text, 100, "short"}).find("seed"), std::string::npos);
  EXPECT_NE(check_content({ContentKind::text, 100, std::string(32, 'g')}).find("seed"), std::string::npos);
  EXPECT_NE(check_content({ContentKind::binary, kMaxContentOctets + 1, kSeed}).find("25 MiB"), std::string::npos);
  EXPECT_NE(check_content({ContentKind::empty, 1, kSeed}).find("0 octets"), std::string::npos);
  EXPECT_NE(check_content({ContentKind::text, 1, kSeed}).find("at least 2"), std::string::npos);
  EXPECT_EQ(check_content({ContentKind::binary, 0, kSeed}), "");
  EXPECT_EQ(new_seed().size(), 32u);
  EXPECT_EQ(check_content({ContentKind::text, 10, new_seed()}), "");
}

std::string message_with(const ContentSpec& spec) {
  auto e = content_entity(spec);
  return "From: a@b.example\r\nSubject: t\r\nMIME-Version: 1.0\r\n" + e.fields + "\r\n" + e.body;
}

TEST(CertifyContent, TheDigestSurvivesEveryTransferEncoding) {
  for (auto spec : {ContentSpec{ContentKind::text, 3000, kSeed}, ContentSpec{ContentKind::utf8, 3000, kSeed},
                    ContentSpec{ContentKind::binary, 3000, kSeed}, ContentSpec{ContentKind::empty, 0, kSeed}}) {
    const std::string want = content_sha256(generate_content(spec));
    std::string message = message_with(spec);
    auto d = message_content_digest(message);
    ASSERT_TRUE(d) << d.error().text;
    EXPECT_EQ(*d, want) << to_string(spec.kind);
    // As a Maildir keeps it: LF line ends.
    std::string lf;
    for (char c : message)
      if (c != '\r') lf += c;
    auto from_lf = message_content_digest(lf);
    ASSERT_TRUE(from_lf);
    EXPECT_EQ(*from_lf, want) << to_string(spec.kind) << " with LF";
  }
  // Quoted-printable, as a gateway that makes 8bit 7bit may send UTF-8.
  std::string qp = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                   "Gr=C3=B6=C3=9Fe =3D ok=\r\n and more\r\nend   \r\n";
  auto d = message_content_digest(qp);
  ASSERT_TRUE(d) << d.error().text;
  EXPECT_EQ(*d, content_sha256("Gr\xC3\xB6\xC3\x9F" "e = ok and more\r\nend\r\n"));
}

TEST(CertifyContent, UnreadableBodiesAreErrorsNotDigests) {
  for (std::string bad : {std::string("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n"),
                          std::string("Content-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n"),
                          std::string("Content-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ here\r\n"),
                          std::string("Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n")}) {
    auto d = message_content_digest(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().enhanced, "5.6.0");
  }
}

}  // namespace
}  // namespace sm::certify
