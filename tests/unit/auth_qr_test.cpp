// auth_qr_test.cpp - QR codes for enrolment: libqrencode's symbol drawn in
// half blocks (quiet zone included, light modules as blocks), and a PNG
// whose signature, header, CRCs and pixels (inflated with zlib) match the
// symbol module for module.
#include <gtest/gtest.h>
#include <zlib.h>

#include "auth/qr.h"

using namespace sm::auth;

namespace {

constexpr std::string_view kUri =
    "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30";

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

}  // namespace

TEST(AuthQr, TerminalDrawing) {
  auto qr = qr_encode(kUri);
  ASSERT_TRUE(qr) << qr.error().text;
  EXPECT_GE(qr->size, 21);
  EXPECT_EQ((qr->size - 17) % 4, 0);  // a valid QR version size
  EXPECT_TRUE(qr->at(0, 0));         // finder pattern corner is dark
  EXPECT_FALSE(qr->at(-1, 0));       // quiet zone is light
  std::string text = qr_terminal(*qr);
  int side = qr->size + 2 * kQuietZone;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), (side + 1) / 2);
  std::string first = text.substr(0, text.find('\n'));
  // The quiet zone's first two rows: all light, so all full blocks.
  std::string full;
  for (int i = 0; i < side; ++i) full += "\u2588";
  EXPECT_EQ(first, full);
}

TEST(AuthQr, PngMatchesTheSymbol) {
  auto qr = qr_encode(kUri);
  ASSERT_TRUE(qr);
  const int scale = 3;
  std::string png = qr_png(*qr, scale);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n"));
  const std::uint32_t side = std::uint32_t(qr->size + 2 * kQuietZone) * scale;
  std::string idat;
  std::size_t at = 8;
  std::vector<std::string> types;
  while (at + 12 <= png.size()) {
    std::uint32_t len = be32(png, at);
    std::string type = png.substr(at + 4, 4);
    std::string data = png.substr(at + 8, len);
    std::string body = png.substr(at + 4, 4 + len);
    EXPECT_EQ(be32(png, at + 8 + len), crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())) << type;
    if (type == "IHDR") {
      EXPECT_EQ(be32(data, 0), side);
      EXPECT_EQ(be32(data, 4), side);
      EXPECT_EQ(data[8], 8);  // bit depth
      EXPECT_EQ(data[9], 0);  // greyscale
    }
    if (type == "IDAT") idat += data;
    types.push_back(type);
    at += 12 + len;
  }
  EXPECT_EQ(at, png.size());
  EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  std::string raw((side + 1) * side, '\0');
  uLongf raw_len = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len, reinterpret_cast<const Bytef*>(idat.data()),
                       idat.size()),
            Z_OK);
  ASSERT_EQ(raw_len, raw.size());
  int mismatches = 0;
  for (std::uint32_t y = 0; y < side; ++y) {
    EXPECT_EQ(raw[y * (side + 1)], '\0');  // filter none
    for (std::uint32_t x = 0; x < side; ++x) {
      bool dark = raw[y * (side + 1) + 1 + x] == '\0';
      mismatches += dark != qr->at(int(x / scale) - kQuietZone, int(y / scale) - kQuietZone);
    }
  }
  EXPECT_EQ(mismatches, 0);
}
