// qr.cpp - QR codes for TOTP enrolment (see qr.h): libqrencode's symbol,
// half-block text, and a minimal PNG (IHDR, one IDAT, IEND) written here
// with zlib's compress2 and crc32.
#include "auth/qr.h"

#include <qrencode.h>
#include <zlib.h>

#include <memory>
#include <string>

#include "util/base64.h"

namespace sm::auth {
namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void chunk(std::string& png, std::string_view type, const std::string& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type) + data;
  png += body;
  put32(png, static_cast<std::uint32_t>(
                 crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

bool QrCode::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= size || y >= size) return false;
  return dark[static_cast<std::size_t>(y) * size + x];
}

Result<QrCode> qr_encode(std::string_view text) {
  std::string s(text);
  std::unique_ptr<QRcode, QrFree> q(QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M));
  if (!q) return local_error("cannot draw a QR code for a text of " + std::to_string(text.size()) + " octets");
  QrCode qr;
  qr.size = q->width;
  qr.dark.resize(static_cast<std::size_t>(q->width) * q->width);
  for (std::size_t i = 0; i < qr.dark.size(); ++i) qr.dark[i] = (q->data[i] & 1) != 0;
  return qr;
}

std::string qr_terminal(const QrCode& qr) {
  static constexpr const char* kGlyph[4] = {" ", "\u2580", "\u2584", "\u2588"};  // light: top, bottom, both
  std::string out;
  for (int y = -kQuietZone; y < qr.size + kQuietZone; y += 2) {
    for (int x = -kQuietZone; x < qr.size + kQuietZone; ++x) {
      bool top = !qr.at(x, y);
      bool bottom = y + 1 < qr.size + kQuietZone && !qr.at(x, y + 1);
      out += kGlyph[(top ? 1 : 0) | (bottom ? 2 : 0)];
    }
    out += '\n';
  }
  return out;
}

std::string qr_png(const QrCode& qr, int scale) {
  const int side = (qr.size + 2 * kQuietZone) * scale;
  std::string raw;
  raw.reserve(static_cast<std::size_t>(side + 1) * side);
  for (int py = 0; py < side; ++py) {
    raw += '\0';  // filter: none
    for (int px = 0; px < side; ++px)
      raw += qr.at(px / scale - kQuietZone, py / scale - kQuietZone) ? '\0' : '\xff';
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), 9);
  packed.resize(packed_size);

  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put32(ihdr, static_cast<std::uint32_t>(side));
  put32(ihdr, static_cast<std::uint32_t>(side));
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit, greyscale, deflate, adaptive filter, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", packed);
  chunk(png, "IEND", "");
  return png;
}

Result<std::string> qr_data_uri(std::string_view text) {
  auto qr = qr_encode(text);
  if (!qr) return std::unexpected(qr.error());
  return "data:image/png;base64," + base64_encode(qr_png(*qr, 6));
}

}  // namespace sm::auth
