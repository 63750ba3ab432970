// base64.h - RFC 2045 base64 for MIME parts the gateway writes and reads
// itself (a signed receipt attached to a DSN or a receipt message): the
// encoder writes 76-column CRLF lines, the decoder takes such a body back.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::mime {

// `octets` as base64 in lines of 76 characters, each ending in CRLF
// (RFC 2045 6.8); "" for no octets.
std::string base64_lines(std::string_view octets);

// A base64 body back to octets. Line ends and other white space between
// the characters are skipped; anything else outside the alphabet, padding
// in the middle, or a length that is not a whole number of quanta is an
// error (554 5.6.0): a damaged part is never half-read.
Result<std::string> base64_decode(std::string_view body);

}  // namespace sm::mime
