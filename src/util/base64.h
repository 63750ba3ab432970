// base64.h - RFC 4648 base64 on one line, without OpenSSL: binary values
// kept in text records (a receipt duty's SignedData in the queue envelope)
// and MIME parts the gateway writes itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sm {

// One line, '=' padded, no line breaks.
std::string base64_encode(std::string_view octets);
// Strict: the padded alphabet only (no whitespace, no line breaks); nullopt
// for anything else, including a length that is not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);
// MIME body form (RFC 2045 6.8): lines of 76 characters ending CRLF.
std::string base64_lines(std::string_view octets);

}  // namespace sm
