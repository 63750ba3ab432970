// qr_image.cpp - auth's QR code PNG wrapped in a base64 data: URI (see
// qr_image.h).
#include "selfservice/qr_image.h"

#include "auth/qr.h"
#include "util/base64.h"

namespace sm::selfservice {

Result<std::string> qr_data_uri(std::string_view text) {
  auto qr = auth::qr_encode(text);
  if (!qr) return std::unexpected(qr.error());
  return "data:image/png;base64," + base64_encode(auth::qr_png(*qr, 6));
}

}  // namespace sm::selfservice
