// delivery_binary_downgrade_test.cpp - BinaryDowngrade on its own: the
// Content-Transfer-Encoding field rewritten and nothing else, the body as
// 76-column base64 lines that decode to the original octets, the same
// output however the input is split, the size estimate an upper bound,
// and every header that is not our sealed binary form refused with 554
// 5.6.3. (The round trip through a real sealed message, open() and
// `openssl cms -decrypt` is gateway_sealed_downgrade_test.cpp.)
#include "delivery/binary_downgrade.h"

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <random>
#include <sstream>

using sm::delivery::BinaryDowngrade;

namespace {

const std::string kHeader =
    "From: a@a.example\r\nSubject: x\r\n"
    "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=\"smime.p7m\"\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n";

std::string random_octets(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

std::string convert(const std::string& in, std::size_t piece) {
  BinaryDowngrade d;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += piece) {
    auto r = d.feed(std::string_view(in).substr(i, piece), out);
    EXPECT_TRUE(r) << r.error().reply();
  }
  auto r = d.finish(out);
  EXPECT_TRUE(r) << (r ? "" : r.error().reply());
  return out;
}

std::string base64_decode(const std::string& lines) {
  std::string joined;
  for (char c : lines)
    if (c != '\r' && c != '\n') joined += c;
  std::string out(joined.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(joined.data()), static_cast<int>(joined.size()));
  EXPECT_GE(n, 0);
  std::size_t pad = joined.ends_with("==") ? 2 : joined.ends_with("=") ? 1 : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

TEST(BinaryDowngrade, HeaderFieldRewrittenBodyBase64InLinesOf76) {
  for (std::size_t n : {0u, 1u, 56u, 57u, 58u, 114u, 5000u, 200000u}) {
    std::string body = random_octets(n, static_cast<unsigned>(n));
    std::string out = convert(kHeader + body, 1 << 20);
    std::string expected_header = kHeader;
    expected_header.replace(expected_header.find("binary"), 6, "base64");
    ASSERT_EQ(out.substr(0, expected_header.size()), expected_header) << n;
    std::string b64 = out.substr(expected_header.size());
    std::istringstream lines(b64);
    std::string line;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
      ASSERT_TRUE(line.ends_with("\r")) << "line " << count;
      EXPECT_LE(line.size(), 77u);
      if (lines.peek() != EOF) EXPECT_EQ(line.size(), 77u);  // every line but the last is full
      ++count;
    }
    EXPECT_EQ(count, (n + 56) / 57);
    EXPECT_EQ(base64_decode(b64), body) << n;
    EXPECT_GE(BinaryDowngrade::estimated_size(kHeader.size() + n), out.size());
  }
}

TEST(BinaryDowngrade, SameOutputHoweverTheInputIsSplit) {
  std::string in = kHeader + random_octets(10000, 7);
  std::string whole = convert(in, in.size());
  for (std::size_t piece : {1u, 2u, 3u, 56u, 57u, 4096u}) EXPECT_EQ(convert(in, piece), whole) << piece;
}

TEST(BinaryDowngrade, OnlyOurSealedBinaryFormIsConverted) {
  auto refused = [](const std::string& header) {
    BinaryDowngrade d;
    std::string out;
    auto r = d.feed(header + "\x30\x80\x00\x00", out);
    if (r) return std::string("converted");
    EXPECT_TRUE(out.empty());
    return std::to_string(r.error().code) + " " + r.error().enhanced;
  };
  std::string text = kHeader;
  text.replace(text.find("application/pkcs7-mime"), 22, "text/plain");
  EXPECT_EQ(refused(text), "554 5.6.3");
  std::string b64 = kHeader;
  b64.replace(b64.find("binary"), 6, "base64");
  EXPECT_EQ(refused(b64), "554 5.6.3");
  std::string no_cte = kHeader;
  no_cte.erase(no_cte.find("Content-Transfer-Encoding"), 35);
  EXPECT_EQ(refused(no_cte), "554 5.6.3");
  EXPECT_EQ(refused("Subject: x\r\n\r\n"), "554 5.6.3");
  EXPECT_EQ(refused(kHeader), "converted");
  std::string spaced = kHeader;
  spaced.replace(spaced.find(": binary"), 8, ":  BINARY ");
  EXPECT_EQ(refused(spaced), "converted");
}

TEST(BinaryDowngrade, HeaderWithoutEndOrTooLargeIsRefused) {
  BinaryDowngrade d;
  std::string out;
  ASSERT_TRUE(d.feed("Content-Type: application/pkcs7-mime\r\n", out));
  auto r = d.finish(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().enhanced, "5.6.3");

  BinaryDowngrade big;
  std::string field = "X-Long: " + std::string(1000, 'x') + "\r\n";
  sm::Result<void> last;
  for (int i = 0; i < 400 && last; ++i) last = big.feed(field, out);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, 554);
}

}  // namespace
