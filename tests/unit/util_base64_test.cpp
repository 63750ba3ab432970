// util_base64_test.cpp - base64 for queue records and MIME parts: RFC 4648
// test vectors, strict decoding, 76-column MIME lines.
#include "util/base64.h"

#include <gtest/gtest.h>

namespace sm {
namespace {

TEST(Base64, Rfc4648VectorsRoundTrip) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode(plain), coded);
    EXPECT_EQ(base64_decode(coded), plain);
  }
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, DecodingIsStrict) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zg=a", "Zm9v\r\n", "Zm 9v", "Zm9-", "=Zm9", "Zg==Zg=="})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(Base64, MimeLinesAre76ColumnsWithCrlf) {
  std::string text = base64_lines(std::string(100, 'x'));
  auto first = text.find("\r\n");
  EXPECT_EQ(first, 76u);
  EXPECT_TRUE(text.ends_with("\r\n"));
  std::string joined;
  for (std::size_t i = 0; i < text.size();) {
    auto nl = text.find("\r\n", i);
    joined += text.substr(i, nl - i);
    i = nl + 2;
  }
  EXPECT_EQ(base64_decode(joined), std::string(100, 'x'));
}

}  // namespace
}  // namespace sm
