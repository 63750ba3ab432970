// mime_multipart_test.cpp - splitting an in-memory multipart body and
// reading Content-Type parameters.
#include "mime/multipart.h"

#include <gtest/gtest.h>

using namespace sm::mime;

TEST(Multipart, SplitsPartsWithTheirHeaders) {
  std::string body =
      "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\n"
      "Content-Type: application/octet-stream\r\n\r\nAAAA\r\nBBBB\r\n--b1--\r\nepilogue\r\n";
  auto parts = split_multipart(body, "b1");
  ASSERT_TRUE(parts) << parts.error().text;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].header.get("Content-Type"), "text/plain");
  EXPECT_EQ((*parts)[0].body, "hello");
  EXPECT_EQ((*parts)[1].body, "AAAA\r\nBBBB");
}

TEST(Multipart, RefusesWhatReadersCouldReadDifferently) {
  EXPECT_FALSE(split_multipart("--b1\r\n\r\nx\r\n", "b1"));               // never closed
  EXPECT_FALSE(split_multipart("--b1\r\n\r\nx\r\n--b1x\r\n--b1--\r\n", "b1"));  // boundary-like line
  EXPECT_FALSE(split_multipart("--b1\r\n\r\n--b1--\r\n", ""));
  std::string many;
  for (std::size_t i = 0; i <= kMaxParts; ++i) many += "--b\r\n\r\nx\r\n";
  EXPECT_FALSE(split_multipart(many + "--b--\r\n", "b"));
}

TEST(Multipart, ContentTypeParameters) {
  std::string ct = "Application/PKCS7-mime; smime-type=signed-receipt; Name=\"receipt.p7m\"";
  EXPECT_EQ(media_type(ct), "application/pkcs7-mime");
  EXPECT_EQ(content_type_parameter(ct, "smime-type"), "signed-receipt");
  EXPECT_EQ(content_type_parameter(ct, "name"), "receipt.p7m");
  EXPECT_EQ(content_type_parameter(ct, "boundary"), std::nullopt);
  EXPECT_EQ(content_type_parameter("multipart/mixed; boundary=\"open", "boundary"), std::nullopt);
}

TEST(Multipart, Base64BodyWithLineEnds) {
  EXPECT_EQ(decode_base64_body("YWJj\r\nZGVm\r\n").value_or("?"), "abcdef");
  EXPECT_EQ(decode_base64_body("").value_or("?"), "");
  for (std::string bad : {"YWJ", "YW=j\r\n", "YWJj\r\n*A==", "YQ==YQ=="}) {
    auto r = decode_base64_body(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().enhanced, "5.6.0");
  }
}
