// xtext.h - RFC 3461 section 4 "xtext": the encoding of ENVID and ORCPT
// values on the wire, also used by the queue to store any envelope value
// on one line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sm::mail {

// Encode: "+" HEXHEX for octets outside "!".."~" and for "+" and "=".
std::string xtext_encode(std::string_view raw);
// Decode; nullopt on a malformed "+" escape (not two upper-case hex digits).
std::optional<std::string> xtext_decode(std::string_view text);

}  // namespace sm::mail
