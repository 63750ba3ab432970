// qr_image.h - the otpauth:// URI of a TOTP enrolment as a QR code image
// the self-service page can show inline: auth's PNG in a data: URI, so the
// page needs no second request and the seed never appears in a URL the
// browser fetches or logs.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::selfservice {

// "data:image/png;base64,..." of the QR code (auth/qr.h) that encodes text.
Result<std::string> qr_data_uri(std::string_view text);

}  // namespace sm::selfservice
