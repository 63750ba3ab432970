// qr.h - a QR code (libqrencode, error correction M, 8-bit mode) for an
// otpauth:// URI, drawn for a terminal and written as a PNG, so an
// authenticator app can scan it. Both keep the 4-module quiet zone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::auth {

struct QrCode {
  int size = 0;                // modules per side, without the quiet zone
  std::vector<bool> dark;      // size * size, row by row
  bool at(int x, int y) const;  // outside the symbol (the quiet zone): light
};

Result<QrCode> qr_encode(std::string_view text);

// Two module rows per text line with the half blocks U+2580, U+2584,
// U+2588 drawing LIGHT modules (as `qrencode -t UTF8` does): it scans
// on the usual light-on-dark terminal.
std::string qr_terminal(const QrCode& qr);

// An 8-bit greyscale PNG, `scale` pixels per module (zlib; no libpng).
std::string qr_png(const QrCode& qr, int scale = 8);

// "data:image/png;base64,..." of the code for text (6 pixels a module): a
// page shows it inline, so it needs no second request and the seed never
// appears in a URL the browser fetches or logs (self-service, pickup).
Result<std::string> qr_data_uri(std::string_view text);

inline constexpr int kQuietZone = 4;

}  // namespace sm::auth
