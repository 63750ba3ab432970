// qr_image.cpp - QR code (libqrencode) drawn as SVG rectangles, one per
// dark run of a row, wrapped in a base64 data: URI (see qr_image.h).
#include "selfservice/qr_image.h"

#include <qrencode.h>

#include <memory>

#include "util/base64.h"

namespace sm::selfservice {
namespace {

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

constexpr int kQuietZone = 4;

}  // namespace

Result<std::string> qr_data_uri(std::string_view text) {
  std::string input(text);
  QrPtr code(QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!code) return local_error("QR code: the text does not fit a QR code");
  const int width = code->width;
  const int size = width + 2 * kQuietZone;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(size) + " " +
                    std::to_string(size) + "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width;) {
      if (!(code->data[y * width + x] & 1)) {
        ++x;
        continue;
      }
      int run = x;
      while (run < width && (code->data[y * width + run] & 1)) ++run;
      svg += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" +
             std::to_string(run - x) + "v1h-" + std::to_string(run - x) + "z";
      x = run;
    }
  }
  svg += "\"/></svg>";
  return "data:image/svg+xml;base64," + base64_encode(svg);
}

}  // namespace sm::selfservice
